import Foundation
import Logging
import MediaJobsCore
import MediaJobsStore
import ServiceLifecycle

/// How a worker behaves.
public struct WorkerConfiguration: Sendable {
    /// Names the worker in leases, events and the workers table.
    public var id: String
    /// Jobs run at once by the work pool (submission, download, validation, transcoding).
    public var concurrency: Int
    /// Slots of the poll pool, which only polls waiting jobs whose `poll_at` has come (and finishes those it finds
    /// done). 0: no separate pool; every slot takes queued and waiting jobs alike.
    public var pollConcurrency: Int
    /// How long a lease lasts without a heartbeat; a crashed worker's jobs are rescued after it.
    public var leaseDuration: TimeInterval
    /// Longest sleep between claims when the queue is empty.
    public var maxIdleSleep: TimeInterval
    /// How often expired leases are looked for and the worker row is refreshed.
    public var housekeepingInterval: TimeInterval

    public init(
        id: String = WorkerConfiguration.defaultID(), concurrency: Int = 2, leaseDuration: TimeInterval = 30,
        maxIdleSleep: TimeInterval = 0.25, housekeepingInterval: TimeInterval = 2, pollConcurrency: Int = 0
    ) {
        self.id = id
        self.concurrency = max(1, concurrency)
        self.pollConcurrency = max(0, pollConcurrency)
        self.leaseDuration = leaseDuration
        self.maxIdleSleep = maxIdleSleep
        self.housekeepingInterval = housekeepingInterval
    }

    /// `host:pid:random`, unique per process.
    public static func defaultID() -> String {
        let host = ProcessInfo.processInfo.hostName
        return "\(host):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(6).lowercased())"
    }
}

/// Claims jobs and runs them through the pipeline, `concurrency` at a time, until shut down.
///
/// On graceful shutdown (SIGTERM, SIGINT) it stops claiming and lets running jobs finish; if it is
/// then cancelled, running jobs are released to the queue without counting the attempt.
public struct Worker: Service {
    public let store: any JobStore
    public let pipeline: Pipeline
    public let configuration: WorkerConfiguration
    public let logger: Logger
    /// What the poll slots finish jobs with: the pipeline on a media lane of one thread per poll slot, so a poll
    /// slot that finds a generation done never queues its download's validation (or conversion) behind the
    /// transcodes of the work slots, which can hold every thread of the shared engine.
    let pollPipeline: Pipeline
    /// The jobs this worker is running now, whose leases it renews from a thread of its own (see `LeaseKeeper`):
    /// its own rescue of expired leases spares them, since a worker that is looking is alive.
    let held = LeaseKeeper()

    public init(store: any JobStore, pipeline: Pipeline, configuration: WorkerConfiguration, logger: Logger) {
        self.store = store
        self.pipeline = pipeline
        pollPipeline = configuration.pollConcurrency > 0
            ? pipeline.using(engine: .lane(threads: configuration.pollConcurrency)) : pipeline
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        try await run(until: nil)
    }

