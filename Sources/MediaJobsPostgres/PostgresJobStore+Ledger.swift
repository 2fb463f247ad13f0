import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// The ledger: cost records, their sums and report lines, budget holds, and the submission-risk lifecycle.
extension PostgresJobStore {
    /// The key of the advisory lock that `reserveBudget` takes (`pg_advisory_xact_lock`): "budgets" in ASCII. It
    /// puts every check of a budget in one line across all processes, as SQLite's single writer does.
    static let budgetLock: Int64 = 0x62_7564_6765_7473

    // MARK: - Cost records

    public func costs(_ id: JobID) async throws -> [CostRecord] {
        try await read("read a job's costs") { session in
            try await session.rows("""
                SELECT \(unescaped: CostRow.columns) FROM costs WHERE job_id = \(id.rawValue) ORDER BY id
                """).map(CostRow.decode)
        }
    }

    public func costRecords(since: Date?, until: Date?) async throws -> [CostRecord] {
        let lower = since.map(StoredTime.encode) ?? Int64.min
        let upper = until.map(StoredTime.encode) ?? Int64.max
        return try await read("read cost records") { session in
            try await session.rows("""
                SELECT \(unescaped: CostRow.columns) FROM costs WHERE at >= \(lower) AND at < \(upper) ORDER BY at, id
                """).map(CostRow.decode)
        }
    }

    /// The exact sum of recorded costs in `[since, until)`, charged attempts only, with the count of those whose
    /// amount is unknown.
    public func totalCost(since: Date?, until: Date?) async throws -> CostTotal {
        let lower = since.map(StoredTime.encode) ?? Int64.min
        let upper = until.map(StoredTime.encode) ?? Int64.max
        return try await read("sum costs") { session in
            // SUM over BIGINT is NUMERIC, exact; the cast back fails on overflow rather than rounding. SUM and COUNT
            // skip NULLs (unknown amounts).
            let row = try await session.rows("""
                SELECT COALESCE(SUM(usd_picos), 0)::BIGINT, COUNT(usd_picos), COUNT(*) - COUNT(usd_picos)
                FROM costs WHERE at >= \(lower) AND at < \(upper) AND charged
                """).first
            let (known, knownRecords, unknown) = try row?.decode((Int64, Int, Int).self) ?? (Int64(0), 0, 0)
            return CostTotal(known: Money(picos: known), knownRecords: knownRecords, unknown: unknown)
        }
    }

    public func costLines(since: Date?, until: Date?, label: String?) async throws -> [CostLine] {
        let lower = since.map(StoredTime.encode) ?? Int64.min
        let upper = until.map(StoredTime.encode) ?? Int64.max
        let columns = CostRow.columns.split(separator: ",").map { "c." + $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: ", ")
        return try await read("read cost lines") { session in
            // `->>` reads a JSON string member as text, NULL when absent or null: what SQLite's json_extract gives.
            let rows = try await session.rows("""
                SELECT \(unescaped: columns), j.kind, l.value, j.spec::json ->> 'provider', j.spec::json ->> 'model',
                       j.state, j.route_used_provider, j.route_used_model, j.parent_id
                FROM costs c JOIN jobs j ON j.id = c.job_id
                LEFT JOIN job_labels l ON l.job_id = c.job_id AND l.name = \(label ?? "")
                WHERE c.at >= \(lower) AND c.at < \(upper) ORDER BY c.at, c.id
                """)
            return try rows.map { row in
                let cells = row.makeRandomAccess()
                let kindText: String = try cells.value(12)
                guard let kind = JobKind(rawValue: kindText) else {
                    throw MediaJobsError(.storeFailure, "\(self.url): a job holds an unknown kind '\(kindText)'")
                }
                let asked = Route(provider: try cells.value(14, as: String?.self) ?? JobSpec.defaultProvider,
                                  model: try cells.value(15, as: String?.self))
                let used = try cells.value(17, as: String?.self).map { provider in
                    Route(provider: provider, model: try cells.value(18, as: String?.self)).description
                }
                let succeeded = try cells.value(16, as: String.self) == JobState.succeeded.rawValue
                return CostLine(record: try CostRow.decode(row), kind: kind,
                                label: label == nil ? nil : try cells.value(13, as: String?.self),
                                routeAsked: asked.description, routeUsed: used ?? (succeeded ? "unknown" : ""),
                                parent: try cells.value(19, as: String?.self).map { JobID(rawValue: $0) })
            }
        }
    }

