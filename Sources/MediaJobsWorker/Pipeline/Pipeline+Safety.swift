import Foundation
import MediaJobsCore
import MediaJobsProviders

extension Pipeline {
    /// A provider's classified error as the end of an attempt. A create request with an unknown outcome (one that
    /// `submit` did not find at the provider) is only retried when the job's policy accepts a possible second charge
    /// (`allow_duplicate_charge`); otherwise the job fails, and the message names the risk.
    static func failure(_ error: ProviderError, job: Job, costs: [CostRecord]) -> Failure {
        if error.error.code == .providerOutcomeUnknown {
            if job.spec.allowDuplicateCharge == true {
                var retried = error.error
                retried.message += " (allow_duplicate_charge: retried, at the risk of paying twice)"
                return Failure(error: retried, retryable: true, costs: costs, retryAfter: error.retryAfter)
            }
            var failed = error.error
            failed.message += "; the job fails rather than risk a second charge (set allow_duplicate_charge to retry)"
            return Failure(error: failed, retryable: false, costs: costs)
        }
        return Failure(error: error.error, retryable: error.classification == .retryable, costs: costs,
                       retryAfter: error.retryAfter)
    }

    /// Asks the provider holding a stored handle (a job's `provider_handle`) to stop its generation.
    public func cancelGeneration(handle: String) async throws -> GenerationCancel {
        if let parts = PartsHandle.decode(handle) {
            // A job's parts run here, as jobs of their own: they are canceled in the store.
            var running: [Job] = []
            for part in parts.parts { if let job = try await store.job(part.job) { running.append(job) } }
            await cancelParts(running)
            return .partsCanceled
        }
        let pending = try PendingGeneration.decode(handle)
        guard pending.answer == nil else { return .alreadyAnswered }
        return try await providers.provider(named: pending.provider).cancel(pending.handle) ? .canceled : .notSupported
    }
}
