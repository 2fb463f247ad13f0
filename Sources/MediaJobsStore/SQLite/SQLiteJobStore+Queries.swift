import Foundation
import GRDB
import MediaJobsCore

// Reads, artifacts, costs and workers.
extension SQLiteJobStore {
    public func job(_ id: JobID) async throws -> Job? {
        try await read("read a job") { db in try self.fetchJob(db, id) }
    }

    public func jobs(_ filter: JobFilter) async throws -> [Job] {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let states = filter.states {
            if states.isEmpty { return [] }
            clauses.append("state IN (\(databaseQuestionMarks(count: states.count)))")
            arguments += StatementArguments(states.map(\.rawValue))
        }
        if let kinds = filter.kinds {
            if kinds.isEmpty { return [] }
            clauses.append("kind IN (\(databaseQuestionMarks(count: kinds.count)))")
            arguments += StatementArguments(kinds.map(\.rawValue))
        }
        if let label = filter.label {
            clauses.append("id IN (SELECT job_id FROM job_labels WHERE name = ? AND value = ?)")
            arguments += [label.name, label.value]
        }
        if let before = filter.before {
            clauses.append("id < ?")
            arguments += [before.rawValue]
        }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let sql = "SELECT \(jobColumns) FROM jobs \(whereClause) ORDER BY id DESC LIMIT ?"
        arguments += [max(0, filter.limit)]
        let finalArguments = arguments
        return try await read("list jobs") { db in
            try self.fetchJobs(try db.cachedStatement(sql: sql), finalArguments)
        }
    }

    public func parts(of parent: JobID) async throws -> [Job] {
        try await read("read a job's parts") { db in
            let statement = try db.cachedStatement(sql: "SELECT \(jobColumns) FROM jobs WHERE parent_id = ? ORDER BY rowid")
            return try self.fetchJobs(statement, [parent.rawValue])
        }
    }

    public func events(_ id: JobID, after: Int64?) async throws -> [JobEvent] {
        try await read("read a job's events") { db in
            let statement = try db.cachedStatement(sql: """
                SELECT \(EventRow.columns) FROM job_events WHERE job_id = ? AND id > ? ORDER BY id
                """)
            return try Row.fetchAll(statement, arguments: [id.rawValue, after ?? 0]).map(EventRow.decode)
        }
    }

    public func artifacts(_ id: JobID) async throws -> [ArtifactRef] {
        try await read("read a job's artifacts") { db in
            let statement = try db.cachedStatement(sql: """
                SELECT \(ArtifactRow.columns), ja.role, ja.checks
                FROM job_artifacts ja JOIN artifacts a ON a.sha256 = ja.sha256
                WHERE ja.job_id = ? ORDER BY ja.position
                """)
            return try Row.fetchAll(statement, arguments: [id.rawValue]).map { row in
                let roleText: String = try row.decode(atIndex: 8)
                guard let role = ArtifactRef.Role(rawValue: roleText) else {
                    throw MediaJobsError(.storeFailure, "job \(id): artifact role '\(roleText)' is unknown")
                }
                var artifact = try ArtifactRow.decode(row, role: role)
                artifact.checks = try ArtifactRow.decodeChecks(try row.decode(String.self, atIndex: 9))
                return artifact
            }
        }
    }

