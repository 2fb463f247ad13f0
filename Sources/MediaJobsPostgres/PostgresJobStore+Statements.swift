import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// MARK: - Statements shared by the protocols' implementations

extension PostgresJobStore {
    /// The channel `NOTIFY` tells of work to claim: a job enqueued, or made runnable again.
    static let jobsChannel = "mediajobs_jobs"

    func fetchJobs(_ session: PostgresSession, _ query: PostgresQuery) async throws -> [Job] {
        try await session.rows(query).map(decoder.decodeJob)
    }

    func fetchJob(_ session: PostgresSession, _ id: JobID) async throws -> Job? {
        try await session.rows(Self.fetchJobQuery(id), preparedAs: FetchJob.self).first.map(decoder.decodeJob)
    }

    static func fetchJobQuery(_ id: JobID) -> PostgresQuery {
        "SELECT \(unescaped: jobColumns) FROM jobs WHERE id = \(id.rawValue)"
    }

    /// Makes `parent`, waiting on its parts, due now: one of its parts has ended, so it looks at them again at once
    /// rather than at its next poll. When it was made due, listeners are told (`notifyJobs`), so that a poll slot of
    /// any process takes it. A parent that is not waiting, or is due already, is left as it is.
    ///
    /// The transaction must hold the part's row lock already: a part's row is locked before its parent's (`cancel`
    /// too locks a job's parts before the job), so a part's transition and its parent's never wait for each other in
    /// a cycle. Should other transactions (two sweeps waking the same parents in other orders) deadlock, PostgreSQL
    /// rolls one back and `write` runs it again.
    func wakeParent(_ session: PostgresSession, _ parent: JobID, time: Int64) async throws {
        let woken = try await session.rows("""
            UPDATE jobs SET run_at = \(time), poll_at = \(time)
            WHERE id = \(parent.rawValue) AND state = 'waiting' AND poll_at > \(time)
            RETURNING id
            """)
        if !woken.isEmpty { try await notifyJobs(session) }
    }

    /// Locks job `id`'s row until the transaction ends (as an `UPDATE` of it would) and returns its attempts; nil when
    /// there is no such job. Events are numbered per job while holding this lock (see `insertEvent`).
    func lockJob(_ session: PostgresSession, _ id: JobID) async throws -> Int? {
        try await session.rows("SELECT attempts FROM jobs WHERE id = \(id.rawValue) FOR NO KEY UPDATE")
            .first?.decode(Int.self)
    }

    /// After a guarded update changed nothing: not found, or the lease is gone.
    func leaseFailure(_ session: PostgresSession, _ id: JobID) async throws -> MediaJobsError {
        let exists = try await !session.rows("SELECT 1 FROM jobs WHERE id = \(id.rawValue)").isEmpty
        return exists ? Self.leaseLost(id) : Self.notFound(id)
    }

    /// Appends an event to `job`'s story, numbered one past its last event.
    ///
    /// The transaction must already hold `job`'s row lock (it updated the row, inserted it, or called `lockJob`), and
    /// this must be a later statement than the one that took the lock: then no other transaction numbers an event of
    /// the same job until this one ends, and this statement's snapshot sees every event committed before.
    func insertEvent(
        _ session: PostgresSession, job: JobID, kind: JobEvent.Kind, attempt: Int, worker: String?, detail: String,
        at: Int64
    ) async throws {
        try await session.rows(
            Self.insertEventQuery(job: job, kind: kind, attempt: attempt, worker: worker, detail: detail, at: at),
            preparedAs: InsertEvent.self)
    }

    static func insertEventQuery(
        job: JobID, kind: JobEvent.Kind, attempt: Int, worker: String?, detail: String, at: Int64
    ) -> PostgresQuery {
        """
        INSERT INTO job_events (job_id, id, at, kind, attempt, worker, detail)
        VALUES (\(job.rawValue), (SELECT COALESCE(MAX(id), 0) + 1 FROM job_events WHERE job_id = \(job.rawValue)),
                \(at), \(kind.rawValue), \(attempt), \(worker), \(detail))
        """
    }

    /// Appends one event of the same kind, worker and time to each of several jobs, in one statement (with
    /// `insertEvent`'s locking rule for each job). `events` pairs each job with its attempt and detail.
    func insertEvents(
        _ session: PostgresSession, kind: JobEvent.Kind, worker: String?,
        _ events: [(job: JobID, attempt: Int, detail: String)], at: Int64
    ) async throws {
        guard !events.isEmpty else { return }
        if events.count == 1, let event = events.first {
            try await insertEvent(session, job: event.job, kind: kind, attempt: event.attempt, worker: worker,
                                  detail: event.detail, at: at)
            return
        }
        try await session.execute("""
            INSERT INTO job_events (job_id, id, at, kind, attempt, worker, detail)
            SELECT c.job_id, (SELECT COALESCE(MAX(e.id), 0) + 1 FROM job_events e WHERE e.job_id = c.job_id),
                   \(at), \(kind.rawValue), c.attempt, \(worker), c.detail
            FROM unnest(\(events.map(\.job.rawValue))::text[], \(events.map(\.attempt))::bigint[],
                        \(events.map(\.detail))::text[]) AS c (job_id, attempt, detail)
            """)
    }

