import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// The queue: enqueue and claims, as the SQLite store makes them (the transitions that follow are in +Leases and
// +Janitor).
extension PostgresJobStore {
    // MARK: - Enqueue

    public func enqueue(_ spec: JobSpec, now: Date) async throws -> EnqueueResult {
        let prepared = try PreparedJob(spec, now: now, encoder: JSONEncoder())
        return try await write("enqueue a job") { session in
            let result = try await self.insert(session, prepared)
            if result.created { try await self.notifyJobs(session) }
            return result
        }
    }

    public func enqueue(_ specs: [JobSpec], now: Date) async throws -> [EnqueueResult] {
        try await enqueue(specs, parent: nil, now: now)
    }

    public func enqueue(_ specs: [JobSpec], parent: JobID?, now: Date) async throws -> [EnqueueResult] {
        if specs.isEmpty { return [] }
        let prepared = try PreparedJob.batch(specs, parent: parent, now: now)
        let what = parent.map { "enqueue \(specs.count) parts of job \($0)" } ?? "enqueue \(specs.count) jobs"
        return try await write(what) { session in
            if let parent, try await session.rows("SELECT 1 FROM jobs WHERE id = \(parent.rawValue)").isEmpty {
                throw Self.notFound(parent)
            }
            var results: [EnqueueResult] = []
            results.reserveCapacity(prepared.count)
            for job in prepared {
                results.append(try await self.insert(session, job))
            }
            if results.contains(where: \.created) { try await self.notifyJobs(session) }
            return results
        }
    }

    /// A job ready to insert: its spec as JSON, and the job as it will read back.
    struct PreparedJob: Sendable {
        var job: Job
        var specJSON: String

        init(_ spec: JobSpec, now: Date, encoder: JSONEncoder, id: JobID? = nil, parent: JobID? = nil) throws {
            let id = id ?? JobID.generate(now: now)
            let data: Data
            do {
                data = try encoder.encode(spec)
            } catch {
                throw MediaJobsError(.invalidInput, "job spec could not be encoded: \(error)", underlying: error)
            }
            specJSON = String(decoding: data, as: UTF8.self)
            let time = StoredTime.stored(now)
            // A job scheduled for later (`run_at`) is not claimed before then.
            let runAt = spec.runAt.map { StoredTime.stored(max($0, now)) } ?? time
            job = Job(
                id: id, spec: spec, state: .queued, attempts: 0,
                maxAttempts: max(1, spec.maxAttempts ?? JobSpec.defaultMaxAttempts), priority: spec.priority,
                runAt: runAt, createdAt: time, updatedAt: time, parentID: parent)
        }

        /// The jobs of one call, their ids ascending in the order of `specs`: made at the same time, they differ only
        /// in their random digits, which are sorted. PostgreSQL keeps no order of insertion (SQLite's `rowid`), so
        /// this is what lists a parent's parts in the order they were added (`parts(of:)`).
        static func batch(_ specs: [JobSpec], parent: JobID?, now: Date) throws -> [PreparedJob] {
            let encoder = JSONEncoder()
            let ids = specs.map { _ in JobID.generate(now: now) }.sorted()
            return try zip(specs, ids).map { spec, id in
                try PreparedJob(spec, now: now, encoder: encoder, id: id, parent: parent)
            }
        }
    }

    private func insert(_ session: PostgresSession, _ prepared: PreparedJob) async throws -> EnqueueResult {
        let job = prepared.job
        let now = StoredTime.encode(job.createdAt)
        let inserted = try await session.rows(
            Self.insertJobQuery(id: job.id, kind: job.kind.rawValue, specJSON: prepared.specJSON, priority: job.priority,
                                runAt: StoredTime.encode(job.runAt), maxAttempts: job.maxAttempts,
                                idempotencyKey: job.spec.idempotencyKey, parent: job.parentID, now: now),
            preparedAs: InsertJob.self)
        if inserted.isEmpty, let key = job.spec.idempotencyKey {
            // The other insert has committed (ours waited for it), and this statement's snapshot sees it.
            guard let found = try await fetchJobs(
                session, "SELECT \(unescaped: jobColumns) FROM jobs WHERE idempotency_key = \(key)").first
            else {
                throw MediaJobsError(.storeFailure, "\(url): idempotency key '\(key)' conflicts but no job has it")
            }
            return EnqueueResult(job: found, created: false)
        }
        if !job.spec.labels.isEmpty {
            let labels = job.spec.labels.sorted { $0.key < $1.key }
            try await session.execute("""
                INSERT INTO job_labels (job_id, name, value)
                SELECT \(job.id.rawValue), l.name, l.value
                FROM unnest(\(labels.map(\.key))::text[], \(labels.map(\.value))::text[]) AS l (name, value)
                """)
        }
        let route = job.spec.model.map { "\(job.spec.provider)/\($0)" } ?? job.spec.provider
        let part = job.parentID.map { ", a part of job \($0)" } ?? ""
        try await insertEvent(session, job: job.id, kind: .submitted, attempt: 0, worker: nil,
                              detail: "\(job.kind) via \(route)\(part)", at: now)
        decoder.specs.remember(job.spec, for: job.id.rawValue, jsonBytes: prepared.specJSON.utf8.count)
        return EnqueueResult(job: job, created: true)
    }

