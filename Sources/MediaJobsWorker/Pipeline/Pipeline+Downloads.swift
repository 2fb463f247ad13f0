import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsStore

/// A finished generation is paid for: while the provider holds its result, a broken download of it is fetched again
/// (by a later poll of the job's stored handle, see `DownloadRetryPolicy`), never bought again. Only a result gone at
/// the provider (expired, 404/410) ends the attempt, with that purchase in the ledger, so that the next attempt makes a
/// new one, after the usual `max_cost_usd` and budget checks.
extension Pipeline {
    /// Validation failures that say the bytes are not the media at all (cut short, noise, an HTML page): a bad
    /// download, not a bad generation. Too large is among them: noise after a PNG signature declares a picture of
    /// billions of pixels.
    static let undecodableCodes: Set<MediaJobsError.Code> = [
        .mediaEmpty, .mediaNotMedia, .mediaTruncated, .mediaCorrupt, .mediaOpenFailed, .mediaDecodeFailed, .mediaTooLarge,
    ]

    /// The failure that makes `error` a bad download of a result the provider still holds: a download that broke off
    /// (`provider.download_failed`), or bytes that do not decode; nil for anything else.
    static func badDownload(_ error: any Error) -> (error: MediaJobsError, retryAfter: TimeInterval?)? {
        var retryAfter: TimeInterval?
        var current: (any Error)? = error
        while let cause = current {
            if let provider = cause as? ProviderError {
                retryAfter = retryAfter ?? provider.retryAfter
                current = provider.error
            } else if let media = cause as? MediaJobsError {
                if media.code == .providerDownloadFailed || undecodableCodes.contains(media.code) {
                    return (media, retryAfter)
                }
                current = media.underlying
            } else {
                return nil
            }
        }
        return nil
    }

    /// After a bad download of `pending`'s finished result: the job waits on the same handle and a poll downloads it
    /// again after the policy's delay. When the downloads are spent, the attempt fails (not retried: that would buy the
    /// result again), with the paid generation in the ledger.
    func downloadAgain(
        _ job: Job, pending: PendingGeneration, failure: MediaJobsError, retryAfter: TimeInterval?, provider: any Provider,
        request: ProviderRequest, worker: String
    ) async throws -> Outcome {
        var pending = pending
        let failures = (pending.badDownloads ?? 0) + 1
        pending.badDownloads = failures
        pending.pollErrors = 0
        let route = "\(pending.provider)/\(pending.model)"
        let said = "\(failure.code.rawValue): \(failure.message)"
        guard let delay = downloadRetry.delay(afterFailures: failures, retryAfter: retryAfter) else {
            let cost = paidGenerationCost(job, provider: provider, model: pending.model, request: request)
            throw Failure(error: MediaJobsError(
                .providerDownloadFailed, "\(route): the finished generation was paid for, but \(failures) downloads of its "
                    + "result failed (the last: \(said)); it is not bought again", underlying: failure),
                          retryable: false, costs: [cost])
        }
        try await store.addEvent(job.id, kind: .note, worker: worker, detail: String(
            format: "%@: download %d of %d of the finished result failed (%@); the provider still holds it, so it is "
                + "downloaded again in %.1f s, not bought again", route, failures, downloadRetry.maxAttempts, said, delay),
            now: Date())
        return .waiting(handle: pending.encoded(), pollAt: Date().addingTimeInterval(delay))
    }

    /// After the provider said `pending`'s finished result is gone: the attempt fails, retryable, with the generation
    /// it paid for in the ledger; the next attempt buys a new one only if `max_cost_usd` and the budgets allow it.
    func resultGone(
        _ job: Job, pending: PendingGeneration, failure: ProviderError, provider: any Provider, request: ProviderRequest
    ) -> Failure {
        let cost = paidGenerationCost(job, provider: provider, model: pending.model, request: request)
        var error = failure.error
        error.message += "; the generation it made was paid for (in the ledger), and a new one is made only within "
            + "max_cost_usd and the budgets"
        return Failure(error: error, retryable: true, costs: [cost], retryAfter: failure.retryAfter)
    }

    /// The cost of a generation the provider finished (and billed) whose result never reached us: our estimate.
    func paidGenerationCost(_ job: Job, provider: any Provider, model: String, request: ProviderRequest) -> CostRecord {
        costRecord(for: job, provider: provider, model: model, request: request, result: ProviderResult())
    }
}
