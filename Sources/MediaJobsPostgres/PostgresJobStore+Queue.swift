import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// The queue: enqueue, claims, and every transition of a job's life, as the SQLite store makes them.
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
        if specs.isEmpty { return [] }
        let encoder = JSONEncoder()
        let prepared = try specs.map { try PreparedJob($0, now: now, encoder: encoder) }
        return try await write("enqueue \(specs.count) jobs") { session in
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

        init(_ spec: JobSpec, now: Date, encoder: JSONEncoder) throws {
            let id = JobID.generate(now: now)
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
                runAt: runAt, createdAt: time, updatedAt: time)
        }
    }

    private func insert(_ session: PostgresSession, _ prepared: PreparedJob) async throws -> EnqueueResult {
        let job = prepared.job
        let now = StoredTime.encode(job.createdAt)
        let inserted = try await session.rows("""
            INSERT INTO jobs (id, kind, state, spec, priority, run_at, attempts, max_attempts, idempotency_key,
                              created_at, updated_at)
            VALUES (\(job.id.rawValue), \(job.kind.rawValue), 'queued', \(prepared.specJSON), \(job.priority),
                    \(StoredTime.encode(job.runAt)), 0, \(job.maxAttempts), \(job.spec.idempotencyKey), \(now), \(now))
            ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING id
            """)
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
        try await insertEvent(session, job: job.id, kind: .submitted, attempt: 0, worker: nil,
                              detail: "\(job.kind) via \(route)", at: now)
        decoder.remember(job.spec, for: job.id.rawValue, jsonBytes: prepared.specJSON.utf8.count)
        return EnqueueResult(job: job, created: true)
    }

    // MARK: - Claim

    /// The claim of up to `limit` runnable jobs of `scope` by `worker`: one `UPDATE` whose subquery picks them in claim
    /// order with `FOR UPDATE SKIP LOCKED`, so concurrent claims take different jobs without waiting for each other.
    /// Claiming a queued job starts an attempt; claiming a waiting one (to poll it) does not.
    static func claimQuery(
        scope: ClaimScope, worker: String, expiry: Int64, now: Int64, limit: Int
    ) -> PostgresQuery {
        let runnable = switch scope {
        // A waiting job's run_at is its poll_at.
        case .any: "state IN ('queued', 'waiting') AND run_at <= \(now) ORDER BY priority DESC, run_at"
        case .queued: "state = 'queued' AND run_at <= \(now) ORDER BY priority DESC, run_at"
        case .duePolls: "state = 'waiting' AND run_at <= \(now) ORDER BY run_at"
        }
        return """
            UPDATE jobs
            SET state = 'running', attempts = attempts + CASE WHEN state = 'queued' THEN 1 ELSE 0 END,
                lease_owner = \(worker), lease_expires_at = \(expiry), updated_at = \(now), stage = NULL
            WHERE id IN (
                SELECT id FROM jobs
                WHERE \(unescaped: runnable)
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
            let jobs = try await self.fetchJobs(session, query)
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

    // MARK: - Transitions under a lease

    public func heartbeat(_ id: JobID, worker: String, leaseExpiry: Date) async throws {
        let expiry = StoredTime.encode(leaseExpiry)
        let now = StoredTime.encode(Date())
        try await write("extend a lease") { session in
            if try await !self.renewLease(session, id, worker: worker, expiry: expiry, now: now) {
                throw try await self.leaseFailure(session, id)
            }
        }
    }

    /// Extends `worker`'s lease of `id` to `expiry`; false when it holds no lease of it any more. A lease that lapsed
    /// while its worker was busy (starved of CPU, not dead) and that nobody took over is renewed, and the lapse is
    /// told as such.
    func renewLease(_ session: PostgresSession, _ id: JobID, worker: String, expiry: Int64, now: Int64) async throws
        -> Bool
    {
        guard let previous = try await session.rows("""
            SELECT attempts, lease_expires_at FROM jobs
            WHERE id = \(id.rawValue) AND state = 'running' AND lease_owner = \(worker)
            FOR NO KEY UPDATE
            """).first else { return false }
        let (attempts, lapsedAt) = try previous.decode((Int, Int64?).self)
        try await session.execute("UPDATE jobs SET lease_expires_at = \(expiry) WHERE id = \(id.rawValue)")
        if let lapsedAt, lapsedAt < now {
            try await insertEvent(session, job: id, kind: .note, attempt: attempts, worker: worker, detail: String(
                format: "the lease of worker %@ lapsed %.1f s before it was renewed: the worker was busy, not dead",
                worker, Double(now - lapsedAt) / 1_000_000), at: now)
        }
        return true
    }

    @discardableResult
    public func complete(_ id: JobID, worker: String, result: JobCompletion, now: Date) async throws -> Job {
        let time = StoredTime.encode(now)
        return try await write("complete a job") { session in
            try await self.complete(session, id, worker: worker, result: result, time: time)
        }
    }

    public func complete(_ results: [(JobID, JobCompletion)], worker: String, now: Date) async throws {
        if results.isEmpty { return }
        let time = StoredTime.encode(now)
        let items = results.map { CompletionItem(id: $0.0, result: $0.1) }
        try await write("complete \(results.count) jobs") { session in
            for item in items {
                _ = try await self.complete(session, item.id, worker: worker, result: item.result, time: time)
            }
        }
    }

    private struct CompletionItem: Sendable {
        var id: JobID
        var result: JobCompletion
    }

    /// Completes one job inside a transaction.
    private func complete(
        _ session: PostgresSession, _ id: JobID, worker: String, result: JobCompletion, time: Int64
    ) async throws -> Job {
        let route = result.routeUsed
        guard let job = try await fetchJobs(session, """
            UPDATE jobs
            SET state = 'succeeded', finished_at = \(time), updated_at = \(time), lease_owner = NULL,
                lease_expires_at = NULL, stage = NULL, poll_at = NULL, error_code = NULL, error_message = NULL,
                route_used_provider = \(route?.provider), route_used_model = \(route?.model),
                route_used_cache_hit_of = \(route?.cacheHitOf?.rawValue)
            WHERE id = \(id.rawValue) AND state = 'running' AND lease_owner = \(worker)
            RETURNING \(unescaped: jobColumns)
            """).first else {
            throw try await leaseFailure(session, id)
        }
        for artifact in result.artifacts {
            try await insertArtifact(session, artifact, job: id, time: time)
        }
        try await insertCosts(session, result.costs)
        try await insertEvent(session, job: id, kind: .succeeded, attempt: job.attempts, worker: worker,
                              detail: result.detail, at: time)
        return job
    }

    @discardableResult
    public func fail(
        _ id: JobID, worker: String, error: MediaJobsError, retryable: Bool, costs: [CostRecord], notBefore: Date?,
        now: Date
    ) async throws -> Job {
        let time = StoredTime.encode(now)
        let earliest = notBefore.map { max(0, $0.timeIntervalSince(now)) } ?? 0
        let policy = retryPolicy
        return try await write("fail a job") { session in
            guard let row = try await session.rows("""
                SELECT attempts, max_attempts FROM jobs
                WHERE id = \(id.rawValue) AND state = 'running' AND lease_owner = \(worker)
                FOR NO KEY UPDATE
                """).first else {
                throw try await self.leaseFailure(session, id)
            }
            let (attempts, maxAttempts) = try row.decode((Int, Int).self)
            try await self.insertCosts(session, costs)
            let job: Job?
            if retryable && attempts < maxAttempts {
                let backoff = policy.delay(afterAttempt: attempts, code: error.code)
                let delay = max(backoff, earliest)
                let runAt = time + Int64((delay * 1_000_000).rounded())
                job = try await self.fetchJobs(session, """
                    UPDATE jobs
                    SET state = 'queued', run_at = \(runAt), updated_at = \(time), lease_owner = NULL,
                        lease_expires_at = NULL, stage = NULL, provider_handle = NULL, poll_at = NULL,
                        error_code = \(error.code.rawValue), error_message = \(error.message)
                    WHERE id = \(id.rawValue)
                    RETURNING \(unescaped: jobColumns)
                    """).first
                let detail = "attempt \(attempts) of \(maxAttempts) failed (\(error)); next attempt in "
                    + String(format: "%.1f s", delay) + (earliest > backoff ? " (the provider's Retry-After)" : "")
                try await self.insertEvent(session, job: id, kind: .retryScheduled, attempt: attempts, worker: worker,
                                           detail: detail, at: time)
                try await self.notifyJobs(session)
            } else {
                job = try await self.finishAsFailed(session, id, error: error, time: time)
                try await self.insertEvent(session, job: id, kind: .failed, attempt: attempts, worker: worker,
                                           detail: error.description, at: time)
            }
            guard let job else { throw Self.notFound(id) }
            return job
        }
    }

    func finishAsFailed(_ session: PostgresSession, _ id: JobID, error: MediaJobsError, time: Int64) async throws
        -> Job?
    {
        try await fetchJobs(session, """
            UPDATE jobs
            SET state = 'failed', finished_at = \(time), updated_at = \(time), lease_owner = NULL,
                lease_expires_at = NULL, stage = NULL, poll_at = NULL, error_code = \(error.code.rawValue),
                error_message = \(error.message)
            WHERE id = \(id.rawValue)
            RETURNING \(unescaped: jobColumns)
            """).first
    }

    @discardableResult
    public func wait(_ id: JobID, worker: String, handle: String, pollAt: Date, now: Date) async throws -> Job {
        let time = StoredTime.encode(now)
        let poll = StoredTime.encode(pollAt)
        return try await write("move a job to waiting") { session in
            guard let job = try await self.fetchJobs(session, """
                UPDATE jobs
                SET state = 'waiting', provider_handle = \(handle), poll_at = \(poll), run_at = \(poll),
                    updated_at = \(time), lease_owner = NULL, lease_expires_at = NULL, stage = NULL
                WHERE id = \(id.rawValue) AND state = 'running' AND lease_owner = \(worker)
                RETURNING \(unescaped: jobColumns)
                """).first else {
                throw try await self.leaseFailure(session, id)
            }
            try await self.insertEvent(session, job: id, kind: .waiting, attempt: job.attempts, worker: worker,
                                       detail: "next poll at \(ISO8601DateFormatter().string(from: pollAt))", at: time)
            return job
        }
    }

    public func release(_ id: JobID, worker: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("release a job") { session in
            // A job claimed to poll goes back to waiting (its generation is still running at the provider); any other
            // goes back to queued without counting the attempt.
            guard let row = try await session.rows("""
                UPDATE jobs
                SET state = CASE WHEN provider_handle IS NULL THEN 'queued' ELSE 'waiting' END,
                    attempts = CASE WHEN provider_handle IS NULL THEN GREATEST(attempts - 1, 0) ELSE attempts END,
                    updated_at = \(time), lease_owner = NULL, lease_expires_at = NULL, stage = NULL
                WHERE id = \(id.rawValue) AND state = 'running' AND lease_owner = \(worker)
                RETURNING attempts, state
                """).first else {
                throw try await self.leaseFailure(session, id)
            }
            let (attempts, state) = try row.decode((Int, String).self)
            try await self.insertEvent(session, job: id, kind: .released, attempt: attempts, worker: worker,
                                       detail: "given back to the queue (\(state))", at: time)
            try await self.notifyJobs(session)
        }
    }

    public func keepAnswer(_ id: JobID, worker: String, handle: String, detail: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("keep a provider's answer") { session in
            guard let attempt = try await session.rows("""
                UPDATE jobs SET provider_handle = \(handle), updated_at = \(time)
                WHERE id = \(id.rawValue) AND state = 'running' AND lease_owner = \(worker)
                RETURNING attempts
                """).first?.decode(Int.self) else {
                throw try await self.leaseFailure(session, id)
            }
            try await self.insertEvent(session, job: id, kind: .note, attempt: attempt, worker: worker,
                                       detail: detail, at: time)
        }
    }

    // MARK: - Transitions by users and the janitor

    @discardableResult
    public func cancel(_ id: JobID, now: Date) async throws -> Job {
        let time = StoredTime.encode(now)
        return try await write("cancel a job") { session in
            guard let current = try await self.fetchJobs(session, """
                SELECT \(unescaped: jobColumns) FROM jobs WHERE id = \(id.rawValue) FOR NO KEY UPDATE
                """).first else { throw Self.notFound(id) }
            guard !current.state.isFinal else {
                throw MediaJobsError(.invalidTransition, "job \(id): cannot cancel a job that is \(current.state)")
            }
            guard let job = try await self.fetchJobs(session, """
                UPDATE jobs
                SET state = 'canceled', finished_at = \(time), updated_at = \(time), lease_owner = NULL,
                    lease_expires_at = NULL, stage = NULL
                WHERE id = \(id.rawValue)
                RETURNING \(unescaped: jobColumns)
                """).first else { throw Self.notFound(id) }
            let detail = current.leaseOwner.map { "canceled while \(current.state) (worker \($0) loses its lease)" }
                ?? "canceled while \(current.state)"
            try await self.insertEvent(session, job: id, kind: .canceled, attempt: job.attempts, worker: nil,
                                       detail: detail, at: time)
            return job
        }
    }

    @discardableResult
    public func retry(_ id: JobID, now: Date) async throws -> Job {
        let time = StoredTime.encode(now)
        return try await write("retry a job") { session in
            guard let job = try await self.fetchJobs(session, """
                UPDATE jobs
                SET state = 'queued', attempts = 0, run_at = \(time), updated_at = \(time), finished_at = NULL,
                    error_code = NULL, error_message = NULL, provider_handle = NULL, poll_at = NULL, stage = NULL,
                    lease_owner = NULL, lease_expires_at = NULL
                WHERE id = \(id.rawValue) AND state IN ('failed', 'canceled')
                RETURNING \(unescaped: jobColumns)
                """).first else {
                guard let current = try await self.fetchJob(session, id) else { throw Self.notFound(id) }
                throw MediaJobsError(
                    .invalidTransition, "job \(id): only failed or canceled jobs can be retried; it is \(current.state)")
            }
            try await self.insertEvent(session, job: id, kind: .requeued, attempt: 0, worker: nil,
                                       detail: "retried by request with \(job.maxAttempts) fresh attempts", at: time)
            try await self.notifyJobs(session)
            return job
        }
    }

    @discardableResult
    public func rescueExpiredLeases(now: Date, sparing: Set<JobID>) async throws -> Int {
        let time = StoredTime.encode(now)
        return try await write("rescue expired leases") { session in
            // SKIP LOCKED: a job whose row another transaction holds is being renewed or ended right now.
            let expired = try await session.rows("""
                SELECT id, attempts, max_attempts, lease_owner, provider_handle IS NOT NULL, lease_expires_at
                FROM jobs WHERE state = 'running' AND lease_expires_at < \(time)
                FOR NO KEY UPDATE SKIP LOCKED
                """)
            var rescued = 0
            for row in expired {
                let (rawID, attempts, maxAttempts, leaseOwner, polling, expiredAtMicros) =
                    try row.decode((String, Int, Int, String?, Bool, Int64).self)
                let id = JobID(rawValue: rawID)
                if sparing.contains(id) { continue }
                rescued += 1
                let owner = leaseOwner ?? "unknown"
                let expiredAt = StoredTime.decode(expiredAtMicros)
                let lapse = "lease of worker \(owner) expired at \(ISO8601DateFormatter().string(from: expiredAt))"
                if polling {
                    // The provider is still generating: poll again rather than pay for a new generation.
                    try await session.execute("""
                        UPDATE jobs SET state = 'waiting', run_at = \(time), updated_at = \(time), lease_owner = NULL,
                            lease_expires_at = NULL, stage = NULL
                        WHERE id = \(rawID)
                        """)
                    try await self.insertEvent(session, job: id, kind: .leaseExpired, attempt: attempts, worker: owner,
                                               detail: "\(lapse); back to waiting", at: time)
                } else if attempts < maxAttempts {
                    try await self.noteSubmissionRisk(session, id, attempt: attempts, owner: owner, time: time)
                    try await session.execute("""
                        UPDATE jobs SET state = 'queued', run_at = \(time), updated_at = \(time), lease_owner = NULL,
                            lease_expires_at = NULL, stage = NULL, error_code = \(MediaJobsError.Code.leaseExpired.rawValue),
                            error_message = \(lapse)
                        WHERE id = \(rawID)
                        """)
                    try await self.insertEvent(session, job: id, kind: .leaseExpired, attempt: attempts, worker: owner,
                                               detail: "\(lapse); requeued (attempt \(attempts) of \(maxAttempts))",
                                               at: time)
                } else {
                    try await self.noteSubmissionRisk(session, id, attempt: attempts, owner: owner, time: time)
                    let error = MediaJobsError(
                        .leaseExpired, "\(lapse) on the last attempt (\(attempts) of \(maxAttempts))")
                    _ = try await self.finishAsFailed(session, id, error: error, time: time)
                    try await self.insertEvent(session, job: id, kind: .leaseExpired, attempt: attempts, worker: owner,
                                               detail: "\(lapse); failed, no attempts left", at: time)
                }
            }
            if rescued > 0 { try await self.notifyJobs(session) }
            return rescued
        }
    }

    /// Queued and waiting jobs whose deadline has passed at `now`: `deadline_seconds` (else the default of their kind)
    /// after their submission, or after their last retry by request when that came later.
    static func pastDeadlineQuery(now: Int64, lock: Bool) -> PostgresQuery {
        """
        SELECT j.id FROM jobs AS j
        WHERE j.state IN ('queued', 'waiting')
          AND GREATEST(j.created_at, COALESCE(
                (SELECT MAX(e.at) FROM job_events AS e WHERE e.job_id = j.id AND e.kind = 'requeued'), 0))
              + CAST(trunc(COALESCE((j.spec::jsonb ->> 'deadline_seconds')::double precision,
                              CASE j.kind WHEN 'video' THEN \(JobSpec.defaultDeadlineSeconds(for: .video))
                                          ELSE \(JobSpec.defaultDeadlineSeconds(for: .tts)) END) * 1000000)
                     AS BIGINT) <= \(now)
        \(unescaped: lock ? "FOR NO KEY UPDATE OF j SKIP LOCKED" : "")
        """
    }

    public func sweepPastDeadline(now: Date, worker: String, error: @escaping @Sendable (Job) -> MediaJobsError)
        async throws -> [Job]
    {
        let time = StoredTime.encode(now)
        // The scan is a read, so the usual sweep that finds nothing writes nothing.
        let due = try await read("find jobs past their deadline") { session in
            try await session.rows(Self.pastDeadlineQuery(now: time, lock: false)).map { try $0.decode(String.self) }
        }
        guard !due.isEmpty else { return [] }
        return try await write("time out jobs past their deadline") { session in
            // Checked again under row locks: a job claimed, finished or retried since the read is left alone.
            let still = Set(try await session.rows(Self.pastDeadlineQuery(now: time, lock: true)).map {
                try $0.decode(String.self)
            })
            var timedOut: [Job] = []
            var madeDue = false
            for rawID in due where still.contains(rawID) {
                let id = JobID(rawValue: rawID)
                guard let before = try await self.fetchJob(session, id) else { continue }
                if before.state == .waiting {
                    // A waiting job is not failed here: its generation may be finished (and paid for) at the provider.
                    // It is made due, so a poll slot gives it its last look (`Worker.lastLookGrace`) at once.
                    let changed = try await session.rows("""
                        UPDATE jobs SET run_at = \(time), poll_at = \(time)
                        WHERE id = \(rawID) AND state = 'waiting' AND run_at > \(time)
                        RETURNING id
                        """)
                    madeDue = madeDue || !changed.isEmpty
                    continue
                }
                let failure = error(before)
                guard let job = try await self.fetchJobs(session, """
                    UPDATE jobs
                    SET state = 'failed', finished_at = \(time), updated_at = \(time), lease_owner = NULL,
                        lease_expires_at = NULL, stage = NULL, poll_at = NULL, error_code = \(failure.code.rawValue),
                        error_message = \(failure.message)
                    WHERE id = \(rawID) AND state = 'queued'
                    RETURNING \(unescaped: jobColumns)
                    """).first else { continue }
                try await self.insertEvent(session, job: id, kind: .failed, attempt: job.attempts, worker: worker,
                                           detail: "\(failure) (found \(before.state) by the deadline sweep)", at: time)
                timedOut.append(job)
            }
            if madeDue { try await self.notifyJobs(session) }
            return timedOut
        }
    }
}