    /// Runs until `stop` returns true (checked between jobs and while idle), or shutdown.
    public func run(until stop: (@Sendable () async -> Bool)?) async throws {
        let now = Date()
        try await store.registerWorker(WorkerInfo(
            id: configuration.id, host: ProcessInfo.processInfo.hostName,
            pid: ProcessInfo.processInfo.processIdentifier, concurrency: configuration.concurrency,
            startedAt: now, heartbeatAt: now))
        logger.info("worker started", metadata: ["worker": "\(configuration.id)", "concurrency": "\(configuration.concurrency)"])
        held.start(store: store, worker: configuration.id, leaseDuration: configuration.leaseDuration, logger: logger)
        defer { held.stop() }
        let swept = await pipeline.sweepKeptAnswers()
        if swept > 0 { logger.info("removed answers kept for jobs that have ended", metadata: ["count": "\(swept)"]) }
        defer { logger.info("worker stopped", metadata: ["worker": "\(configuration.id)"]) }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.housekeeping() }
                let pools = configuration.pollConcurrency > 0
                for slot in 0..<configuration.concurrency {
                    group.addTask { try await self.slotLoop(slot: slot, scope: pools ? .queued : .any, stop: stop) }
                }
                for slot in 0..<configuration.pollConcurrency {
                    group.addTask { try await self.slotLoop(slot: slot, scope: .duePolls, stop: stop) }
                }
                // The slots end on shutdown or when `stop` says so; then housekeeping ends too.
                var finishedSlots = 0
                while let _ = try await group.next() {
                    finishedSlots += 1
                    if finishedSlots == configuration.concurrency + configuration.pollConcurrency { group.cancelAll() }
                }
            }
        } catch is CancellationError {
            // Cancelled after the grace period: the slots released their jobs.
        }
        try? await store.removeWorker(configuration.id)
    }

    private var shouldStop: Bool {
        Task.isCancelled || Task.isShuttingDownGracefully
    }

    private func slotLoop(slot: Int, scope: ClaimScope, stop: (@Sendable () async -> Bool)?) async throws {
        var idleSleep = 0.01
        while !shouldStop {
            if let stop, await stop() { return }
            let now = Date()
            let job: Job?
            // The keeper renews what this claim takes even before its answer reaches this task (see `LeaseKeeper`).
            let ticket = held.claiming(at: now)
            let generation = store.workGeneration()
            do {
                job = try await store.claim(worker: configuration.id, now: now,
                                            leaseExpiry: now.addingTimeInterval(configuration.leaseDuration), limit: 1,
                                            scope: scope).first
            } catch {
                logger.error("claim failed", metadata: ["error": "\(error)"])
                job = nil
            }
            held.claimed(ticket, ids: job.map { [$0.id] } ?? [])
            guard let job else {
                // Woken early when the store learns of new work (a job queued here, or a notification).
                await store.waitForWork(since: generation, upTo: idleSleep, scope: scope)
                idleSleep = min(configuration.maxIdleSleep, idleSleep * 2)
                continue
            }
            idleSleep = 0.01
            await process(job, with: scope == .duePolls ? pollPipeline : pipeline)
        }
    }

    /// How long a poll of a job that a provider holds may take past the job's deadline: the poll, and when the
    /// generation is done, its download, validation and storing.
    ///
    /// A job that waits at a provider can pass its deadline while its generation is already made (and paid for),
    /// because the workers were slow to come back to it, or while it is being collected. Failing it then would throw
    /// that away, so a job past its deadline gets a last look: a finished generation is collected as usual, and one
    /// still running ends the job with `job.timeout` and is canceled at the provider. No new submission is made
    /// (`Pipeline.run(submitting: false)`).
    static let lastLookGrace: TimeInterval = 600

    /// Runs one claimed job with a lease heartbeat beside it, and records how it ended.
    func process(_ job: Job, with pipeline: Pipeline) async {
        let id = job.id
        held.insert(id, leaseUntil: job.leaseExpiresAt)
        defer { held.remove(id) }
        let worker = configuration.id
        logger.debug("job claimed", metadata: ["job": "\(id)", "kind": "\(job.kind)", "attempt": "\(job.attempts)"])
        let deadline = await self.deadline(of: job)
        // A job whose generation a provider holds is polled even past its deadline, and one found finished is
        // collected whenever the deadline passes meanwhile (see `lastLookGrace`).
        let polling = job.providerHandle != nil
        let lastLook = deadline <= Date() && polling
        if deadline <= Date() && !lastLook {
            await Task { await self.record(.failure(DeadlinePassed(deadline: deadline)), for: job) }.value
            return
        }
        let limit = polling ? max(deadline, Date().addingTimeInterval(Worker.lastLookGrace)) : deadline
        if lastLook {
            try? await store.addEvent(id, kind: .note, worker: worker, detail: String(
                format: "past its deadline (deadline_seconds %.0f): one last look at the provider; a finished generation "
                    + "is collected, one still running is stopped", job.spec.effectiveDeadlineSeconds), now: Date())
        }
        let outcome: Result<Pipeline.Outcome, any Error> = await withTaskGroup(of: Result<Pipeline.Outcome, any Error>?.self) { group in
            group.addTask {
                do {
                    let outcome = try await pipeline.run(job, worker: worker, submitting: !lastLook)
                    // Still generating past the deadline: stopped, and canceled at the provider.
                    if case .waiting = outcome, deadline <= Date() { return .failure(DeadlinePassed(deadline: deadline)) }
                    return .success(outcome)
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                // The deadline: the attempt is abandoned when it passes.
                try? await Task.sleep(for: .seconds(limit.timeIntervalSinceNow))
                return Task.isCancelled ? nil : .failure(DeadlinePassed(deadline: deadline))
            }
            group.addTask {
                // The lease: if it is lost (job canceled, or taken over), the run is abandoned. The keeper's thread
                // renews it (see `LeaseKeeper`).
                await self.held.lost(id).map { .failure($0) }
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            if let first { return first }
            return (await group.next() ?? nil) ?? .failure(CancellationError())
        }
        // Recorded in a task of its own, so a cancelled worker still writes how the job ended.
        await Task { await self.record(outcome, for: job) }.value
    }

    private func record(_ outcome: Result<Pipeline.Outcome, any Error>, for job: Job) async {
        let worker = configuration.id
        let now = Date()
        // The attempt's end is recorded (below) unless the job was released or taken away: then a kept answer (see
        // `KeptAnswer`) has done its work. A released job keeps it for the worker that finishes it.
        var ended = true
        defer { if ended { pipeline.discardKeptAnswer(job.id) } }
        do {
            switch outcome {
            case .success(.completed(let completion)):
                try await store.complete(job.id, worker: worker, result: completion, now: now)
                logger.info("job succeeded", metadata: ["job": "\(job.id)", "kind": "\(job.kind)"])
            case .success(.waiting(let handle, let pollAt)):
                do {
                    try await store.wait(job.id, worker: worker, handle: handle, pollAt: pollAt, now: now)
                } catch let error as MediaJobsError where error.code == .leaseLost {
                    // Canceled while the provider was accepting it: stop the generation there too.
                    await cancelAtProvider(job, handle: handle, why: "the job was canceled")
                    throw error
                }
            case .failure(let passed as DeadlinePassed):
                let error = passed.error(for: job)
                try await ledgerStoppedRequest(job, why: "the attempt was stopped at the job's deadline", now: now)
                try await store.fail(job.id, worker: worker, error: error, retryable: false, costs: [], now: now)
                logger.info("job timed out", metadata: ["job": "\(job.id)", "deadline": "\(passed.deadline)"])
                if let handle = job.providerHandle {
                    await cancelAtProvider(job, handle: handle, why: "the job passed its deadline")
                }
            case .failure(let failure as Pipeline.Failure):
                let after = try await store.fail(job.id, worker: worker, error: failure.error, retryable: failure.retryable,
                                                 costs: failure.costs,
                                                 notBefore: failure.retryAfter.map { now.addingTimeInterval($0) }, now: now)
                logger.info("job attempt failed", metadata: [
                    "job": "\(job.id)", "error": "\(failure.error)", "state": "\(after.state)",
                ])
            case .failure(let error as MediaJobsError) where error.code == .leaseLost:
                ended = false
                logger.info("job abandoned: lease lost (canceled or taken over)", metadata: ["job": "\(job.id)"])
            case .failure(is CancellationError):
                ended = false
                try await store.release(job.id, worker: worker, now: now)
                logger.info("job released on shutdown", metadata: ["job": "\(job.id)"])
            case .failure(let error):
                let wrapped = MediaJobsError.wrapping(error)
                try await ledgerStoppedRequest(job, why: "the attempt ended with \(wrapped.code)", now: now)
                try await store.fail(job.id, worker: worker, error: wrapped, retryable: Pipeline.isRetryable(wrapped),
                                     costs: [], now: now)
            }
        } catch let error as MediaJobsError where error.code == .leaseLost {
            ended = false
            logger.info("job result dropped: lease lost (canceled or taken over)", metadata: ["job": "\(job.id)"])
        } catch {
            ended = false
            logger.error("could not record job outcome", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }

    /// Puts in the ledger the create request of `job`'s attempt that ended before the pipeline could record its cost
    /// (stopped at the deadline, or a failure the pipeline did not see): if the attempt marked a request as sent, its
    /// cost as marked then, with an unknown outcome, as for a worker that died (`CostLedger.noteUnknownOutcome`;
    /// nothing when no request was marked). Its answer may even have arrived: the ledger is never below what the
    /// provider may have billed. A job that a provider already held when it was claimed (`providerHandle`) was
    /// submitted by an earlier run, whose request is accounted for there.
    private func ledgerStoppedRequest(_ job: Job, why: String, now: Date) async throws {
        guard job.providerHandle == nil else { return }
        try await store.noteUnknownOutcome(job.id, worker: configuration.id, detail: """
            \(SubmissionRisk.unknownOutcomePrefix): attempt \(job.attempts)'s create request was sent and \(why) \
            before its cost was recorded; it is in the ledger at its estimated cost
            """, now: now)
    }

    /// Refreshes this worker's row, rescues jobs whose worker died, and times out queued and waiting jobs past
    /// their deadline.
    private func housekeeping() async throws {
        while !Task.isCancelled {
            do {
                let now = Date()
                try await store.workerHeartbeat(configuration.id, now: now)
                let rescued = try await store.rescueExpiredLeases(now: now, sparing: held.ids)
                if rescued > 0 { logger.warning("rescued jobs with expired leases", metadata: ["count": "\(rescued)"]) }
                await sweepDeadlines(now: now)
            } catch {
                logger.warning("housekeeping failed", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: .seconds(configuration.housekeepingInterval))
        }
    }
}