    /// The insert of a new queued job (a part of job `parent`, when given); nothing when another job has its
    /// idempotency key.
    static func insertJobQuery(
        id: JobID, kind: String, specJSON: String, priority: Int, runAt: Int64, maxAttempts: Int,
        idempotencyKey: String?, parent: JobID?, now: Int64
    ) -> PostgresQuery {
        """
        INSERT INTO jobs (id, kind, state, spec, priority, run_at, attempts, max_attempts, idempotency_key,
                          created_at, updated_at, parent_id)
        VALUES (\(id.rawValue), \(kind), 'queued', \(specJSON), \(priority), \(runAt), 0, \(maxAttempts),
                \(idempotencyKey), \(now), \(now), \(parent?.rawValue))
        ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING id
        """
    }

    // MARK: - Claim

    /// The claim of up to `limit` runnable jobs of `scope` by `worker`: one `UPDATE` whose subquery picks them in claim
    /// order with `FOR UPDATE SKIP LOCKED`, so concurrent claims take different jobs without waiting for each other.
    /// Claiming a queued job starts an attempt; claiming a waiting one (to poll it) does not.
    static func claimQuery(
        scope: ClaimScope, worker: String, expiry: Int64, now: Int64, limit: Int
    ) -> PostgresQuery {
        // A waiting job's run_at is its poll_at. The text of each scope's statement is fixed (its values are all
        // bound), so it is prepared once per connection.
        let (states, order) = switch scope {
        case .any: ("state IN ('queued', 'waiting')", "priority DESC, run_at")
        case .queued: ("state = 'queued'", "priority DESC, run_at")
        case .duePolls: ("state = 'waiting'", "run_at")
        }
        return """
            UPDATE jobs
            SET state = 'running', attempts = attempts + CASE WHEN state = 'queued' THEN 1 ELSE 0 END,
                lease_owner = \(worker), lease_expires_at = \(expiry), updated_at = \(now), stage = NULL
            WHERE id IN (
                SELECT id FROM jobs
                WHERE \(unescaped: states) AND run_at <= \(now)
                ORDER BY \(unescaped: order)
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            RETURNING \(unescaped: jobColumns)
            """
    }

    public func claim(worker: String, now: Date, leaseExpiry: Date) async throws -> Job? {
        try await claim(worker: worker, now: now, leaseExpiry: leaseExpiry, limit: 1, scope: .any).first
    }

    public func claim(worker: String, now: Date, leaseExpiry: Date, limit: Int) async throws -> [Job] {
        try await claim(worker: worker, now: now, leaseExpiry: leaseExpiry, limit: limit, scope: .any)
    }

    public func claim(worker: String, now: Date, leaseExpiry: Date, limit: Int, scope: ClaimScope) async throws
        -> [Job]
    {
        guard limit > 0 else { return [] }
        let nowTime = StoredTime.encode(now)
        let query = Self.claimQuery(
            scope: scope, worker: worker, expiry: StoredTime.encode(leaseExpiry), now: nowTime, limit: limit)
        let jobs = try await write("claim a job") { session in
            let rows = switch scope {
            case .any: try await session.rows(query, preparedAs: ClaimAny.self)
            case .queued: try await session.rows(query, preparedAs: ClaimQueued.self)
            case .duePolls: try await session.rows(query, preparedAs: ClaimDuePolls.self)
            }
            let jobs = try rows.map(self.decoder.decodeJob)
            try await self.insertEvents(session, kind: .claimed, worker: worker, jobs.map { job in
                (job.id, job.attempts,
                 job.providerHandle == nil ? "attempt \(job.attempts) of \(job.maxAttempts)" : "poll")
            }, at: nowTime)
            return jobs
        }
        if jobs.count < 2 { return jobs }
        // RETURNING gives rows in no promised order.
        return jobs.sorted { ($0.priority, $1.runAt, $1.id) > ($1.priority, $0.runAt, $0.id) }
    }
}
