import Foundation
import Logging
import MediaJobsCore
import MediaJobsStore
import PostgresNIO
import Synchronization

// Idle workers' wake-ups: NOTIFY from any process on `jobsChannel`, and the time the next job falls due.
extension PostgresJobStore {
    public func workGeneration() -> UInt64 { work.generation }

    /// Waits as `JobQueue.waitForWork` says: until a job may have become claimable, `seconds` pass, or cancellation.
    ///
    /// A job queued, retried, released or rescued by this store wakes its waiters when that transaction commits;
    /// by another store (this machine's or another's), when its `NOTIFY` reaches this store's listener. A job of
    /// `scope` that falls due with no notification (a retry's backoff, a scheduled `run_at`, a waiting job's next
    /// poll) wakes them too: before waiting, the earliest `run_at` of the jobs `scope` claims is looked up, and the
    /// wait ends then at the latest.
    ///
    /// That earliest time may have passed already: the job fell due after the caller's claim (a busy machine can stall
    /// between the two), or another worker's claim held it locked. Then the wait is `dueNowWait` at most, and the
    /// caller's next claim takes it.
    public func waitForWork(since generation: UInt64, upTo seconds: TimeInterval, scope: ClaimScope) async {
        guard seconds > 0, work.generation == generation, !Task.isCancelled else { return }
        var limit = seconds
        if let due = await nextDueTime(scope: scope) {
            let untilDue = due.timeIntervalSinceNow
            // A millisecond past it, so the claim that follows finds the job due.
            limit = min(limit, untilDue > 0 ? untilDue + 0.001 : Self.dueNowWait)
        }
        await work.wait(since: generation, upTo: limit)
    }

    /// How long `waitForWork` waits at most when a job of its scope is already due.
    static let dueNowWait: TimeInterval = 0.01

    /// The earliest `run_at` of the jobs `scope` claims: queued ones (a retry's backoff, a scheduled job) and waiting
    /// ones (a waiting job's `run_at` is the time it may be claimed to poll). Nil when there is none, or when the
    /// server could not say (the waiter then waits its full time, as a backend that cannot tell does).
    func nextDueTime(scope: ClaimScope) async -> Date? {
        let query: PostgresQuery = switch scope {
        case .any:
            """
            SELECT LEAST((SELECT MIN(run_at) FROM jobs WHERE state = 'queued'),
                         (SELECT MIN(run_at) FROM jobs WHERE state = 'waiting'))
            """
        case .queued: "SELECT MIN(run_at) FROM jobs WHERE state = 'queued'"
        case .duePolls: "SELECT MIN(run_at) FROM jobs WHERE state = 'waiting'"
        }
        do {
            // One try, no retries: a wait is no reason to hold a worker back while the server is away.
            let due = try await client.withConnection { [logger] connection in
                try await ConnectionCloseGuard.run(on: connection) {
                    try await PostgresSession(connection: connection, logger: logger).rows(query).first?
                        .decode(Int64?.self)
                }
            }
            return due.map(StoredTime.decode)
        } catch {
            logger.debug("could not look up when the next job falls due", metadata: ["reason": "\(Self.reason(error))"])
            return nil
        }
    }

    /// Tells listeners on `jobsChannel` that a job may be claimable, when the transaction commits (PostgreSQL
    /// delivers it only then, and once per transaction however often it is sent). The payload names this store, whose
    /// own listener skips it: `write` wakes this store's waiters itself as soon as the transaction has committed, so
    /// a job this process queued is never news that arrives late.
    static func notifyQuery(payload: String) -> PostgresQuery {
        "SELECT pg_notify(\(jobsChannel), \(payload))"
    }

    func notifyJobs(_ session: PostgresSession) async throws {
        try await session.rows(Self.notifyQuery(payload: jobsListener.id), preparedAs: Notify.self)
        session.notifiedJobs.set()
    }
}

/// A mark a transaction's statements set for what `write` does after it commits.
final class CommitMark: Sendable {
    private let value = Atomic(false)

    init() {}

    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// The store's one long-lived `LISTEN` on `PostgresJobStore.jobsChannel`: it holds one connection of the store's pool
/// and signals the store's `WorkSignal` on each notification sent by another store. It starts when the store connects
/// and, when its connection drops, listens again on another after a growing pause (0.1 s doubling to 10 s), then
/// signals once, since notifications sent while it was away are lost.
final class JobsListener: Sendable {
    /// What this store's notifications carry, so that its own listener knows them.
    let id = UUID().uuidString

    private let state = Mutex(State())

    private struct State {
        var task: Task<Void, Never>?
        var listening = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    init() {}

    /// Starts listening on connections of `client`, signalling `work`.
    func start(client: PostgresClient, work: WorkSignal, logger: Logger) {
        let task = Task { [self] in await self.run(client: client, work: work, logger: logger) }
        state.withLock { $0.task = task }
    }

    /// Stops listening and waits for the listening task to end.
    func stop() async {
        let task = state.withLock { $0.task }
        task?.cancel()
        await task?.value
        setListening(false)
    }

    /// Stops listening without waiting (a store deinitialised without `shutdown`).
    func cancel() {
        state.withLock { $0.task }?.cancel()
    }

    /// Returns once `LISTEN` is in effect, or after `timeout`: a notification committed after that reaches the store.
    func ready(within timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.untilListening() }
            await group.next()
            group.cancelAll()
        }
    }

    private func untilListening() async {
        let id = state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = state.withLock { state in
                    guard !state.listening, !Task.isCancelled else { return false }
                    state.waiters[id] = continuation
                    return true
                }
                if !parked { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    private func setListening(_ listening: Bool) {
        let waiting = state.withLock { state in
            state.listening = listening
            guard listening else { return [CheckedContinuation<Void, Never>]() }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    private func run(client: PostgresClient, work: WorkSignal, logger: Logger) async {
        var failures = 0
        var listenedBefore = false
        while !Task.isCancelled {
            let listened = CommitMark()
            do {
                try await client.withConnection { connection in
                    try await ConnectionCloseGuard.run(on: connection) { [self, listenedBefore] in
                        try await connection.listen(on: PostgresJobStore.jobsChannel) { notifications in
                            // LISTEN is in effect from here.
                            if listenedBefore { work.signal() }
                            listened.set()
                            setListening(true)
                            for try await notification in notifications where notification.payload != id {
                                work.signal()
                            }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning("stopped listening for new jobs; listening again soon", metadata: [
                    "channel": "\(PostgresJobStore.jobsChannel)", "reason": "\(PostgresJobStore.reason(error))",
                ])
            }
            setListening(false)
            if listened.isSet {
                listenedBefore = true
                failures = 0
            }
            if Task.isCancelled { break }
            failures += 1
            let pause = min(10, 0.1 * pow(2, Double(min(failures, 10) - 1))) * Double.random(in: 0.8...1.2)
            do {
                try await Task.sleep(for: .seconds(pause))
            } catch {
                break
            }
        }
    }
}
