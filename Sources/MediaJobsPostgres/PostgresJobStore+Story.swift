import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// A job's story: what a running job is doing, free-form events, and the events, oldest first.
extension PostgresJobStore {
    public func setStage(_ id: JobID, worker: String, stage: String, detail: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("set a job's stage") { session in
            guard let attempts = try await session.rows("""
                UPDATE jobs SET stage = \(stage), updated_at = \(time)
                WHERE id = \(id.rawValue) AND state = 'running' AND lease_owner = \(worker)
                RETURNING attempts
                """).first?.decode(Int.self) else {
                throw try await self.leaseFailure(session, id)
            }
            try await self.insertEvent(session, job: id, kind: .stage, attempt: attempts, worker: worker,
                                       detail: detail.isEmpty ? stage : "\(stage): \(detail)", at: time)
        }
    }

    public func addEvent(_ id: JobID, kind: JobEvent.Kind, worker: String?, detail: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("add an event") { session in
            guard let attempt = try await self.lockJob(session, id) else { throw Self.notFound(id) }
            try await self.insertEvent(session, job: id, kind: kind, attempt: attempt, worker: worker, detail: detail,
                                       at: time)
        }
    }

    public func events(_ id: JobID, after: Int64?) async throws -> [JobEvent] {
        try await read("read a job's events") { session in
            try await session.rows("""
                SELECT \(unescaped: EventRow.columns) FROM job_events
                WHERE job_id = \(id.rawValue) AND id > \(after ?? 0) ORDER BY id
                """).map(EventRow.decode)
        }
    }
}
