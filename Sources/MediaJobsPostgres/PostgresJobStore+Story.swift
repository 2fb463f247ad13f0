import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// A job's story: its events, oldest first.
extension PostgresJobStore {
    public func events(_ id: JobID, after: Int64?) async throws -> [JobEvent] {
        try await read("read a job's events") { session in
            try await session.rows("""
                SELECT \(unescaped: EventRow.columns) FROM job_events
                WHERE job_id = \(id.rawValue) AND id > \(after ?? 0) ORDER BY id
                """).map(EventRow.decode)
        }
    }
}
