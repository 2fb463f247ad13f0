import Foundation
import MediaJobsCore
import MediaJobsProviders

extension Submitter {
    /// Refuses at once a job whose first route's estimate is over its `max_cost_usd`, or whose price is unknown while
    /// it has one, so the user hears before anything is queued (the worker checks again before each request).
    func checkMaxCost(_ spec: JobSpec, audioSeconds: Double?) throws {
        guard let maxCost = spec.maxCostUSD, let first = spec.routes.first else { return }
        let (provider, model) = try providers.resolve(first, for: spec)
        let request = ProviderRequest(jobID: JobID(rawValue: "unsubmitted"), attempt: 0, spec: spec, model: model,
                                      audioFile: nil, workDirectory: FileManager.default.temporaryDirectory,
                                      audioSeconds: audioSeconds)
        guard let estimate = provider.estimate(request).usd else {
            throw MediaJobsError(.budgetExceeded, "max_cost_usd: the price of \(provider.name)/\(model) for this job is "
                + "unknown (the model catalog has none), so it cannot be checked against $\(maxCost); nothing was queued")
        }
        if estimate > maxCost {
            throw MediaJobsError(.budgetExceeded, "max_cost_usd: the estimate for \(provider.name)/\(model) is "
                + "$\(estimate), over the job's max_cost_usd of $\(maxCost); nothing was queued")
        }
    }
}