    /// Stores an artifact's metadata row (kept when it exists) and, with `job`, links it to the job after its other
    /// artifacts (a link that exists is kept).
    func insertArtifact(_ session: PostgresSession, _ artifact: ArtifactRef, job: JobID?, time: Int64) async throws {
        guard ArtifactRef.isValidSHA256(artifact.sha256) else {
            throw MediaJobsError(.invalidInput, "artifact sha256 '\(artifact.sha256)' is not 64 lowercase hex digits")
        }
        try await session.execute("""
            INSERT INTO artifacts (sha256, mime, bytes, format, duration_s, width, height, codec, created_at)
            VALUES (\(artifact.sha256), \(artifact.mime), \(artifact.bytes), \(artifact.format),
                    \(artifact.durationSeconds), \(artifact.width), \(artifact.height), \(artifact.codec), \(time))
            ON CONFLICT (sha256) DO NOTHING
            """)
        guard let job else { return }
        let checks = try ArtifactRow.encode(artifact.checks)
        try await session.execute("""
            INSERT INTO job_artifacts (job_id, sha256, role, position, checks)
            VALUES (\(job.rawValue), \(artifact.sha256), \(artifact.role.rawValue),
                    (SELECT COALESCE(MAX(position), -1) + 1 FROM job_artifacts WHERE job_id = \(job.rawValue)), \(checks))
            ON CONFLICT (job_id, sha256, role) DO NOTHING
            """)
    }

    /// Appends cost records to the ledger.
    func insertCosts(_ session: PostgresSession, _ costs: [CostRecord]) async throws {
        for cost in costs {
            let units = try CostRow.encodeUnits(cost.units)
            let lines = try CostRow.encodeLines(cost.lines)
            try await session.execute("""
                INSERT INTO costs (job_id, attempt, provider, model, units, usd_picos, source, charged, raw_usage, at,
                                   lines, outcome)
                VALUES (\(cost.jobID.rawValue), \(cost.attempt), \(cost.provider), \(cost.model), \(units),
                        \(cost.usd?.picos), \(cost.source.rawValue), \(cost.charged), \(cost.rawUsage),
                        \(StoredTime.encode(cost.at)), \(lines), \(cost.outcome.rawValue))
                """)
        }
    }

    /// Called by the rescue of a job whose worker died holding it without a handle: if that attempt had sent a
    /// create request, the provider may have made (and billed) a generation that nobody will collect.
    func noteSubmissionRisk(_ session: PostgresSession, _ id: JobID, attempt: Int, owner: String, time: Int64)
        async throws
    {
        let detail = "\(SubmissionRisk.notePrefix): worker \(owner) died after sending attempt \(attempt)'s "
            + "create request and before its answer was stored; the provider may have made and billed it, and the "
            + "next attempt looks for it at the provider where it can, else submits again"
        try await recordSubmissionRisk(session, id, attempt: attempt, worker: owner, detail: detail, time: time)
    }

    /// If attempt `attempt` of `id` marked a create request as sent, records that its answer never arrived: a
    /// submission risk, an event saying `detail`, and the request's cost (as marked when it was sent) in the ledger
    /// with an unknown outcome, so the ledger is never below what the provider may have billed. The job's row must be
    /// locked.
    func recordSubmissionRisk(
        _ session: PostgresSession, _ id: JobID, attempt: Int, worker: String, detail: String, time: Int64
    ) async throws {
        guard let row = try await session.rows("""
            SELECT submission_attempt, submission_started_at, submission_route, submission_cost FROM jobs
            WHERE id = \(id.rawValue)
            """).first else { return }
        let (marked, startedAt, route, sent) = try row.decode((Int?, Int64?, String?, String?).self)
        guard marked == attempt else { return }
        let inserted = try await session.rows("""
            INSERT INTO submission_risks (job_id, attempt, at, detail, submitted_at, route)
            VALUES (\(id.rawValue), \(attempt), \(time), \(detail), \(startedAt), \(route))
            ON CONFLICT (job_id, attempt) DO NOTHING
            RETURNING attempt
            """)
        guard !inserted.isEmpty else { return }
        try await insertEvent(session, job: id, kind: .note, attempt: attempt, worker: worker, detail: detail, at: time)
        if let sent {
            let cost = try CostRow.decodeSent(sent, job: id, attempt: attempt, at: StoredTime.decode(time))
            try await insertCosts(session, [cost])
        }
    }
}
