import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsStore

/// The check made before every provider request: the job's `max_cost_usd` and the configured budgets.
extension Pipeline {
    /// The `budgets` section of the home folder's config.json (`configurationURL`).
    func budgets() throws -> BudgetsConfiguration {
        try BudgetsConfiguration.load(from: configurationURL)
    }

    /// Refuses the request `provider` would make for `job` when its estimate would pass the job's `max_cost_usd` (less
    /// what the job was already charged) or a daily or monthly budget (less what was spent and what other jobs'
    /// requests in flight hold), and when its price is unknown while any of those limits is set. A refusal is a
    /// `budget.exceeded` failure that is not retried; nothing is sent. Otherwise the estimate is held against the
    /// budgets until the attempt's cost is recorded.
    func checkBudget(
        _ job: Job, provider: any Provider, model: String, request: ProviderRequest, costs: [CostRecord], worker: String
    ) async throws {
        let now = Date()
        let limits = try budgets().limits(for: provider.name, now: now)
        let maxCost = job.spec.maxCostUSD
        guard maxCost != nil || !limits.isEmpty else { return }
        let route = "\(provider.name)/\(model)"
        func refuse(_ message: String) -> Failure {
            Failure(error: MediaJobsError(.budgetExceeded, message + "; no request was sent"), retryable: false, costs: costs)
        }

        let lines = provider.estimate(request)
        guard let estimate = lines.usd else {
            let names = (maxCost.map { ["max_cost_usd ($\($0))"] } ?? []) + limits.map { "\($0.name) ($\($0.limit))" }
            throw refuse(ModelCatalog.unknownPriceMessage(lines, route: route, checkedAgainst: names))
        }
        if let maxCost {
            let charged = (try await store.costs(job.id) + costs).filter(\.charged).reduce(Money.zero) { $0 + ($1.usd ?? .zero) }
            if charged + estimate > maxCost {
                let already = charged == .zero ? "" : " and this job was already charged $\(charged)"
                throw refuse("max_cost_usd: the estimate for \(route) is $\(estimate)\(already), over the job's "
                             + "max_cost_usd of $\(maxCost)")
            }
        }
        if !limits.isEmpty {
            let hold = BudgetHold(jobID: job.id, attempt: job.attempts, provider: provider.name, usd: estimate)
            if case .refused(let limit, let spent, let inFlight) = try await store.reserveBudget(hold, limits: limits, now: now) {
                let window = limit.name.hasSuffix("daily_usd") ? "today (UTC)" : "this month (UTC)"
                let scope = limit.provider.map { " on \($0)" } ?? ""
                let held = inFlight == .zero ? "" : " and $\(inFlight) is held by requests in flight"
                throw refuse("\(limit.name): the estimate for \(route) is $\(estimate), $\(spent) was spent\(scope) "
                             + "\(window)\(held), over the limit of $\(limit.limit)")
            }
        }
        let checked = (maxCost == nil ? [] : ["max_cost_usd"]) + limits.map(\.name)
        try await store.addEvent(job.id, kind: .note, worker: worker,
                                 detail: "estimate for \(route): $\(estimate), within \(checked.joined(separator: ", "))",
                                 now: now)
    }
}
