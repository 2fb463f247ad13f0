import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// Transitions under a lease: heartbeat, complete, fail, wait, release and a kept answer, each checking that the
// caller still holds the job, as the SQLite store makes them.
extension PostgresJobStore {
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
            let job = try await self.complete(session, id, worker: worker, result: result, time: time)
            if let parent = job.parentID { try await self.wakeParent(session, parent, time: time) }
            return job
        }
    }

    public func complete(_ results: [(JobID, JobCompletion)], worker: String, now: Date) async throws {
        if results.isEmpty { return }
        let time = StoredTime.encode(now)
        let items = results.map { CompletionItem(id: $0.0, result: $0.1) }
        try await write("complete \(results.count) jobs") { session in
            var parents: Set<JobID> = []
            for item in items {
                let job = try await self.complete(session, item.id, worker: worker, result: item.result, time: time)
                if let parent = job.parentID { parents.insert(parent) }
            }
            // Once each, in one order: two batches that end parts of the same parents never lock them in a cycle.
            for parent in parents.sorted() {
                try await self.wakeParent(session, parent, time: time)
            }
        }
    }

    private struct CompletionItem: Sendable {
        var id: JobID
        var result: JobCompletion
    }

    /// The success of job `id`, if `worker` holds it; returns its row (whose `parent_id` says whether a parent is to
    /// be woken).
    static func completeQuery(_ id: JobID, worker: String, route: RouteUsed?, time: Int64) -> PostgresQuery {
        """
        UPDATE jobs
        SET state = 'succeeded', finished_at = \(time), updated_at = \(time), lease_owner = NULL,
            lease_expires_at = NULL, stage = NULL, poll_at = NULL, error_code = NULL, error_message = NULL,
            route_used_provider = \(route?.provider), route_used_model = \(route?.model),
            route_used_cache_hit_of = \(route?.cacheHitOf?.rawValue)
        WHERE id = \(id.rawValue) AND state = 'running' AND lease_owner = \(worker)
        RETURNING \(unescaped: jobColumns)
        """
    }

    /// Completes one job inside a transaction; its parent, if it has one, is the caller's to wake.
    private func complete(
        _ session: PostgresSession, _ id: JobID, worker: String, result: JobCompletion, time: Int64
    ) async throws -> Job {
        guard let row = try await session.rows(
            Self.completeQuery(id, worker: worker, route: result.routeUsed, time: time), preparedAs: Complete.self
        ).first else {
            throw try await leaseFailure(session, id)
        }
        let job = try decoder.decodeJob(row)
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

    /// Fails job `id` for good (its row locked already) and wakes its parent, if it has one.
    func finishAsFailed(_ session: PostgresSession, _ id: JobID, error: MediaJobsError, time: Int64) async throws
        -> Job?
    {
        let job = try await fetchJobs(session, """
            UPDATE jobs
            SET state = 'failed', finished_at = \(time), updated_at = \(time), lease_owner = NULL,
                lease_expires_at = NULL, stage = NULL, poll_at = NULL, error_code = \(error.code.rawValue),
                error_message = \(error.message)
            WHERE id = \(id.rawValue)
            RETURNING \(unescaped: jobColumns)
            """).first
        if let parent = job?.parentID { try await wakeParent(session, parent, time: time) }
        return job
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
}
