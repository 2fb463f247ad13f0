import Foundation
import GRDB
import MediaJobsCore

extension RetryPolicy {
    /// The least delay after a 429 that carried no `Retry-After`: the provider wants to be left alone a while.
    public static let minimumRateLimitDelay: TimeInterval = 5

    /// The delay before the attempt after `attempt`, for an attempt that failed with `code`: the policy's
    /// exponential backoff with jitter, at least `minimumRateLimitDelay` after a rate limit, and half of it after
    /// an output that did not validate (the next generation is usually fine).
    public func delay(afterAttempt attempt: Int, code: MediaJobsError.Code) -> TimeInterval {
        let delay = self.delay(afterAttempt: attempt)
        switch code {
        case .rateLimited: return max(RetryPolicy.minimumRateLimitDelay, delay)
        case .mediaInvalidOutput: return delay / 2
        default: return delay
        }
    }
}

extension SQLiteJobStore {
    // MARK: - Claims per pool

    /// The work pool's claim: queued jobs only, over `jobs_queued`.
    static let claimQueuedSQL = """
        UPDATE jobs
        SET state = 'running', attempts = attempts + 1, lease_owner = ?1, lease_expires_at = ?2,
            updated_at = ?3, stage = NULL
        WHERE rowid IN (
            SELECT rowid FROM jobs INDEXED BY jobs_queued
            WHERE state = 'queued' AND run_at <= ?4
            ORDER BY priority DESC, run_at
            LIMIT ?5)
        RETURNING \(jobColumns)
        """

    /// The poll pool's claim: due waiting jobs, earliest first, over `jobs_due_polls` (stops at the first job not due).
    static let claimDuePollsSQL = """
        UPDATE jobs
        SET state = 'running', lease_owner = ?1, lease_expires_at = ?2, updated_at = ?3, stage = NULL
        WHERE rowid IN (
            SELECT rowid FROM jobs INDEXED BY jobs_due_polls
            WHERE state = 'waiting' AND run_at <= ?4
            ORDER BY run_at
            LIMIT ?5)
        RETURNING \(jobColumns)
        """

    public func claim(worker: String, now: Date, leaseExpiry: Date, limit: Int, scope: ClaimScope) async throws -> [Job] {
        let sql: String
        switch scope {
        case .any: return try await claim(worker: worker, now: now, leaseExpiry: leaseExpiry, limit: limit)
        case .queued: sql = SQLiteJobStore.claimQueuedSQL
        case .duePolls: sql = SQLiteJobStore.claimDuePollsSQL
        }
        guard limit > 0 else { return [] }
        let nowTime = StoredTime.encode(now)
        let expiry = StoredTime.encode(leaseExpiry)
        let jobs = try await write("claim a job") { db in
            let statement = try db.cachedStatement(sql: sql)
            let jobs = try self.fetchJobs(statement, [worker, expiry, nowTime, nowTime, limit])
            for job in jobs {
                let detail = job.providerHandle == nil ? "attempt \(job.attempts) of \(job.maxAttempts)" : "poll"
                try self.insertEvent(db, job: job.id.rawValue, kind: .claimed, attempt: job.attempts,
                                     worker: worker, detail: detail, at: nowTime)
            }
            return jobs
        }
        return jobs.sorted { ($0.priority, $1.runAt, $1.id) > ($1.priority, $0.runAt, $0.id) }
    }

    // MARK: - Submission safety

    public func markSubmissionStarted(_ id: JobID, worker: String, detail: String, cost: CostRecord?, now: Date)
        async throws
    {
        let time = StoredTime.encode(now)
        let sent = try cost.map(CostRow.encodeSent)
        try await write("record a submission") { db in
            let statement = try db.cachedStatement(sql: """
                UPDATE jobs SET submission_attempt = attempts, submission_started_at = ?1, submission_route = ?4,
                    submission_cost = ?5, updated_at = ?1
                WHERE id = ?2 AND state = 'running' AND lease_owner = ?3
                RETURNING attempts
                """)
            guard let attempt = try Int.fetchOne(statement, arguments: [time, id.rawValue, worker, detail, sent]) else {
                throw try self.leaseFailure(db, id)
            }
            try self.insertEvent(db, job: id.rawValue, kind: .note, attempt: attempt, worker: worker,
                                 detail: "submission started: \(detail)", at: time)
        }
    }

    public func noteUnknownOutcome(_ id: JobID, worker: String, detail: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("record a request of unknown outcome") { db in
            guard let attempt = try Int.fetchOne(db, sql: """
                SELECT attempts FROM jobs WHERE id = ? AND state = 'running' AND lease_owner = ?
                """, arguments: [id.rawValue, worker])
            else { throw try self.leaseFailure(db, id) }
            try self.recordSubmissionRisk(db, id, attempt: attempt, worker: worker, detail: detail, time: time)
        }
    }

