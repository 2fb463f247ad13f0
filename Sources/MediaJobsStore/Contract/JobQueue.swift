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


/// The queue: how a job enters, is leased to one worker, and leaves (done, failed, waiting on its provider,
/// canceled, retried or rescued).
///
/// Times are passed in (`now`) so tests control the clock. A worker acts on a job only while it holds the job's
/// lease: every call that takes `worker` checks it and throws `job.lease_lost` (`MediaJobsError.Code.leaseLost`)
/// when the lease now belongs to someone else or the job was canceled. Each call is one transaction.
public protocol JobQueue: Sendable {
    /// Adds a job in state `queued`, with an event `submitted`. A spec whose `idempotency_key`
    /// is already known returns that job unchanged with `created == false`.
    func enqueue(_ spec: JobSpec, now: Date) async throws -> EnqueueResult

    /// Adds many jobs in one transaction (all or none), with the same idempotency rule per job.
    func enqueue(_ specs: [JobSpec], now: Date) async throws -> [EnqueueResult]

    /// Adds the parts of job `parent` (pieces of a long input), as `enqueue` does, each with `Job.parentID` set. A part
    /// that ends (succeeded, failed for good, canceled) makes its parent, waiting on its parts, due at once; canceling
    /// the parent cancels its parts that have not ended. Throws `job.not_found` when `parent` is unknown.
    func enqueue(_ specs: [JobSpec], parent: JobID?, now: Date) async throws -> [EnqueueResult]

    /// Takes the most urgent runnable job and leases it to `worker` until `leaseExpiry`.
    ///
    /// Runnable means queued with `run_at <= now`, or waiting with `poll_at <= now`. Highest
    /// priority first, then earliest `run_at`. One `UPDATE … RETURNING` statement, so two
    /// processes never take the same job. Claiming a queued job starts an attempt
    /// (`attempts + 1`); claiming a waiting job (to poll it) does not.
    func claim(worker: String, now: Date, leaseExpiry: Date) async throws -> Job?

    /// Claims up to `limit` jobs in one transaction.
    func claim(worker: String, now: Date, leaseExpiry: Date, limit: Int) async throws -> [Job]

    /// Claims up to `limit` runnable jobs of one pool's `scope` (see `ClaimScope`), as `claim` does.
    func claim(worker: String, now: Date, leaseExpiry: Date, limit: Int, scope: ClaimScope) async throws -> [Job]

    /// What `waitForWork` compares against: read it before a claim that may find nothing.
    func workGeneration() -> UInt64

    /// Waits while nothing of `scope` may be claimable: returns when a job may have become claimable since
    /// `generation` was read (queued or retried, by this process or, where the backend can tell, by another), when a
    /// job of `scope` falls due (where the backend can tell), when `seconds` pass, or on cancellation. A backend that
    /// cannot tell just waits `seconds`; callers keep `seconds` short enough to pick up jobs that fall due.
    ///
    /// `scope` is the one the caller's empty claim used: a job of another pool falling due does not end the wait.
    func waitForWork(since generation: UInt64, upTo seconds: TimeInterval, scope: ClaimScope) async

    /// Extends the lease. Throws `job.lease_lost` if `worker` no longer holds it.
    func heartbeat(_ id: JobID, worker: String, leaseExpiry: Date) async throws

    /// Writes a synchronous provider's answer (`handle`: where its files are kept and what it billed) on a running
    /// job, with an event saying `detail`, before the answer is validated or converted. If the worker dies after this,
    /// the rescue sends the job to `waiting` (it has a handle) and a poll slot finishes it from the kept answer: the
    /// provider is not asked, and paid, again. Throws `job.lease_lost` if `worker` no longer holds the lease.
    func keepAnswer(_ id: JobID, worker: String, handle: String, detail: String, now: Date) async throws

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
}

extension JobQueue {
    /// Rescues every running job whose lease expired.
    @discardableResult
    public func rescueExpiredLeases(now: Date) async throws -> Int {
        try await rescueExpiredLeases(now: now, sparing: [])
    }

    /// `fail` with no earliest time but the retry policy's.
    @discardableResult
    public func fail(_ id: JobID, worker: String, error: MediaJobsError, retryable: Bool, costs: [CostRecord],
                     now: Date) async throws -> Job {
        try await fail(id, worker: worker, error: error, retryable: retryable, costs: costs, notBefore: nil, now: now)
    }

    /// `waitForWork` after a claim of every runnable job (`ClaimScope.any`).
    public func waitForWork(since generation: UInt64, upTo seconds: TimeInterval) async {
        await waitForWork(since: generation, upTo: seconds, scope: .any)
    }
}
