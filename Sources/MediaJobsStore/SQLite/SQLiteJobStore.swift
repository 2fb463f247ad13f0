import Foundation
import GRDB
import MediaJobsCore

/// The job store on one SQLite file, shared safely by several processes.
///
/// WAL journal, a busy timeout, and write transactions that begin IMMEDIATE, so processes queue for
/// the write lock instead of failing. Each call is one short transaction; a claim is one
/// `UPDATE … RETURNING` statement over an index in claim order. Writes run on a thread of the
/// store's own, which commits concurrent callers' writes together (`GroupCommitWriter`); reads run
/// on GRDB's reader queues. Neither blocks the cooperative thread pool.
public final class SQLiteJobStore: JobStore {
    /// How hard SQLite works to keep the last commits through a power loss.
    public enum Synchronous: String, Sendable {
        /// With WAL: durable against process crashes; the last commits may be lost on power loss. Fast.
        case normal = "NORMAL"
        /// With WAL: each commit is fsynced.
        case full = "FULL"
    }

    /// The database file.
    public let path: String
    public let retryPolicy: RetryPolicy
    let pool: DatabasePool
    let writer: GroupCommitWriter
    let decoder: JobRowDecoder
    let ids = JobIDSource()
    /// Wakes this process's idle workers when it queues a job; other processes' jobs are found by the next claim.
    let work = WorkSignal()

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// - Parameters:
    ///   - retryPolicy: spacing of retries after retryable failures.
    ///   - synchronous: `.normal` (default) or `.full` for an fsync per commit.
    ///   - busyTimeout: how long a write waits for another process's write lock before failing.
    ///   - specCacheCapacity: how many decoded job specs (of at most 4 KiB of JSON) to keep in memory, so a
    ///     worker decodes a job's JSON once from claim to complete (0: decode every time).
    public init(
        path: String, retryPolicy: RetryPolicy = RetryPolicy(), synchronous: Synchronous = .normal,
        busyTimeout: TimeInterval = 10, specCacheCapacity: Int = 4_096
    ) throws {
        self.path = path
        self.retryPolicy = retryPolicy
        self.decoder = JobRowDecoder(capacity: specCacheCapacity)
        var config = Configuration()
        config.label = "MediaJobsStore"
        config.foreignKeysEnabled = true
        config.busyMode = .callback(SQLiteJobStore.busyCallback(timeout: busyTimeout))
        config.maximumReaderCount = 4
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // DatabasePool sets NORMAL on its writer after `prepareDatabase`: choose again.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
            }
        } catch {
            throw SQLiteJobStore.storeError(error, doing: "open the database", path: path)
        }
        writer = GroupCommitWriter(pool: pool, name: "MediaJobsStore.writer")
        do {
            try migrate()
        } catch {
            writer.stop()
            throw error
        }
    }

    deinit {
        writer.stop()
    }

    private func migrate() throws {
        let migrator = SQLiteSchema.migrator
        var attempt = 0
        while true {
            do {
                try migrator.migrate(pool)
                return
            } catch {
                // Another process may have applied the same migration between our check and our
                // write; look again before giving up.
                attempt += 1
                if attempt < 5, (try? pool.read(migrator.hasCompletedMigrations)) != true {
                    usleep(20_000)
                    continue
                }
                if (try? pool.read(migrator.hasCompletedMigrations)) == true { return }
                throw SQLiteJobStore.storeError(error, doing: "migrate the schema", path: path)
            }
        }
    }

    /// Waits for another connection's lock by yielding the processor a few times, then with short
    /// sleeps (the usual holder keeps it for microseconds), growing to 2 ms, until about `timeout`
    /// has passed.
    static func busyCallback(timeout: TimeInterval) -> Database.BusyCallback {
        @Sendable func pause(_ tries: Int) -> UInt32 {
            tries < 28 ? 50 : tries < 108 ? 250 : 2_000
        }
        // The total of all pauses after n tries, to stop after about `timeout`.
        let early = 20 * 50 + 80 * 250
        let budget = Int(timeout * 1_000_000)
        let yields = 8
        let maxTries = yields + (budget <= early ? 100 : 100 + (budget - early) / 2_000)
        return { tries in
            guard tries < maxTries else { return false }
            // The holder is usually committing: yield a few times before the first sleep, which on a
            // busy machine lasts far longer than asked and leaves the lock idle.
            if tries < yields {
                sched_yield()
                return true
            }
            let base = pause(tries)
            usleep(base / 2 + UInt32.random(in: 0...base))
            return true
        }
    }

    // MARK: - Running SQL

    static func storeError(_ error: any Error, doing what: String, path: String) -> any Error {
        if error is MediaJobsError || error is CancellationError { return error }
        if let dbError = error as? DatabaseError {
            let reason = dbError.message ?? "\(dbError.resultCode)"
            return MediaJobsError(.storeFailure, "\(path): could not \(what): \(reason)", underlying: dbError)
        }
        return MediaJobsError(.storeFailure, "\(path): could not \(what): \(error)",
                              underlying: error)
    }

    /// Runs `body` in an IMMEDIATE write transaction (maybe shared with concurrent writes, each in
    /// its own savepoint: see `GroupCommitWriter`), returning once it is committed.
    func write<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.write(body)
        } catch {
            throw SQLiteJobStore.storeError(error, doing: what, path: path)
        }
    }

    func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw SQLiteJobStore.storeError(error, doing: what, path: path)
        }
    }

    /// Copies the write-ahead log into the database file and truncates the log, so the file alone
    /// holds every commit (before a backup or a copy).
    public func checkpoint() async throws {
        try await writeWithoutTransaction("checkpoint the write-ahead log") { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    func writeWithoutTransaction<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        do {
            return try await pool.writeWithoutTransaction(body)
        } catch {
            throw SQLiteJobStore.storeError(error, doing: what, path: path)
        }
    }

    static func leaseLost(_ id: JobID) -> MediaJobsError {
        MediaJobsError(.leaseLost, "job \(id): lease is held by another worker or the job was canceled")
    }

    static func notFound(_ id: JobID) -> MediaJobsError {
        MediaJobsError(.jobNotFound, "job \(id): no such job")
    }

    func insertEvent(
        _ db: Database, job: String, kind: JobEvent.Kind, attempt: Int, worker: String?, detail: String,
        at: Int64
    ) throws {
        let statement = try db.cachedStatement(sql: SQLiteSchema.insertEventSQL)
        try statement.execute(arguments: [job, at, kind.rawValue, attempt, worker, detail])
    }

    func fetchJobs(_ statement: Statement, _ arguments: StatementArguments) throws -> [Job] {
        var jobs: [Job] = []
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() {
            jobs.append(try decoder.decodeJob(row))
        }
        return jobs
    }

    func fetchJob(_ db: Database, _ id: JobID) throws -> Job? {
        let statement = try db.cachedStatement(sql: "SELECT \(jobColumns) FROM jobs WHERE id = ?")
        return try fetchJobs(statement, [id.rawValue]).first
    }

    /// After a guarded update changed nothing: not found, or the lease is gone.
    func leaseFailure(_ db: Database, _ id: JobID) throws -> MediaJobsError {
        let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ?", arguments: [id.rawValue]) ?? false
        return exists ? SQLiteJobStore.leaseLost(id) : SQLiteJobStore.notFound(id)
    }

    // MARK: - Enqueue

    public func enqueue(_ spec: JobSpec, now: Date) async throws -> EnqueueResult {
        let prepared = try PreparedJob(spec, now: now, ids: ids, encoder: JSONEncoder())
        let result = try await write("enqueue a job") { db in try self.insert(db, prepared) }
        if result.created { work.signal() }
        return result
    }

    public func enqueue(_ specs: [JobSpec], now: Date) async throws -> [EnqueueResult] {
        try await enqueue(specs, parent: nil, now: now)
    }

    public func enqueue(_ specs: [JobSpec], parent: JobID?, now: Date) async throws -> [EnqueueResult] {
        if specs.isEmpty { return [] }
        let encoder = JSONEncoder()
        let prepared = try specs.map { try PreparedJob($0, now: now, ids: ids, encoder: encoder, parent: parent) }
        let results = try await write("enqueue \(specs.count) jobs") { db in
            if let parent, try self.fetchJob(db, parent) == nil { throw SQLiteJobStore.notFound(parent) }
            return try prepared.map { try self.insert(db, $0) }
        }
        if results.contains(where: \.created) { work.signal() }
        return results
    }

    public func workGeneration() -> UInt64 { work.generation }

    /// Jobs of this process wake the wait; another process's are found by the caller's next claim, after `seconds`.
    public func waitForWork(since generation: UInt64, upTo seconds: TimeInterval, scope: ClaimScope) async {
        await work.wait(since: generation, upTo: seconds)
    }

    /// A job ready to insert: its id, its spec as JSON, and the job as it will read back.
    struct PreparedJob: Sendable {
        var job: Job
        var specJSON: String

        init(_ spec: JobSpec, now: Date, ids: JobIDSource, encoder: JSONEncoder, parent: JobID? = nil) throws {
            let id = ids.next(now: now)
            let data: Data
            do {
                data = try encoder.encode(spec)
            } catch {
                throw MediaJobsError(.invalidInput, "job spec could not be encoded: \(error)",
                                     underlying: error)
            }
            specJSON = String(decoding: data, as: UTF8.self)
            let time = StoredTime.decode(StoredTime.encode(now))
            // A job scheduled for later (`run_at`) is not claimed before then.
            let runAt = spec.runAt.map { StoredTime.decode(StoredTime.encode(max($0, now))) } ?? time
            job = Job(
                id: id, spec: spec, state: .queued, attempts: 0,
                maxAttempts: max(1, spec.maxAttempts ?? JobSpec.defaultMaxAttempts), priority: spec.priority,
                runAt: runAt, createdAt: time, updatedAt: time, parentID: parent)
        }
    }

    private func insert(_ db: Database, _ prepared: PreparedJob) throws -> EnqueueResult {
        let job = prepared.job
        let now = StoredTime.encode(job.createdAt)
        let statement = try db.cachedStatement(sql: """
            INSERT INTO jobs (id, kind, state, spec, priority, run_at, attempts, max_attempts, idempotency_key,
                              created_at, updated_at, parent_id)
            VALUES (?, ?, 'queued', ?, ?, ?, 0, ?, ?, ?, ?, ?)
            ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            """)
        try statement.execute(arguments: [
            job.id.rawValue, job.kind.rawValue, prepared.specJSON, job.priority, StoredTime.encode(job.runAt), job.maxAttempts,
            job.spec.idempotencyKey, now, now, job.parentID?.rawValue,
        ])
        if db.changesCount == 0, let key = job.spec.idempotencyKey {
            let existing = try db.cachedStatement(sql: "SELECT \(jobColumns) FROM jobs WHERE idempotency_key = ?")
            guard let found = try fetchJobs(existing, [key]).first else {
                throw MediaJobsError(.storeFailure, "\(path): idempotency key '\(key)' conflicts but no job has it")
            }
            return EnqueueResult(job: found, created: false)
        }
        if !job.spec.labels.isEmpty {
            let label = try db.cachedStatement(sql: "INSERT INTO job_labels (job_id, name, value) VALUES (?, ?, ?)")
            for (name, value) in job.spec.labels {
                try label.execute(arguments: [job.id.rawValue, name, value])
            }
        }
        let route = job.spec.model.map { "\(job.spec.provider)/\($0)" } ?? job.spec.provider
        try insertEvent(db, job: job.id.rawValue, kind: .submitted, attempt: 0, worker: nil,
                        detail: "\(job.kind) via \(route)" + (job.parentID.map { ", a part of job \($0)" } ?? ""), at: now)
        decoder.specs.remember(job.spec, for: job.id.rawValue, jsonBytes: prepared.specJSON.utf8.count)
        return EnqueueResult(job: job, created: true)
    }

    // MARK: - Claim

    /// The claim of one job. `rowid = (…)` rather than `IN (…)`: SQLite runs it several times faster.
    static let claimSQL = claimSQL(target: "rowid = (", limit: "1")
    /// The claim of up to `?5` jobs.
    static let claimBatchSQL = claimSQL(target: "rowid IN (", limit: "?5")

    private static func claimSQL(target: String, limit: String) -> String {
        """
        UPDATE jobs
        SET state = 'running', attempts = attempts + (state = 'queued'), lease_owner = ?1, lease_expires_at = ?2,
            updated_at = ?3, stage = NULL
        WHERE \(target)
            SELECT rowid FROM jobs
            WHERE state IN ('queued', 'waiting') AND run_at <= ?4
            ORDER BY priority DESC, run_at
            LIMIT \(limit))
        RETURNING \(jobColumns)
        """
    }

    public func claim(worker: String, now: Date, leaseExpiry: Date) async throws -> Job? {
        try await claim(worker: worker, now: now, leaseExpiry: leaseExpiry, limit: 1).first
    }

    public func claim(worker: String, now: Date, leaseExpiry: Date, limit: Int) async throws -> [Job] {
        guard limit > 0 else { return [] }
        let nowTime = StoredTime.encode(now)
        let expiry = StoredTime.encode(leaseExpiry)
        let jobs = try await write("claim a job") { db in
            let jobs: [Job]
            if limit == 1 {
                let statement = try db.cachedStatement(sql: SQLiteJobStore.claimSQL)
                jobs = try self.fetchJobs(statement, [worker, expiry, nowTime, nowTime])
            } else {
                let statement = try db.cachedStatement(sql: SQLiteJobStore.claimBatchSQL)
                jobs = try self.fetchJobs(statement, [worker, expiry, nowTime, nowTime, limit])
            }
            for job in jobs {
                let detail = job.providerHandle == nil ? "attempt \(job.attempts) of \(job.maxAttempts)" : "poll"
                try self.insertEvent(db, job: job.id.rawValue, kind: .claimed, attempt: job.attempts,
                                     worker: worker, detail: detail, at: nowTime)
            }
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
        try await write("extend a lease") { db in
            if try !self.renewLease(db, id, worker: worker, expiry: expiry, now: now) { throw try self.leaseFailure(db, id) }
        }
    }

    public func renewLeasesBlocking(_ ids: [JobID], claimedSince: Date?, worker: String, leaseExpiry: Date,
                                    now: Date) throws -> LeaseRenewal {
        guard !ids.isEmpty || claimedSince != nil else { return LeaseRenewal(lost: [], claimed: []) }
        let expiry = StoredTime.encode(leaseExpiry)
        let time = StoredTime.encode(now)
        let since = claimedSince.map(StoredTime.encode)
        do {
            return try writer.writeBlocking { db in
                let lost = Set(try ids.filter { try !self.renewLease(db, $0, worker: worker, expiry: expiry, now: time) })
                var claimed: Set<JobID> = []
                if let since {
                    // A claim sets updated_at to its own time; a held job is renewed above whatever its updated_at.
                    let held = Set(ids.map(\.rawValue))
                    let fresh = try String.fetchAll(db, sql: """
                        SELECT id FROM jobs WHERE state = 'running' AND lease_owner = ? AND updated_at >= ?
                        """, arguments: [worker, since]).filter { !held.contains($0) }
                    for raw in fresh {
                        let id = JobID(rawValue: raw)
                        if try self.renewLease(db, id, worker: worker, expiry: expiry, now: time) { claimed.insert(id) }
                    }
                }
                return LeaseRenewal(lost: lost, claimed: claimed)
            }
        } catch {
            throw SQLiteJobStore.storeError(error, doing: "extend leases", path: path)
        }
    }

    /// Extends `worker`'s lease of `id` to `expiry`; false when it holds no lease of it any more. A lease that lapsed
    /// while its worker was busy (starved of CPU, not dead) and that nobody took over is renewed, and the lapse is
    /// told as such.
    func renewLease(_ db: Database, _ id: JobID, worker: String, expiry: Int64, now: Int64) throws -> Bool {
        let previous = try Row.fetchOne(db, sql: """
            SELECT attempts, lease_expires_at FROM jobs WHERE id = ? AND state = 'running' AND lease_owner = ?
            """, arguments: [id.rawValue, worker])
        let statement = try db.cachedStatement(sql: """
            UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?
            """)
        try statement.execute(arguments: [expiry, id.rawValue, worker])
        if db.changesCount == 0 { return false }
        if let previous, let lapsedAt: Int64 = previous[1], lapsedAt < now {
            try insertEvent(db, job: id.rawValue, kind: .note, attempt: previous[0], worker: worker, detail: String(
                format: "the lease of worker %@ lapsed %.1f s before it was renewed: the worker was busy, not dead",
                worker, Double(now - lapsedAt) / 1_000_000), at: now)
        }
        return true
    }

    public func setStage(_ id: JobID, worker: String, stage: String, detail: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("set a job's stage") { db in
            let statement = try db.cachedStatement(sql: """
                UPDATE jobs SET stage = ?, updated_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?
                RETURNING attempts
                """)
            guard let attempts = try Int.fetchOne(statement, arguments: [stage, time, id.rawValue, worker]) else {
                throw try self.leaseFailure(db, id)
            }
            try self.insertEvent(db, job: id.rawValue, kind: .stage, attempt: attempts, worker: worker,
                                 detail: detail.isEmpty ? stage : "\(stage): \(detail)", at: time)
        }
    }

    public func addEvent(_ id: JobID, kind: JobEvent.Kind, worker: String?, detail: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("add an event") { db in
            let attempts = try db.cachedStatement(sql: "SELECT attempts FROM jobs WHERE id = ?")
            guard let attempt = try Int.fetchOne(attempts, arguments: [id.rawValue]) else {
                throw SQLiteJobStore.notFound(id)
            }
            try self.insertEvent(db, job: id.rawValue, kind: kind, attempt: attempt, worker: worker, detail: detail,
                                 at: time)
        }
    }

    private static func completeSQL(returning columns: String) -> String {
        """
        UPDATE jobs
        SET state = 'succeeded', finished_at = ?1, updated_at = ?1, lease_owner = NULL, lease_expires_at = NULL,
            stage = NULL, poll_at = NULL, error_code = NULL, error_message = NULL,
            route_used_provider = ?4, route_used_model = ?5, route_used_cache_hit_of = ?6
        WHERE id = ?2 AND state = 'running' AND lease_owner = ?3
        RETURNING \(columns)
        """
    }

    @discardableResult
    public func complete(_ id: JobID, worker: String, result: JobCompletion, now: Date) async throws -> Job {
        let time = StoredTime.encode(now)
        let units = try result.costs.map { try CostRow.encodeUnits($0.units) }
        return try await write("complete a job") { db in
            guard let job = try self.complete(db, id, worker: worker, result: result, units: units, time: time,
                                              returningJob: true) else {
                throw SQLiteJobStore.notFound(id)
            }
            return job
        }
    }

    public func complete(_ results: [(JobID, JobCompletion)], worker: String, now: Date) async throws {
        if results.isEmpty { return }
        let time = StoredTime.encode(now)
        let prepared = try results.map { item in
            (item.0, item.1, try item.1.costs.map { try CostRow.encodeUnits($0.units) })
        }
        try await write("complete \(results.count) jobs") { db in
            for (id, result, units) in prepared {
                _ = try self.complete(
                    db, id, worker: worker, result: result, units: units, time: time, returningJob: false)
            }
        }
    }

    /// Completes one job inside a transaction; the updated job is read back only when `returningJob`.
    private func complete(
        _ db: Database, _ id: JobID, worker: String, result: JobCompletion, units: [String], time: Int64,
        returningJob: Bool
    ) throws -> Job? {
        let job: Job?
        let attempts: Int
        let parent: JobID?
        if returningJob {
            let statement = try db.cachedStatement(sql: SQLiteJobStore.completeSQL(returning: jobColumns))
            let arguments = StatementArguments(
                [time, id.rawValue, worker] + RouteUsedColumns.arguments(result.routeUsed))
            guard let found = try fetchJobs(statement, arguments).first else {
                throw try leaseFailure(db, id)
            }
            job = found
            attempts = found.attempts
            parent = found.parentID
        } else {
            let statement = try db.cachedStatement(sql: SQLiteJobStore.completeSQL(returning: "attempts, parent_id"))
            let arguments = StatementArguments(
                [time, id.rawValue, worker] + RouteUsedColumns.arguments(result.routeUsed))
            guard let found = try Row.fetchOne(statement, arguments: arguments) else {
                throw try leaseFailure(db, id)
            }
            job = nil
            attempts = try found.decode(atIndex: 0)
            parent = try found.decode(String?.self, atIndex: 1).map { JobID(rawValue: $0) }
        }
        if let parent { try wakeParent(db, parent, time: time) }
        for artifact in result.artifacts {
            try insertArtifact(db, artifact, job: id.rawValue, time: time)
        }
        try insertCosts(db, result.costs, units: units)
        try insertEvent(db, job: id.rawValue, kind: .succeeded, attempt: attempts, worker: worker,
                        detail: result.detail, at: time)
        return job
    }

    func insertArtifact(_ db: Database, _ artifact: ArtifactRef, job: String?, time: Int64) throws {
        guard ArtifactRef.isValidSHA256(artifact.sha256) else {
            throw MediaJobsError(.invalidInput, "artifact sha256 '\(artifact.sha256)' is not 64 lowercase hex digits")
        }
        let row = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO artifacts (sha256, mime, bytes, format, duration_s, width, height, codec, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try row.execute(arguments: [
            artifact.sha256, artifact.mime, artifact.bytes, artifact.format, artifact.durationSeconds,
            artifact.width, artifact.height, artifact.codec, time,
        ])
        guard let job else { return }
        let link = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO job_artifacts (job_id, sha256, role, position, checks)
            VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(position), -1) + 1 FROM job_artifacts WHERE job_id = ?1), ?4)
            """)
        let checks = try ArtifactRow.encode(artifact.checks)
        try link.execute(arguments: [job, artifact.sha256, artifact.role.rawValue, checks])
    }

    func insertCosts(_ db: Database, _ costs: [CostRecord], units: [String]) throws {
        guard !costs.isEmpty else { return }
        let statement = try db.cachedStatement(sql: """
            INSERT INTO costs (job_id, attempt, provider, model, units, usd_picos, source, charged, raw_usage, at, lines,
                               outcome)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (cost, units) in zip(costs, units) {
            try statement.execute(arguments: [
                cost.jobID.rawValue, cost.attempt, cost.provider, cost.model, units, cost.usd?.picos,
                cost.source.rawValue, cost.charged, cost.rawUsage, StoredTime.encode(cost.at), try CostRow.encodeLines(cost.lines),
                cost.outcome.rawValue,
            ])
        }
    }

    @discardableResult
    public func fail(
        _ id: JobID, worker: String, error: MediaJobsError, retryable: Bool, costs: [CostRecord], notBefore: Date?,
        now: Date
    ) async throws -> Job {
        let time = StoredTime.encode(now)
        let earliest = notBefore.map { max(0, $0.timeIntervalSince(now)) } ?? 0
        let units = try costs.map { try CostRow.encodeUnits($0.units) }
        let policy = retryPolicy
        return try await write("fail a job") { db in
            let current = try db.cachedStatement(sql: """
                SELECT attempts, max_attempts FROM jobs WHERE id = ? AND state = 'running' AND lease_owner = ?
                """)
            guard let row = try Row.fetchOne(current, arguments: [id.rawValue, worker]) else {
                throw try self.leaseFailure(db, id)
            }
            let attempts: Int = try row.decode(atIndex: 0)
            let maxAttempts: Int = try row.decode(atIndex: 1)
            try self.insertCosts(db, costs, units: units)
            let job: Job?
            if retryable && attempts < maxAttempts {
                let backoff = policy.delay(afterAttempt: attempts, code: error.code)
                let delay = max(backoff, earliest)
                let runAt = time + Int64((delay * 1_000_000).rounded())
                let statement = try db.cachedStatement(sql: """
                    UPDATE jobs
                    SET state = 'queued', run_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL,
                        stage = NULL, provider_handle = NULL, poll_at = NULL, error_code = ?, error_message = ?
                    WHERE id = ?
                    RETURNING \(jobColumns)
                    """)
                job = try self.fetchJobs(statement, [runAt, time, error.code.rawValue, error.message, id.rawValue])
                    .first
                let detail = "attempt \(attempts) of \(maxAttempts) failed (\(error)); next attempt in "
                    + String(format: "%.1f s", delay) + (earliest > backoff ? " (the provider's Retry-After)" : "")
                try self.insertEvent(db, job: id.rawValue, kind: .retryScheduled, attempt: attempts, worker: worker,
                                     detail: detail, at: time)
            } else {
                job = try self.finishAsFailed(db, id, error: error, time: time)
                try self.insertEvent(db, job: id.rawValue, kind: .failed, attempt: attempts, worker: worker,
                                     detail: error.description, at: time)
            }
            guard let job else { throw SQLiteJobStore.notFound(id) }
            return job
        }
    }

    private func finishAsFailed(_ db: Database, _ id: JobID, error: MediaJobsError, time: Int64) throws -> Job? {
        let statement = try db.cachedStatement(sql: """
            UPDATE jobs
            SET state = 'failed', finished_at = ?1, updated_at = ?1, lease_owner = NULL, lease_expires_at = NULL,
                stage = NULL, poll_at = NULL, error_code = ?2, error_message = ?3
            WHERE id = ?4
            RETURNING \(jobColumns)
            """)
        let job = try fetchJobs(statement, [time, error.code.rawValue, error.message, id.rawValue]).first
        if let parent = job?.parentID { try wakeParent(db, parent, time: time) }
        return job
    }

    /// Makes a waiting parent due now: one of its parts has ended, so it looks at them again at once (rather than at its
    /// next poll).
    func wakeParent(_ db: Database, _ parent: JobID, time: Int64) throws {
        let statement = try db.cachedStatement(sql: """
            UPDATE jobs SET run_at = ?1, poll_at = ?1 WHERE id = ?2 AND state = 'waiting' AND poll_at > ?1
            """)
        try statement.execute(arguments: [time, parent.rawValue])
        if db.changesCount > 0 { work.signal() }
    }

    @discardableResult
    public func wait(_ id: JobID, worker: String, handle: String, pollAt: Date, now: Date) async throws -> Job {
        let time = StoredTime.encode(now)
        let poll = StoredTime.encode(pollAt)
        return try await write("move a job to waiting") { db in
            let statement = try db.cachedStatement(sql: """
                UPDATE jobs
                SET state = 'waiting', provider_handle = ?1, poll_at = ?2, run_at = ?2, updated_at = ?3,
                    lease_owner = NULL, lease_expires_at = NULL, stage = NULL
                WHERE id = ?4 AND state = 'running' AND lease_owner = ?5
                RETURNING \(jobColumns)
                """)
            guard let job = try self.fetchJobs(statement, [handle, poll, time, id.rawValue, worker]).first else {
                throw try self.leaseFailure(db, id)
            }
            try self.insertEvent(db, job: id.rawValue, kind: .waiting, attempt: job.attempts, worker: worker,
                                 detail: "next poll at \(ISO8601DateFormatter().string(from: pollAt))", at: time)
            return job
        }
    }

    public func release(_ id: JobID, worker: String, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("release a job") { db in
            // A job claimed to poll goes back to waiting (its generation is still running at the
            // provider); any other goes back to queued without counting the attempt.
            let statement = try db.cachedStatement(sql: """
                UPDATE jobs
                SET state = CASE WHEN provider_handle IS NULL THEN 'queued' ELSE 'waiting' END,
                    attempts = CASE WHEN provider_handle IS NULL THEN MAX(attempts - 1, 0) ELSE attempts END,
                    updated_at = ?1, lease_owner = NULL, lease_expires_at = NULL, stage = NULL
                WHERE id = ?2 AND state = 'running' AND lease_owner = ?3
                RETURNING attempts, state
                """)
            guard let row = try Row.fetchOne(statement, arguments: [time, id.rawValue, worker]) else {
                throw try self.leaseFailure(db, id)
            }
            let state: String = try row.decode(atIndex: 1)
            try self.insertEvent(db, job: id.rawValue, kind: .released, attempt: try row.decode(atIndex: 0),
                                 worker: worker, detail: "given back to the queue (\(state))", at: time)
        }
        work.signal()
    }

    // MARK: - Transitions by users and the janitor

    @discardableResult
    public func cancel(_ id: JobID, now: Date) async throws -> Job {
        let time = StoredTime.encode(now)
        return try await write("cancel a job") { db in
            guard let current = try self.fetchJob(db, id) else { throw SQLiteJobStore.notFound(id) }
            guard !current.state.isFinal else {
                throw MediaJobsError(.invalidTransition, "job \(id): cannot cancel a job that is \(current.state)")
            }
            let statement = try db.cachedStatement(sql: """
                UPDATE jobs
                SET state = 'canceled', finished_at = ?1, updated_at = ?1, lease_owner = NULL, lease_expires_at = NULL,
                    stage = NULL
                WHERE id = ?2
                RETURNING \(jobColumns)
                """)
            guard let job = try self.fetchJobs(statement, [time, id.rawValue]).first else {
                throw SQLiteJobStore.notFound(id)
            }
            let detail = current.leaseOwner.map { "canceled while \(current.state) (worker \($0) loses its lease)" }
                ?? "canceled while \(current.state)"
            try self.insertEvent(db, job: id.rawValue, kind: .canceled, attempt: job.attempts, worker: nil,
                                 detail: detail, at: time)
            try self.cancelParts(db, of: id, time: time)
            if let parent = job.parentID { try self.wakeParent(db, parent, time: time) }
            return job
        }
    }

    /// Cancels the parts of `parent` that have not ended, with an event each: a canceled job's parts stop with it.
    func cancelParts(_ db: Database, of parent: JobID, time: Int64) throws {
        let statement = try db.cachedStatement(sql: """
            UPDATE jobs
            SET state = 'canceled', finished_at = ?1, updated_at = ?1, lease_owner = NULL, lease_expires_at = NULL,
                stage = NULL
            WHERE parent_id = ?2 AND state IN ('queued', 'running', 'waiting')
            RETURNING id, attempts
            """)
        for row in try Row.fetchAll(statement, arguments: [time, parent.rawValue]) {
            try insertEvent(db, job: try row.decode(String.self, atIndex: 0), kind: .canceled,
                            attempt: try row.decode(atIndex: 1), worker: nil,
                            detail: "canceled with job \(parent), which it is a part of", at: time)
        }
    }

    @discardableResult
    public func retry(_ id: JobID, now: Date) async throws -> Job {
        let time = StoredTime.encode(now)
        defer { work.signal() }
        return try await write("retry a job") { db in
            let statement = try db.cachedStatement(sql: """
                UPDATE jobs
                SET state = 'queued', attempts = 0, run_at = ?1, updated_at = ?1, finished_at = NULL,
                    error_code = NULL, error_message = NULL, provider_handle = NULL, poll_at = NULL, stage = NULL,
                    lease_owner = NULL, lease_expires_at = NULL
                WHERE id = ?2 AND state IN ('failed', 'canceled')
                RETURNING \(jobColumns)
                """)
            guard let job = try self.fetchJobs(statement, [time, id.rawValue]).first else {
                guard let current = try self.fetchJob(db, id) else { throw SQLiteJobStore.notFound(id) }
                throw MediaJobsError(
                    .invalidTransition, "job \(id): only failed or canceled jobs can be retried; it is \(current.state)")
            }
            try self.insertEvent(db, job: id.rawValue, kind: .requeued, attempt: 0, worker: nil,
                                 detail: "retried by request with \(job.maxAttempts) fresh attempts", at: time)
            return job
        }
    }

    @discardableResult
    public func rescueExpiredLeases(now: Date, sparing: Set<JobID>) async throws -> Int {
        let time = StoredTime.encode(now)
        let rescued = try await write("rescue expired leases") { db in
            let expired = try Row.fetchAll(db, sql: """
                SELECT id, attempts, max_attempts, lease_owner, provider_handle IS NOT NULL, lease_expires_at
                FROM jobs WHERE state = 'running' AND lease_expires_at < ?
                """, arguments: [time])
            var rescued = 0
            for row in expired {
                let id = JobID(rawValue: try row.decode(String.self, atIndex: 0))
                if sparing.contains(id) { continue }
                rescued += 1
                let attempts: Int = try row.decode(atIndex: 1)
                let maxAttempts: Int = try row.decode(atIndex: 2)
                let owner: String = try row.decode(String?.self, atIndex: 3) ?? "unknown"
                let polling: Bool = try row.decode(atIndex: 4)
                let expiredAt = StoredTime.decode(try row.decode(Int64.self, atIndex: 5))
                let lapse = "lease of worker \(owner) expired at \(ISO8601DateFormatter().string(from: expiredAt))"
                if polling {
                    // The provider is still generating: poll again rather than pay for a new generation.
                    try db.execute(sql: """
                        UPDATE jobs SET state = 'waiting', run_at = ?1, updated_at = ?1, lease_owner = NULL,
                            lease_expires_at = NULL, stage = NULL
                        WHERE id = ?2
                        """, arguments: [time, id.rawValue])
                    try self.insertEvent(db, job: id.rawValue, kind: .leaseExpired, attempt: attempts, worker: owner,
                                         detail: "\(lapse); back to waiting", at: time)
                } else if attempts < maxAttempts {
                    try self.noteSubmissionRisk(db, id, attempt: attempts, owner: owner, time: time)
                    try db.execute(sql: """
                        UPDATE jobs SET state = 'queued', run_at = ?1, updated_at = ?1, lease_owner = NULL,
                            lease_expires_at = NULL, stage = NULL, error_code = ?2, error_message = ?3
                        WHERE id = ?4
                        """, arguments: [time, MediaJobsError.Code.leaseExpired.rawValue, lapse, id.rawValue])
                    try self.insertEvent(db, job: id.rawValue, kind: .leaseExpired, attempt: attempts, worker: owner,
                                         detail: "\(lapse); requeued (attempt \(attempts) of \(maxAttempts))",
                                         at: time)
                } else {
                    try self.noteSubmissionRisk(db, id, attempt: attempts, owner: owner, time: time)
                    let error = MediaJobsError(.leaseExpired, "\(lapse) on the last attempt (\(attempts) of \(maxAttempts))")
                    _ = try self.finishAsFailed(db, id, error: error, time: time)
                    try self.insertEvent(db, job: id.rawValue, kind: .leaseExpired, attempt: attempts, worker: owner,
                                         detail: "\(lapse); failed, no attempts left", at: time)
                }
            }
            return rescued
        }
        if rescued > 0 { work.signal() }
        return rescued
    }
}