    /// Called by the rescue of a job whose worker died holding it without a handle: if that attempt had sent a
    /// create request, the provider may have made (and billed) a generation that nobody will collect.
    func noteSubmissionRisk(_ db: Database, _ id: JobID, attempt: Int, owner: String, time: Int64) throws {
        let detail = "\(SubmissionRisk.notePrefix): worker \(owner) died after sending attempt \(attempt)'s "
            + "create request and before its answer was stored; the provider may have made and billed it, and the "
            + "next attempt looks for it at the provider where it can, else submits again"
        try recordSubmissionRisk(db, id, attempt: attempt, worker: owner, detail: detail, time: time)
    }

    /// If attempt `attempt` of `id` marked a create request as sent, records that its answer never arrived: a
    /// submission risk, an event saying `detail`, and the request's cost (as marked when it was sent) in the
    /// ledger with an unknown outcome, so the ledger is never below what the provider may have billed.
    func recordSubmissionRisk(_ db: Database, _ id: JobID, attempt: Int, worker: String, detail: String,
                              time: Int64) throws {
        let row = try Row.fetchOne(db, sql: """
            SELECT submission_attempt, submission_started_at, submission_route, submission_cost FROM jobs WHERE id = ?
            """, arguments: [id.rawValue])
        guard let row, row[0] as Int? == attempt else { return }
        try db.execute(sql: """
            INSERT OR IGNORE INTO submission_risks (job_id, attempt, at, detail, submitted_at, route)
            VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [id.rawValue, attempt, time, detail, row[1] as Int64?, row[2] as String?])
        guard db.changesCount > 0 else { return }
        try insertEvent(db, job: id.rawValue, kind: .note, attempt: attempt, worker: worker, detail: detail, at: time)
        if let sent = row[3] as String? {
            let cost = try CostRow.decodeSent(sent, job: id, attempt: attempt, at: StoredTime.decode(time))
            try insertCosts(db, [cost], units: [try CostRow.encodeUnits(cost.units)])
        }
    }

    static let submissionRiskColumns =
        "job_id, attempt, at, detail, submitted_at, route, resolution, resolution_detail, resolved_at"

    static func submissionRisk(_ row: Row) -> SubmissionRisk {
        SubmissionRisk(
            jobID: JobID(rawValue: row[0]), attempt: row[1], at: StoredTime.decode(row[2]), detail: row[3],
            submittedAt: (row[4] as Int64?).map(StoredTime.decode), route: row[5],
            resolution: (row[6] as String?).flatMap(SubmissionRisk.Resolution.init(rawValue:)),
            resolutionDetail: row[7], resolvedAt: (row[8] as Int64?).map(StoredTime.decode))
    }

    public func submissionRisks() async throws -> [SubmissionRisk] {
        try await read("read submission risks") { db in
            try Row.fetchAll(db, sql: """
                SELECT \(SQLiteJobStore.submissionRiskColumns) FROM submission_risks ORDER BY at DESC
                """).map(SQLiteJobStore.submissionRisk)
        }
    }

    public func unsettledSubmissionRisk(_ id: JobID) async throws -> SubmissionRisk? {
        try await read("read a job's submission risk") { db in
            try Row.fetchOne(db, sql: """
                SELECT \(SQLiteJobStore.submissionRiskColumns) FROM submission_risks
                WHERE job_id = ? AND resolution IS NULL ORDER BY attempt DESC LIMIT 1
                """, arguments: [id.rawValue]).map(SQLiteJobStore.submissionRisk)
        }
    }

    public func resolveSubmissionRisk(_ id: JobID, attempt: Int, resolution: SubmissionRisk.Resolution, detail: String,
                                      worker: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("resolve a submission risk") { db in
            guard let current = try Int.fetchOne(db, sql: """
                SELECT attempts FROM jobs WHERE id = ? AND state = 'running' AND lease_owner = ?
                """, arguments: [id.rawValue, worker])
            else { throw try self.leaseFailure(db, id) }
            try db.execute(sql: """
                UPDATE submission_risks SET resolution = ?, resolution_detail = ?, resolved_at = ?
                WHERE job_id = ? AND attempt = ?
                """, arguments: [resolution.rawValue, detail, time, id.rawValue, attempt])
            guard db.changesCount > 0 else {
                throw MediaJobsError(.jobNotFound, "job \(id): no submission risk recorded for attempt \(attempt)")
            }
            // Settled either way: collected (and costed) by this attempt, or never created.
            try db.execute(sql: """
                UPDATE costs SET charged = 0 WHERE job_id = ? AND attempt = ? AND outcome = 'unknown'
                """, arguments: [id.rawValue, attempt])
            let uncounted = db.changesCount > 0 ? "; its ledger entry of unknown outcome no longer counts" : ""
            let said = switch resolution {
            case .foundAtProvider: "found at the provider"
            case .absentAtProvider: "not at the provider (never created)"
            }
            try self.insertEvent(db, job: id.rawValue, kind: .note, attempt: current, worker: worker,
                                 detail: "submission risk of attempt \(attempt) settled: \(said): \(detail)\(uncounted)",
                                 at: time)
        }
    }
}

// MARK: - Provider limits shared by every process on this file

extension SQLiteJobStore {
    public func admit(provider: String, limits: ProviderLimits, now: Date, slotLease: TimeInterval) async throws
        -> ProviderAdmission {
        let time = StoredTime.encode(now)
        if limits.concurrency == nil && limits.requestsPerMinute == nil {
            // Nothing to count: only a pause can hold the request, and reading it needs no write lock.
            let paused = try await pausedUntil(provider: provider)
            if let paused, paused > now {
                return .wait(seconds: paused.timeIntervalSince(now), reason: "\(provider) is paused (429 Retry-After)")
            }
            return .granted(permit: "")
        }
        let expiry = StoredTime.encode(now.addingTimeInterval(slotLease))
        return try await write("admit a provider request") { db in
            let paused = try Int64.fetchOne(db, sql: "SELECT paused_until FROM provider_state WHERE provider = ?",
                                            arguments: [provider]) ?? 0
            if paused > time {
                return .wait(seconds: Double(paused - time) / 1_000_000, reason: "\(provider) is paused (429 Retry-After)")
            }
            if let concurrency = limits.concurrency {
                try db.execute(sql: "DELETE FROM provider_slots WHERE provider = ? AND expires_at < ?",
                               arguments: [provider, time])
                let inFlight = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM provider_slots WHERE provider = ?",
                                                arguments: [provider]) ?? 0
                if inFlight >= concurrency {
                    return .wait(seconds: 0.05, reason: "\(provider) has \(inFlight) of \(concurrency) requests in flight")
                }
            }
            if let perMinute = limits.requestsPerMinute {
                let windowStart = time - 60_000_000
                try db.execute(sql: "DELETE FROM provider_requests WHERE provider = ? AND at <= ?",
                               arguments: [provider, windowStart])
                let row = try Row.fetchOne(db, sql: "SELECT COUNT(*), MIN(at) FROM provider_requests WHERE provider = ?",
                                           arguments: [provider])
                let count: Int = row?[0] ?? 0
                if count >= perMinute, let oldest: Int64 = row?[1] {
                    return .wait(seconds: max(0.01, Double(oldest - windowStart) / 1_000_000),
                                 reason: "\(provider) sent \(count) requests in the last minute (limit \(perMinute))")
                }
                try db.execute(sql: "INSERT INTO provider_requests (provider, at) VALUES (?, ?)", arguments: [provider, time])
            }
            var permit = ""
            if limits.concurrency != nil {
                permit = UUID().uuidString
                try db.execute(sql: "INSERT INTO provider_slots (provider, permit, expires_at) VALUES (?, ?, ?)",
                               arguments: [provider, permit, expiry])
            }
            return .granted(permit: permit)
        }
    }

    public func release(provider: String, permit: String) async throws {
        guard !permit.isEmpty else { return }
        try await write("release a provider request") { db in
            try db.execute(sql: "DELETE FROM provider_slots WHERE provider = ? AND permit = ?", arguments: [provider, permit])
        }
    }

    public func pause(provider: String, until: Date, reason: String, now: Date) async throws {
        let time = StoredTime.encode(until)
        try await write("pause a provider") { db in
            try db.execute(sql: """
                INSERT INTO provider_state (provider, paused_until, pause_reason) VALUES (?1, ?2, ?3)
                ON CONFLICT (provider) DO UPDATE SET
                    pause_reason = CASE WHEN excluded.paused_until > paused_until THEN excluded.pause_reason ELSE pause_reason END,
                    paused_until = MAX(paused_until, excluded.paused_until)
                """, arguments: [provider, time, reason])
        }
    }

    public func pausedUntil(provider: String) async throws -> Date? {
        try await read("read a provider's pause") { db in
            try Int64.fetchOne(db, sql: "SELECT paused_until FROM provider_state WHERE provider = ?", arguments: [provider])
                .flatMap { $0 > 0 ? StoredTime.decode($0) : nil }
        }
    }
}
