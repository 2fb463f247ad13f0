import Foundation
import MediaJobsCore

/// What `enqueue` did: the job, and whether it is new (false when its idempotency key was seen before).
public struct EnqueueResult: Sendable, Equatable {
    public var job: Job
    public var created: Bool

    public init(job: Job, created: Bool) {
        self.job = job
        self.created = created
    }
}

/// What a worker hands back when a job succeeds.
public struct JobCompletion: Sendable, Equatable {
    public var artifacts: [ArtifactRef]
    public var costs: [CostRecord]
    /// Shown in the `succeeded` event.
    public var detail: String
    /// The route that made the result, kept on the job (`Job.routeUsed`); nil when not known.
    public var routeUsed: RouteUsed?

    public init(
        artifacts: [ArtifactRef] = [], costs: [CostRecord] = [], detail: String = "", routeUsed: RouteUsed? = nil
    ) {
        self.artifacts = artifacts
        self.costs = costs
        self.detail = detail
        self.routeUsed = routeUsed
    }
}

/// Which jobs `jobs(_:)` returns, newest first.
public struct JobFilter: Sendable, Equatable {
    public var states: [JobState]?
    public var kinds: [JobKind]?
    /// Only jobs carrying this label name and value.
    public var label: (name: String, value: String)?
    public var limit: Int
    /// Cursor: only jobs older than this id.
    public var before: JobID?

    public init(
        states: [JobState]? = nil, kinds: [JobKind]? = nil, label: (name: String, value: String)? = nil,
        limit: Int = 50, before: JobID? = nil
    ) {
        self.states = states
        self.kinds = kinds
        self.label = label
        self.limit = limit
        self.before = before
    }

    public static func == (lhs: JobFilter, rhs: JobFilter) -> Bool {
        lhs.states == rhs.states && lhs.kinds == rhs.kinds && lhs.label?.name == rhs.label?.name
            && lhs.label?.value == rhs.label?.value && lhs.limit == rhs.limit && lhs.before == rhs.before
    }
}

/// How failed attempts are spaced: `base · 2^(attempt-1)`, capped, with ± `jitter` spread.
public struct RetryPolicy: Sendable, Equatable {
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    /// Fraction of the delay drawn at random either way (0.2 = ±20 %).
    public var jitter: Double

    public init(baseDelay: TimeInterval = 2, maxDelay: TimeInterval = 300, jitter: Double = 0.2) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    /// The delay before the attempt after `attempt` (1-based).
    public func delay(afterAttempt attempt: Int) -> TimeInterval {
        let exponential = min(maxDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
        let spread = exponential * jitter
        return max(0, exponential + Double.random(in: -spread...spread))
    }
}

/// Which runnable jobs a claim may take: the poll pool takes only waiting jobs that are due, the work pool only
/// queued ones, and a single-pool worker either.
public enum ClaimScope: Sendable, Equatable {
    case any
    /// Queued jobs whose `run_at` has come (submission and the heavy work).
    case queued
    /// Waiting jobs whose `poll_at` has come, earliest first.
    case duePolls
}

/// A store that renews leases from a thread of the caller's own, blocking, without the cooperative pool: what a
/// worker's lease keeper uses, so that CPU-heavy work on that pool cannot starve a lease into lapsing.
public protocol BlockingLeaseRenewal: Sendable {
    /// Extends each of `ids` that `worker` still holds to `leaseExpiry`, in one transaction, blocking until it is
    /// committed; returns the ids whose lease is lost (canceled, ended, or taken over). A lapse that nobody took over
    /// is renewed and noted as the worker being busy, not dead (as `heartbeat` does). Never call it from a thread of
    /// the cooperative pool.
    ///
    /// With `claimedSince`, the leases of `worker`'s running jobs claimed at or after it are extended too: jobs just
    /// claimed whose claim has not yet reached the caller (its answer waits for a thread of the busy pool). Their ids
    /// are returned in `claimed`.
    func renewLeasesBlocking(_ ids: [JobID], claimedSince: Date?, worker: String, leaseExpiry: Date,
                             now: Date) throws -> LeaseRenewal
}

/// What one blocking renewal did: the held leases found lost, and the just-claimed jobs renewed by their claim time.
public struct LeaseRenewal: Sendable, Equatable {
    public var lost: Set<JobID>
    public var claimed: Set<JobID>

