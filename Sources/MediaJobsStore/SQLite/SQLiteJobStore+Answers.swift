import Foundation
import GRDB
import MediaJobsCore

extension SQLiteJobStore {
    public func keepAnswer(_ id: JobID, worker: String, handle: String, detail: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("keep a provider's answer") { db in
            let statement = try db.cachedStatement(sql: """
                UPDATE jobs SET provider_handle = ?1, updated_at = ?2
                WHERE id = ?3 AND state = 'running' AND lease_owner = ?4
                RETURNING attempts
                """)
            guard let attempt = try Int.fetchOne(statement, arguments: [handle, time, id.rawValue, worker]) else {
                throw try self.leaseFailure(db, id)
            }
            try self.insertEvent(db, job: id.rawValue, kind: .note, attempt: attempt, worker: worker,
                                 detail: detail, at: time)
        }
    }
}
