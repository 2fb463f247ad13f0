import Foundation
import MediaJobsCore

/// Which jobs `jobs(_:)` returns, newest first.
public struct JobFilter: Sendable, Equatable {
    public var states: [JobState]?
    public var kinds: [JobKind]?
    /// Only jobs carrying this label name and value.
    public var label: (name: String, value: String)?
    public var limit: Int
    /// Cursor: only jobs older than this id.
    public var before: JobID?

    public init(
        states: [JobState]? = nil, kinds: [JobKind]? = nil, label: (name: String, value: String)? = nil,
        limit: Int = 50, before: JobID? = nil
    ) {
        self.states = states
        self.kinds = kinds
        self.label = label
        self.limit = limit
        self.before = before
    }

    public static func == (lhs: JobFilter, rhs: JobFilter) -> Bool {
        lhs.states == rhs.states && lhs.kinds == rhs.kinds && lhs.label?.name == rhs.label?.name
            && lhs.label?.value == rhs.label?.value && lhs.limit == rhs.limit && lhs.before == rhs.before
    }
}


/// Reading jobs: one by id or idempotency key, pages by filter, the changes since a time, counts by state.
public protocol JobLookup: Sendable {
    func job(_ id: JobID) async throws -> Job?

    /// The job submitted with this idempotency key, if any.
    func job(idempotencyKey: String) async throws -> Job?

    func jobs(_ filter: JobFilter) async throws -> [Job]

    /// Jobs whose row changed at or after `since`, oldest change first, at most `limit`.
    ///
    /// Callers keep the ids they saw at the last `updated_at` to skip them next time.
    func jobs(updatedSince since: Date, limit: Int) async throws -> [Job]

    /// How many jobs are in each state.
    func countsByState() async throws -> [JobState: Int]

    /// The jobs that are parts of `parent` (`Job.parentID`), in the order they were added.
    func parts(of parent: JobID) async throws -> [Job]
}