    public init(lost: Set<JobID>, claimed: Set<JobID>) {
        self.lost = lost
        self.claimed = claimed
    }
}

/// An attempt whose create request may have started a generation that was never recorded: its worker died before
/// the answer was stored, or the answer never arrived whole. Its cost, as marked when it was sent, is in the ledger
/// with an unknown outcome until a look-up at the provider settles it.
public struct SubmissionRisk: Sendable, Equatable, Codable {
    /// What a look-up at the provider settled about the risk.
    public enum Resolution: String, Sendable, Equatable, Codable {
        /// The provider still held the generation: the job polled it instead of sending it again (paid once).
        case foundAtProvider = "found_at_provider"
        /// The provider listed no such generation: the create request never landed, so nothing was charged.
        case absentAtProvider = "absent_at_provider"
    }

    public var jobID: JobID
    public var attempt: Int
    /// When the rescue recorded it.
    public var at: Date
    public var detail: String
    /// When the attempt marked its create request as started (nil when not known).
    public var submittedAt: Date?
    /// The route it was sent to, "provider/model" (nil when not known).
    public var route: String?
    /// Nil while no look-up settled it: it may still have been paid for twice.
    public var resolution: Resolution?
    /// What the look-up found ("replicate prediction abc123").
    public var resolutionDetail: String?
    public var resolvedAt: Date?

    /// How the note event of such an attempt begins, in the job's story (`mediajobs status`).
    public static let notePrefix = "possible duplicate paid submission"
    /// How the note of a create request whose answer was lost in flight begins (the worker lived; the answer did not
    /// arrive whole, and the provider could not show the generation).
    public static let unknownOutcomePrefix = "paid request of unknown outcome"

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case attempt, at, detail, route, resolution
        case submittedAt = "submitted_at"
        case resolutionDetail = "resolution_detail"
        case resolvedAt = "resolved_at"
    }

    public init(jobID: JobID, attempt: Int, at: Date, detail: String, submittedAt: Date? = nil, route: String? = nil,
                resolution: Resolution? = nil, resolutionDetail: String? = nil, resolvedAt: Date? = nil) {
        self.jobID = jobID
        self.attempt = attempt
        self.at = at
        self.detail = detail
        self.submittedAt = submittedAt
        self.route = route
        self.resolution = resolution
        self.resolutionDetail = resolutionDetail
        self.resolvedAt = resolvedAt
    }
}

extension JobStore {
    /// Rescues every running job whose lease expired.
    @discardableResult
    public func rescueExpiredLeases(now: Date) async throws -> Int {
        try await rescueExpiredLeases(now: now, sparing: [])
    }

    /// The submission risks noted in `[since, until)` (either end open when nil) that no look-up at the provider
    /// settled, newest first: what a cost report over that window warns about.
    public func submissionRisks(since: Date?, until: Date?) async throws -> [SubmissionRisk] {
        try await submissionRisks().filter { risk in
            risk.resolution == nil && since.map { risk.at >= $0 } ?? true && until.map { risk.at < $0 } ?? true
        }
    }

    /// `fail` with no earliest time but the retry policy's.
    @discardableResult
    public func fail(_ id: JobID, worker: String, error: MediaJobsError, retryable: Bool, costs: [CostRecord],
                     now: Date) async throws -> Job {
        try await fail(id, worker: worker, error: error, retryable: retryable, costs: costs, notBefore: nil, now: now)
    }
}

/// A worker process that says it is alive.
public struct WorkerInfo: Sendable, Codable, Equatable {
    public var id: String
    public var host: String
    public var pid: Int32
    public var concurrency: Int
    public var startedAt: Date
    public var heartbeatAt: Date

    public init(id: String, host: String, pid: Int32, concurrency: Int, startedAt: Date, heartbeatAt: Date) {
        self.id = id
        self.host = host
        self.pid = pid
        self.concurrency = concurrency
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
    }
}

/// The durable queue and its records. SQLite by default; PostgreSQL for fleets (later).
///
/// Times are passed in (`now`) so tests control the clock. A worker acts on a job only while it
/// holds the job's lease: every call that takes `worker` checks it and throws `job.lease_lost`
/// (`MediaJobsError.Code.leaseLost`) when the lease now belongs to someone else or the job was canceled.
public protocol JobStore: Sendable {
    /// Adds a job in state `queued`, with an event `submitted`. A spec whose `idempotency_key`
    /// is already known returns that job unchanged with `created == false`.
    func enqueue(_ spec: JobSpec, now: Date) async throws -> EnqueueResult

    /// Adds many jobs in one transaction (all or none), with the same idempotency rule per job.
    func enqueue(_ specs: [JobSpec], now: Date) async throws -> [EnqueueResult]

