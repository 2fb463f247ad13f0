import Foundation
import MediaJobsCore
import MediaJobsProviders

extension Submitter {
    /// Refuses at once a job whose first route cannot be paid for within its limits, so the user hears before
    /// anything is queued (the worker checks again before each request, every route, with what was spent by then):
    /// an estimate over the job's `max_cost_usd`, or an unknown price while the job has a `max_cost_usd` or any
    /// budget of config.json applies to its first route. The refusal names the model and the config.json field that
    /// gives it a price.
    func checkPrice(_ spec: JobSpec, audioSeconds: Double?, now: Date) throws {
        guard let first = spec.routes.first else { return }
        let (provider, model) = try providers.resolve(first, for: spec)
        let limits = try BudgetsConfiguration.load(from: configurationURL).limits(for: provider.name, now: now)
        let maxCost = spec.maxCostUSD
        guard maxCost != nil || !limits.isEmpty else { return }
        let request = ProviderRequest(jobID: JobID(rawValue: "unsubmitted"), attempt: 0, spec: spec, model: model,
                                      audioFile: nil, workDirectory: FileManager.default.temporaryDirectory,
                                      audioSeconds: audioSeconds)
        let estimate = provider.estimate(request)
        guard let usd = estimate.usd else {
            let fields = (maxCost.map { ["max_cost_usd ($\($0))"] } ?? []) + limits.map { "\($0.name) ($\($0.limit))" }
            throw MediaJobsError(.budgetExceeded, ModelCatalog.unknownPriceMessage(
                estimate, route: "\(provider.name)/\(model)", checkedAgainst: fields) + "; nothing was queued")
        }
        if let maxCost, usd > maxCost {
            throw MediaJobsError(.budgetExceeded, "max_cost_usd: the estimate for \(provider.name)/\(model) is "
                + "$\(usd), over the job's max_cost_usd of $\(maxCost); nothing was queued")
        }
    }
}
