import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// The result cache's keys.
extension PostgresJobStore {
    public func setCacheKey(_ id: JobID, key: String) async throws {
        try await write("record a job's cache key") { session in
            try await session.execute("UPDATE jobs SET cache_key = \(key) WHERE id = \(id.rawValue)")
        }
    }

    public func cacheCandidates(key: String, excluding id: JobID, limit: Int) async throws -> [JobID] {
        try await read("look up the result cache") { session in
            try await session.rows("""
                SELECT id FROM jobs
                WHERE cache_key = \(key) AND state = 'succeeded' AND id != \(id.rawValue)
                ORDER BY finished_at DESC LIMIT \(max(0, limit))
                """).map { JobID(rawValue: try $0.decode(String.self)) }
        }
    }
}