    // MARK: - Budgets

    /// Checks and records the hold in one transaction that holds `budgetLock`: two workers on any machines cannot both
    /// take the last of a budget. Each limit's spent and held amounts are read by one statement, so they come from one
    /// snapshot (a cost recorded meanwhile replaces its hold in both at once).
    public func reserveBudget(_ hold: BudgetHold, limits: [BudgetLimit], now: Date) async throws -> BudgetDecision {
        let time = StoredTime.encode(now)
        return try await write("check budgets") { session in
            try await session.execute("SELECT pg_advisory_xact_lock(\(Self.budgetLock))")
            for limit in limits {
                let provider = limit.provider
                let row = try await session.rows("""
                    SELECT
                        (SELECT COALESCE(SUM(usd_picos), 0)::BIGINT FROM costs
                         WHERE at >= \(StoredTime.encode(limit.since))
                           AND (\(provider)::TEXT IS NULL OR provider = \(provider)::TEXT)),
                        (SELECT COALESCE(SUM(h.usd_picos), 0)::BIGINT
                         FROM budget_holds h JOIN jobs j ON j.id = h.job_id
                         WHERE h.job_id != \(hold.jobID.rawValue)
                           AND (\(provider)::TEXT IS NULL OR h.provider = \(provider)::TEXT)
                           AND j.state IN ('running', 'waiting') AND j.attempts = h.attempt
                           AND NOT EXISTS (SELECT 1 FROM costs c WHERE c.job_id = h.job_id AND c.attempt = h.attempt))
                    """).first
                let (spent, held) = try row?.decode((Int64, Int64).self) ?? (Int64(0), Int64(0))
                if spent + held + hold.usd.picos > limit.limit.picos {
                    return .refused(limit: limit, spent: Money(picos: spent), inFlight: Money(picos: held))
                }
            }
            try await session.execute("""
                INSERT INTO budget_holds (job_id, attempt, provider, usd_picos, at)
                VALUES (\(hold.jobID.rawValue), \(hold.attempt), \(hold.provider), \(hold.usd.picos), \(time))
                ON CONFLICT (job_id) DO UPDATE SET attempt = excluded.attempt, provider = excluded.provider,
                    usd_picos = excluded.usd_picos, at = excluded.at
                """)
            return .reserved
        }
    }

    // MARK: - Submission safety

    public func markSubmissionStarted(_ id: JobID, worker: String, detail: String, cost: CostRecord?, now: Date)
        async throws
    {
        let time = StoredTime.encode(now)
        let sent = try cost.map(CostRow.encodeSent)
        try await write("record a submission") { session in
            guard let attempt = try await session.rows("""
                UPDATE jobs SET submission_attempt = attempts, submission_started_at = \(time),
                    submission_route = \(detail), submission_cost = \(sent), updated_at = \(time)
                WHERE id = \(id.rawValue) AND state = 'running' AND lease_owner = \(worker)
                RETURNING attempts
                """).first?.decode(Int.self)
            else { throw try await self.leaseFailure(session, id) }
            try await self.insertEvent(session, job: id, kind: .note, attempt: attempt, worker: worker,
                                       detail: "submission started: \(detail)", at: time)
        }
    }

    public func noteUnknownOutcome(_ id: JobID, worker: String, detail: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("record a request of unknown outcome") { session in
            guard let attempt = try await self.lockLeasedJob(session, id, worker: worker) else {
                throw try await self.leaseFailure(session, id)
            }
            try await self.recordSubmissionRisk(session, id, attempt: attempt, worker: worker, detail: detail,
                                                time: time)
        }
    }

