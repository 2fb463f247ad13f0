import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// The worker processes that say they are alive.
extension PostgresJobStore {
    public func registerWorker(_ worker: WorkerInfo) async throws {
        try await write("register a worker") { session in
            try await session.execute("""
                INSERT INTO workers (\(unescaped: WorkerRow.columns))
                VALUES (\(worker.id), \(worker.host), \(Int64(worker.pid)), \(worker.concurrency),
                        \(StoredTime.encode(worker.startedAt)), \(StoredTime.encode(worker.heartbeatAt)))
                ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
                    concurrency = excluded.concurrency, started_at = excluded.started_at,
                    heartbeat_at = excluded.heartbeat_at
                """)
        }
    }

    public func workerHeartbeat(_ id: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("record a worker heartbeat") { session in
            let updated = try await session.rows("""
                UPDATE workers SET heartbeat_at = \(time) WHERE id = \(id) RETURNING id
                """)
            if updated.isEmpty {
                throw MediaJobsError(.storeFailure, "worker \(id): not registered")
            }
        }
    }

    public func removeWorker(_ id: String) async throws {
        try await write("remove a worker") { session in
            try await session.execute("DELETE FROM workers WHERE id = \(id)")
        }
    }

    public func liveWorkers(now: Date, staleAfter: TimeInterval) async throws -> [WorkerInfo] {
        let cutoff = StoredTime.encode(now.addingTimeInterval(-staleAfter))
        return try await read("list workers") { session in
            try await session.rows("""
                SELECT \(unescaped: WorkerRow.columns) FROM workers WHERE heartbeat_at > \(cutoff) ORDER BY id
                """).map(WorkerRow.decode)
        }
    }
}
