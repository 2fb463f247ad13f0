import Foundation
import MediaJobsCore
import MediaJobsStore

/// A job's deadline passed while it was queued, waiting or running.
struct DeadlinePassed: Error, Sendable {
    var deadline: Date

    func error(for job: Job) -> MediaJobsError {
        let seconds = job.spec.effectiveDeadlineSeconds
        let source = job.spec.deadlineSeconds == nil ? "the default for \(job.kind) jobs" : "deadline_seconds"
        return MediaJobsError(.jobTimeout, String(
            format: "deadline_seconds: the job did not finish within %.0f s of its submission or retry (%@); it was stopped",
            seconds, source) + (job.providerHandle == nil ? "" : " and canceled at the provider where it allows it"))
    }
}

extension Worker {
    /// When `job` times out: its deadline counted from submission, or from the last `retry` by request when that
    /// came later (the events are read only once the deadline from submission has passed).
    func deadline(of job: Job) async -> Date {
        // A job waiting on its parts with no deadline of its own is bound by theirs (see `PartsHandle`).
        if job.spec.deadlineSeconds == nil && PartsHandle.isParts(job.providerHandle) { return .distantFuture }
        let seconds = job.spec.effectiveDeadlineSeconds
        let fromSubmission = job.createdAt.addingTimeInterval(seconds)
        guard fromSubmission <= Date() else { return fromSubmission }
        let events = (try? await store.events(job.id, after: nil)) ?? []
        guard let retried = events.last(where: { $0.kind == .requeued }) else { return fromSubmission }
        return max(fromSubmission, retried.at.addingTimeInterval(seconds))
    }

    /// Fails the queued jobs whose deadline has passed (no slot claims them for that: a job queued behind a long
    /// Retry-After would otherwise outlive its deadline until its next claim), and makes the waiting ones due, so a
    /// poll slot gives them their last look (`lastLookGrace`) and cancels at the provider what still runs there.
    func sweepDeadlines(now: Date) async {
        do {
            let timedOut = try await store.sweepPastDeadline(now: now, worker: configuration.id) { job in
                DeadlinePassed(deadline: now).error(for: job)
            }
            for job in timedOut { logger.info("job timed out while queued", metadata: ["job": "\(job.id)"]) }
        } catch {
            logger.warning("deadline sweep failed", metadata: ["error": "\(error)"])
        }
    }

    /// Asks the provider holding `handle` to stop; failures are logged and noted, never thrown (the job has ended).
    func cancelAtProvider(_ job: Job, handle: String, why: String) async {
        do {
            let asked = try await pipeline.cancelGeneration(handle: handle)
            try? await store.addEvent(job.id, kind: .note, worker: configuration.id, detail: "\(why): \(asked.detail)",
                                      now: Date())
        } catch {
            logger.warning("provider cancel failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
            try? await store.addEvent(job.id, kind: .note, worker: configuration.id,
                                      detail: "\(why): canceling at the provider failed: \(MediaJobsError.wrapping(error).message)",
                                      now: Date())
        }
    }
}