    /// Takes the most urgent runnable job and leases it to `worker` until `leaseExpiry`.
    ///
    /// Runnable means queued with `run_at <= now`, or waiting with `poll_at <= now`. Highest
    /// priority first, then earliest `run_at`. One `UPDATE … RETURNING` statement, so two
    /// processes never take the same job. Claiming a queued job starts an attempt
    /// (`attempts + 1`); claiming a waiting job (to poll it) does not.
    func claim(worker: String, now: Date, leaseExpiry: Date) async throws -> Job?

    /// Claims up to `limit` jobs in one transaction.
    func claim(worker: String, now: Date, leaseExpiry: Date, limit: Int) async throws -> [Job]

    /// Extends the lease. Throws `job.lease_lost` if `worker` no longer holds it.
    func heartbeat(_ id: JobID, worker: String, leaseExpiry: Date) async throws

    /// Records what a running job is doing now (`stage` on the job, and an event).
    func setStage(_ id: JobID, worker: String, stage: String, detail: String, now: Date) async throws

    /// Appends a free-form event (for example a validation report) to a job's story.
    func addEvent(_ id: JobID, kind: JobEvent.Kind, worker: String?, detail: String, now: Date) async throws

    /// Marks the job `succeeded`, storing its artifacts' metadata, cost records and the route that made it
    /// (`result.routeUsed`) in the same transaction. Throws `job.lease_lost` if `worker` no longer holds the lease.
    @discardableResult
    func complete(_ id: JobID, worker: String, result: JobCompletion, now: Date) async throws -> Job

    /// Completes many jobs in one transaction (each checked as `complete` does).
    func complete(_ results: [(JobID, JobCompletion)], worker: String, now: Date) async throws

    /// Ends an attempt that failed. A retryable failure with attempts left goes back to `queued`
    /// with `run_at` pushed out by the retry policy (event `retry_scheduled`); otherwise the job
    /// is `failed` with `error`. Cost records of the failed attempt are stored either way.
    ///
    /// `notBefore` (a provider's `Retry-After`) is the earliest time of the next attempt: the retry waits for
    /// whichever is later, it or the policy's backoff.
    @discardableResult
    func fail(_ id: JobID, worker: String, error: MediaJobsError, retryable: Bool, costs: [CostRecord],
              notBefore: Date?, now: Date) async throws -> Job

    /// Claims up to `limit` runnable jobs of one pool's `scope` (see `ClaimScope`), as `claim` does.
    func claim(worker: String, now: Date, leaseExpiry: Date, limit: Int, scope: ClaimScope) async throws -> [Job]

    /// Records, before a create request is sent, that this attempt is starting a (maybe paid) submission: an event,
    /// and a mark that `rescueExpiredLeases` reads if the worker dies before the answer is stored. `cost` is what the
    /// request would cost: if its answer never arrives, it enters the ledger with an unknown outcome.
    func markSubmissionStarted(_ id: JobID, worker: String, detail: String, cost: CostRecord?, now: Date) async throws

    /// Records that the create request this attempt marked as started got no whole answer (cut mid-body, timed
    /// out) and was not found at the provider: a submission risk saying `detail`, and the request's marked cost in
    /// the ledger with an unknown outcome. Nothing when no request was marked. Lease-checked.
    func noteUnknownOutcome(_ id: JobID, worker: String, detail: String, now: Date) async throws

    /// Attempts that sent a create request and were lost (their worker died) before its answer was stored:
    /// each may have been paid for twice, unless a look-up at the provider settled it (`resolution`). Newest first.
    func submissionRisks() async throws -> [SubmissionRisk]

    /// Writes a synchronous provider's answer (`handle`: where its files are kept and what it billed) on a running
    /// job, with an event saying `detail`, before the answer is validated or converted. If the worker dies after this,
    /// the rescue sends the job to `waiting` (it has a handle) and a poll slot finishes it from the kept answer: the
    /// provider is not asked, and paid, again. Throws `job.lease_lost` if `worker` no longer holds the lease.
    func keepAnswer(_ id: JobID, worker: String, handle: String, detail: String, now: Date) async throws

    /// The newest submission risk of job `id` that no look-up has settled yet (nil when there is none): what a new
    /// attempt looks for at the provider before sending its own create request.
    func unsettledSubmissionRisk(_ id: JobID) async throws -> SubmissionRisk?

    /// Records what a look-up at the provider found for the risk of `attempt`, while `worker` holds the job's lease:
    /// the risk's resolution and an event. Throws `job.lease_lost` when the lease is gone.
    func resolveSubmissionRisk(_ id: JobID, attempt: Int, resolution: SubmissionRisk.Resolution, detail: String,
                               worker: String, now: Date) async throws

