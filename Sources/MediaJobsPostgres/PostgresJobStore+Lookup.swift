import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// Finding jobs: by id, by idempotency key, by filter, a job's parts, and how many are in each state.
extension PostgresJobStore {
    public func job(_ id: JobID) async throws -> Job? {
        try await read("read a job") { session in try await self.fetchJob(session, id) }
    }

    public func job(idempotencyKey: String) async throws -> Job? {
        try await read("find a job by idempotency key") { session in
            try await self.fetchJobs(
                session, "SELECT \(unescaped: jobColumns) FROM jobs WHERE idempotency_key = \(idempotencyKey)").first
        }
    }

    public func jobs(_ filter: JobFilter) async throws -> [Job] {
        var clauses: [String] = []
        var binds = PostgresBindings()
        func parameter() -> String { "$\(binds.count)" }
        if let states = filter.states {
            if states.isEmpty { return [] }
            binds.append(states.map(\.rawValue))
            clauses.append("state = ANY(\(parameter())::text[])")
        }
        if let kinds = filter.kinds {
            if kinds.isEmpty { return [] }
            binds.append(kinds.map(\.rawValue))
            clauses.append("kind = ANY(\(parameter())::text[])")
        }
        if let label = filter.label {
            binds.append(label.name)
            let name = parameter()
            binds.append(label.value)
            clauses.append("id IN (SELECT job_id FROM job_labels WHERE name = \(name) AND value = \(parameter()))")
        }
        if let before = filter.before {
            binds.append(before.rawValue)
            clauses.append("id < \(parameter())")
        }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        binds.append(max(0, filter.limit))
        let query = PostgresQuery(
            unsafeSQL: "SELECT \(jobColumns) FROM jobs \(whereClause) ORDER BY id DESC LIMIT \(parameter())",
            binds: binds)
        return try await read("list jobs") { session in try await self.fetchJobs(session, query) }
    }

    /// The parts of `parent` in the order they were added: by `created_at`, then id, since the parts one call adds
    /// have ascending ids (`PreparedJob.batch`). Parts added by two calls with the same `now` interleave by id.
    public func parts(of parent: JobID) async throws -> [Job] {
        try await read("read a job's parts") { session in
            try await self.fetchJobs(session, """
                SELECT \(unescaped: jobColumns) FROM jobs WHERE parent_id = \(parent.rawValue) ORDER BY created_at, id
                """)
        }
    }

    public func countsByState() async throws -> [JobState: Int] {
        try await read("count jobs") { session in
            var counts: [JobState: Int] = [:]
            for row in try await session.rows("SELECT state, COUNT(*) FROM jobs GROUP BY state") {
                let (text, count) = try row.decode((String, Int).self)
                guard let state = JobState(rawValue: text) else {
                    throw MediaJobsError(.storeFailure, "\(self.url): jobs hold an unknown state '\(text)'")
                }
                counts[state] = count
            }
            return counts
        }
    }

    /// Jobs whose row changed at or after `since`, oldest change first, at most `limit`.
    ///
    /// Callers keep the ids they saw at the last `updated_at` to skip them next time.
    public func jobs(updatedSince since: Date, limit: Int) async throws -> [Job] {
        let time = StoredTime.encode(since)
        return try await read("list changed jobs") { session in
            try await self.fetchJobs(session, """
                SELECT \(unescaped: jobColumns) FROM jobs WHERE updated_at >= \(time) ORDER BY updated_at, id
                LIMIT \(max(0, limit))
                """)
        }
    }
}
