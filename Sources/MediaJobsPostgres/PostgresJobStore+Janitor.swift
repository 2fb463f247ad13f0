import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// Transitions by users and the janitor: cancel, retry, the rescue of expired leases and the deadline sweep, as the
// SQLite store makes them.
extension PostgresJobStore {
    @discardableResult
    public func cancel(_ id: JobID, now: Date) async throws -> Job {
        let time = StoredTime.encode(now)
        return try await write("cancel a job") { session in
            // Its parts that have not ended stop with it. They are locked before the job itself, as a part that ends
            // locks its own row before its parent's (`wakeParent`); a job that cannot be canceled rolls this back.
            let parts = try await session.rows("""
                UPDATE jobs
                SET state = 'canceled', finished_at = \(time), updated_at = \(time), lease_owner = NULL,
                    lease_expires_at = NULL, stage = NULL
                WHERE parent_id = \(id.rawValue) AND state IN ('queued', 'running', 'waiting')
                RETURNING id, attempts
                """).map { row in
                let (part, attempts) = try row.decode((String, Int).self)
                return (job: JobID(rawValue: part), attempt: attempts,
                        detail: "canceled with job \(id), which it is a part of")
            }
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
            try await self.insertEvents(session, kind: .canceled, worker: nil, parts, at: time)
            if let parent = job.parentID { try await self.wakeParent(session, parent, time: time) }
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
    /// after their submission, or after their last retry by request when that came later. A job waiting on its parts
    /// with no `deadline_seconds` of its own is left to its parts' deadlines (see `PartsHandle`).
    static func pastDeadlineQuery(now: Int64, lock: Bool) -> PostgresQuery {
        """
        SELECT j.id FROM jobs AS j
        WHERE j.state IN ('queued', 'waiting')
          AND NOT (j.state = 'waiting' AND starts_with(COALESCE(j.provider_handle, ''), \(PartsHandle.prefix))
                   AND (j.spec::jsonb ->> 'deadline_seconds') IS NULL)
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
                if let parent = job.parentID { try await self.wakeParent(session, parent, time: time) }
                timedOut.append(job)
            }
            if madeDue { try await self.notifyJobs(session) }
            return timedOut
        }
    }
}