    /// Locks job `id`'s row until the transaction ends when `worker` holds its lease, and returns its attempts; nil
    /// when it does not (or there is no such job). The lease is checked on the row as it is once locked.
    func lockLeasedJob(_ session: PostgresSession, _ id: JobID, worker: String) async throws -> Int? {
        try await session.rows("""
            SELECT attempts FROM jobs WHERE id = \(id.rawValue) AND state = 'running' AND lease_owner = \(worker)
            FOR NO KEY UPDATE
            """).first?.decode(Int.self)
    }

    static let submissionRiskColumns =
        "job_id, attempt, at, detail, submitted_at, route, resolution, resolution_detail, resolved_at"

    static func submissionRisk(_ row: PostgresRow) throws -> SubmissionRisk {
        let cells = row.makeRandomAccess()
        do {
            return SubmissionRisk(
                jobID: JobID(rawValue: try cells.value(0)), attempt: try cells.value(1),
                at: StoredTime.decode(try cells.value(2)), detail: try cells.value(3),
                submittedAt: try cells.value(4, as: Int64?.self).map(StoredTime.decode),
                route: try cells.value(5),
                resolution: try cells.value(6, as: String?.self).flatMap(SubmissionRisk.Resolution.init(rawValue:)),
                resolutionDetail: try cells.value(7),
                resolvedAt: try cells.value(8, as: Int64?.self).map(StoredTime.decode))
        } catch {
            throw MediaJobsError(.storeFailure, "a row of submission_risks is corrupt (\(Self.reason(error)))",
                                 underlying: error)
        }
    }

    public func submissionRisks() async throws -> [SubmissionRisk] {
        try await read("read submission risks") { session in
            try await session.rows("""
                SELECT \(unescaped: Self.submissionRiskColumns) FROM submission_risks ORDER BY at DESC
                """).map(Self.submissionRisk)
        }
    }

    public func unsettledSubmissionRisk(_ id: JobID) async throws -> SubmissionRisk? {
        try await read("read a job's submission risk") { session in
            try await session.rows("""
                SELECT \(unescaped: Self.submissionRiskColumns) FROM submission_risks
                WHERE job_id = \(id.rawValue) AND resolution IS NULL ORDER BY attempt DESC LIMIT 1
                """).first.map(Self.submissionRisk)
        }
    }

    public func resolveSubmissionRisk(_ id: JobID, attempt: Int, resolution: SubmissionRisk.Resolution, detail: String,
                                      worker: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("resolve a submission risk") { session in
            guard let current = try await self.lockLeasedJob(session, id, worker: worker) else {
                throw try await self.leaseFailure(session, id)
            }
            let settled = try await session.rows("""
                UPDATE submission_risks SET resolution = \(resolution.rawValue), resolution_detail = \(detail),
                    resolved_at = \(time)
                WHERE job_id = \(id.rawValue) AND attempt = \(attempt)
                RETURNING attempt
                """)
            guard !settled.isEmpty else {
                throw MediaJobsError(.jobNotFound, "job \(id): no submission risk recorded for attempt \(attempt)")
            }
            // Settled either way: collected (and costed) by this attempt, or never created.
            let uncharged = try await session.rows("""
                UPDATE costs SET charged = FALSE
                WHERE job_id = \(id.rawValue) AND attempt = \(attempt) AND outcome = 'unknown'
                RETURNING id
                """)
            let uncounted = uncharged.isEmpty ? "" : "; its ledger entry of unknown outcome no longer counts"
            let said = switch resolution {
            case .foundAtProvider: "found at the provider"
            case .absentAtProvider: "not at the provider (never created)"
            }
            try await self.insertEvent(
                session, job: id, kind: .note, attempt: current, worker: worker,
                detail: "submission risk of attempt \(attempt) settled: \(said): \(detail)\(uncounted)", at: time)
        }
    }
}