    public func recordArtifact(_ artifact: ArtifactRef, job: JobID?, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("record an artifact") { db in
            if let job, try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ?", arguments: [job.rawValue]) != true {
                throw SQLiteJobStore.notFound(job)
            }
            try self.insertArtifact(db, artifact, job: job?.rawValue, time: time)
        }
    }

    public func artifact(sha256: String) async throws -> ArtifactRef? {
        guard ArtifactRef.isValidSHA256(sha256) else { return nil }
        return try await read("read an artifact") { db in
            let statement = try db.cachedStatement(sql: """
                SELECT \(ArtifactRow.columns),
                       (SELECT role FROM job_artifacts WHERE sha256 = a.sha256 ORDER BY role LIMIT 1)
                FROM artifacts a WHERE a.sha256 = ?
                """)
            guard let row = try Row.fetchOne(statement, arguments: [sha256]) else { return nil }
            let role = (try row.decode(String?.self, atIndex: 8)).flatMap(ArtifactRef.Role.init(rawValue:)) ?? .output
            return try ArtifactRow.decode(row, role: role)
        }
    }

    public func costs(_ id: JobID) async throws -> [CostRecord] {
        try await read("read a job's costs") { db in
            let statement = try db.cachedStatement(sql: "SELECT \(CostRow.columns) FROM costs WHERE job_id = ? ORDER BY id")
            return try Row.fetchAll(statement, arguments: [id.rawValue]).map(CostRow.decode)
        }
    }

    public func costRecords(since: Date?, until: Date?) async throws -> [CostRecord] {
        let lower = since.map(StoredTime.encode) ?? Int64.min
        let upper = until.map(StoredTime.encode) ?? Int64.max
        return try await read("read cost records") { db in
            let statement = try db.cachedStatement(sql: """
                SELECT \(CostRow.columns) FROM costs WHERE at >= ? AND at < ? ORDER BY at, id
                """)
            return try Row.fetchAll(statement, arguments: [lower, upper]).map(CostRow.decode)
        }
    }

    /// The exact sum of recorded costs in `[since, until)`, charged attempts only, with the count of those whose
    /// amount is unknown.
    public func totalCost(since: Date?, until: Date?) async throws -> CostTotal {
        let lower = since.map(StoredTime.encode) ?? Int64.min
        let upper = until.map(StoredTime.encode) ?? Int64.max
        return try await read("sum costs") { db in
            // SUM over INTEGER is exact (it fails on overflow rather than rounding); SUM and COUNT skip NULLs.
            let row = try Row.fetchOne(db, sql: """
                SELECT COALESCE(SUM(usd_picos), 0), COUNT(usd_picos), COUNT(*) - COUNT(usd_picos)
                FROM costs WHERE at >= ? AND at < ? AND charged
                """, arguments: [lower, upper])
            return CostTotal(known: Money(picos: row?[0] ?? 0), knownRecords: row?[1] ?? 0, unknown: row?[2] ?? 0)
        }
    }

    public func countsByState() async throws -> [JobState: Int] {
        try await read("count jobs") { db in
            var counts: [JobState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM jobs GROUP BY state") {
                let text: String = try row.decode(atIndex: 0)
                guard let state = JobState(rawValue: text) else {
                    throw MediaJobsError(.storeFailure, "\(self.path): jobs hold an unknown state '\(text)'")
                }
                counts[state] = try row.decode(atIndex: 1)
            }
            return counts
        }
    }

    // MARK: - Workers

    public func registerWorker(_ worker: WorkerInfo) async throws {
        try await write("register a worker") { db in
            try db.execute(sql: """
                INSERT INTO workers (\(WorkerRow.columns)) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
                    concurrency = excluded.concurrency, started_at = excluded.started_at,
                    heartbeat_at = excluded.heartbeat_at
                """, arguments: [
                    worker.id, worker.host, worker.pid, worker.concurrency,
                    StoredTime.encode(worker.startedAt), StoredTime.encode(worker.heartbeatAt),
                ])
        }
    }

    public func workerHeartbeat(_ id: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("record a worker heartbeat") { db in
            try db.execute(sql: "UPDATE workers SET heartbeat_at = ? WHERE id = ?", arguments: [time, id])
            if db.changesCount == 0 {
                throw MediaJobsError(.storeFailure, "worker \(id): not registered")
            }
        }
    }

    public func removeWorker(_ id: String) async throws {
        try await write("remove a worker") { db in
            try db.execute(sql: "DELETE FROM workers WHERE id = ?", arguments: [id])
        }
    }

    public func liveWorkers(now: Date, staleAfter: TimeInterval) async throws -> [WorkerInfo] {
        let cutoff = StoredTime.encode(now.addingTimeInterval(-staleAfter))
        return try await read("list workers") { db in
            try Row.fetchAll(db, sql: "SELECT \(WorkerRow.columns) FROM workers WHERE heartbeat_at > ? ORDER BY id",
                             arguments: [cutoff]).map(WorkerRow.decode)
        }
    }
}