    /// Moves a running job to `waiting` with the provider's handle and the time of its next poll,
    /// in one transaction, releasing the lease.
    @discardableResult
    func wait(_ id: JobID, worker: String, handle: String, pollAt: Date, now: Date) async throws -> Job

    /// Gives a running job back to the queue without counting the attempt (graceful shutdown).
    func release(_ id: JobID, worker: String, now: Date) async throws

    /// Cancels a job that is not final. A running job's worker loses its lease.
    /// Canceling a final job throws `job.invalid_transition`; an unknown id `job.not_found`.
    @discardableResult
    func cancel(_ id: JobID, now: Date) async throws -> Job

    /// Puts a failed or canceled job back in the queue with a fresh set of attempts.
    @discardableResult
    func retry(_ id: JobID, now: Date) async throws -> Job

    /// Finds running jobs whose lease expired (their worker died) and ends that attempt as a
    /// retryable failure: back to `queued` at once while attempts remain, else `failed`.
    /// Jobs in `sparing` are left alone: the calling worker holds them, so it is busy, not dead.
    /// Returns how many jobs it rescued.
    @discardableResult
    func rescueExpiredLeases(now: Date, sparing: Set<JobID>) async throws -> Int

    /// Ends what the deadline sweep can end, in one write transaction: every queued job whose deadline
    /// (`deadline_seconds`, else its kind's default, counted from submission or from the last retry by request) has
    /// passed at `now` fails with the error `error` makes for it (`job.timeout`) and a `failed` event by `worker`. A
    /// waiting job past its deadline is not failed (its generation may be finished, and paid for, at the provider):
    /// it is made due at once, so a poll slot gives it its last look. Running jobs are left to their worker. Returns
    /// the jobs it failed.
    func sweepPastDeadline(now: Date, worker: String, error: @escaping @Sendable (Job) -> MediaJobsError)
        async throws -> [Job]

    func job(_ id: JobID) async throws -> Job?
    func jobs(_ filter: JobFilter) async throws -> [Job]
    /// A job's events, oldest first; only those with `id > after` when given.
    func events(_ id: JobID, after: Int64?) async throws -> [JobEvent]
    /// The artifacts attached to a job (inputs and outputs), in the order they were attached.
    func artifacts(_ id: JobID) async throws -> [ArtifactRef]
    /// Stores an artifact's metadata row (idempotent) and, when `job` is given, attaches it.
    func recordArtifact(_ artifact: ArtifactRef, job: JobID?, now: Date) async throws
    /// The metadata row of one artifact.
    func artifact(sha256: String) async throws -> ArtifactRef?
    func costs(_ id: JobID) async throws -> [CostRecord]
    /// Cost records in `[since, until)`, oldest first.
    func costRecords(since: Date?, until: Date?) async throws -> [CostRecord]

    /// Records the result-cache key of the request that served job `id` (see `ResultCacheKey`). Only a job that
    /// then succeeds can answer later jobs.
    func setCacheKey(_ id: JobID, key: String) async throws
    /// Succeeded jobs served for `key`, newest first, other than `excluding`, at most `limit`.
    func cacheCandidates(key: String, excluding: JobID, limit: Int) async throws -> [JobID]
    /// In one write transaction: checks that each limit has room for `hold` (cost records in its window plus other
    /// jobs' holds still in flight) and, when all do, records the hold, replacing the job's earlier one.
    func reserveBudget(_ hold: BudgetHold, limits: [BudgetLimit], now: Date) async throws -> BudgetDecision
    /// How many jobs are in each state.
    func countsByState() async throws -> [JobState: Int]

    /// The job submitted with this idempotency key, if any.
    func job(idempotencyKey: String) async throws -> Job?

    /// Creates or updates a batch and replaces its entries, in one transaction.
    func saveBatch(_ batch: BatchRecord, entries: [BatchEntry]) async throws
    func batch(_ id: String) async throws -> BatchRecord?
    /// A batch's entries in input order.
    func batchEntries(_ id: String) async throws -> [BatchEntry]
    /// The newest batches first.
    func batches(limit: Int) async throws -> [BatchRecord]

    func registerWorker(_ worker: WorkerInfo) async throws
    func workerHeartbeat(_ id: String, now: Date) async throws
    func removeWorker(_ id: String) async throws
    /// Workers whose last heartbeat is newer than `now - staleAfter`.
    func liveWorkers(now: Date, staleAfter: TimeInterval) async throws -> [WorkerInfo]
}
