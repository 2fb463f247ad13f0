import Foundation
import MediaJobsCore

/// The result cache's index: which succeeded job answered which request (see `ResultCacheKey`).
public protocol ResultCache: Sendable {
    /// Records the result-cache key of the request that served job `id`. Only a job that then succeeds can answer
    /// later jobs.
    func setCacheKey(_ id: JobID, key: String) async throws
    /// Succeeded jobs served for `key`, newest first, other than `excluding`, at most `limit`.
    func cacheCandidates(key: String, excluding: JobID, limit: Int) async throws -> [JobID]
}
