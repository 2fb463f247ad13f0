import Foundation
import MediaJobsCore

/// A job's story: the events that say what happened to it, oldest first.
public protocol JobStory: Sendable {
    /// Records what a running job is doing now (`stage` on the job, and an event).
    func setStage(_ id: JobID, worker: String, stage: String, detail: String, now: Date) async throws

    /// Appends a free-form event (for example a validation report) to a job's story.
    func addEvent(_ id: JobID, kind: JobEvent.Kind, worker: String?, detail: String, now: Date) async throws

    /// A job's events, oldest first; only those with `id > after` when given.
    func events(_ id: JobID, after: Int64?) async throws -> [JobEvent]
}
