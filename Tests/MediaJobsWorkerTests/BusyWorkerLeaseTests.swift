import Foundation
import GRDB
import Logging
import MediaJobsCore
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Synchronization
import Testing

@Suite("a busy worker is not a dead worker: its leases are renewed from a thread of its own")
struct BusyWorkerLeaseTests {
    /// Blocks every thread of the cooperative pool (spinning, never suspending) until `release`.
    final class PoolBlocker: Sendable {
        private let held = Atomic<Bool>(true)
        let threads = max(2, ProcessInfo.processInfo.activeProcessorCount)

        func block() {
            // Every priority, since each may have threads of its own.
            for priority in [TaskPriority.high, .medium, .low, .background] {
                for _ in 0..<threads {
                    Task.detached(priority: priority) { [self] in
                        while held.load(ordering: .acquiring) { }
                    }
                }
            }
        }

        func release() { held.store(false, ordering: .releasing) }
    }

    /// A plain thread that wakes every 20 ms and keeps the longest gap between its wake-ups: how long the machine
    /// itself (not the cooperative pool) ran no thread of this process that wanted to run.
    final class MachineStallWatch: Sendable {
        private let state = Mutex((running: true, longest: 0.0))

        init() {
            Thread { [self] in
                var last = Date()
                while state.withLock({ $0.running }) {
                    Thread.sleep(forTimeInterval: 0.02)
                    let now = Date()
                    let gap = now.timeIntervalSince(last)
                    state.withLock { $0.longest = max($0.longest, gap) }
                    last = now
                }
            }.start()
        }

        /// Stops the thread; the longest gap seen, in seconds.
        func stop() -> TimeInterval {
            state.withLock { $0.running = false; return $0.longest }
        }
    }

    /// Hands `done` the least time left on `id`'s lease over `seconds`, read from the database file every 20 ms on a
    /// thread of its own (the cooperative pool being blocked meanwhile); minus infinity when the job was never seen
    /// running.
    static func watchLease(path: String, id: JobID, seconds: TimeInterval,
                           then done: @escaping @Sendable (Result<TimeInterval, any Error>) -> Void) {
            let thread = Thread {
                do {
                    let queue = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
                    var least = TimeInterval.infinity
                    var samples = 0
                    let end = Date().addingTimeInterval(seconds)
                    while Date() < end {
                        let expiry = try queue.read { db in
                            try Int64.fetchOne(db, sql: "SELECT lease_expires_at FROM jobs WHERE id = ? AND state = 'running'",
                                               arguments: [id.rawValue])
                        }
                        if let expiry {
                            least = min(least, Double(expiry) / 1_000_000 - Date().timeIntervalSince1970)
                            samples += 1
                        }
                        Thread.sleep(forTimeInterval: 0.02)
                    }
                    done(.success(samples == 0 ? -.infinity : least))
                } catch {
                    done(.failure(error))
                }
            }
            thread.start()
    }

    @Test("with every thread of the cooperative pool blocked for three leases, a running job's lease never lapses")
    func leaseOutlivesAStarvedPool() async throws {
        try await withSimulator { simulator, home in
            // The speech answer comes slowly, so the job is running (waiting on its answer) while the pool is blocked.
            simulator.inject(.slowBody(seconds: 3), count: 1, provider: .openai, path: "/audio/speech")
            let id = try await home.submitter.submit(RemoteCase.first("openai", .tts).spec()).job.id
            // Short enough for the test to be quick, long enough that the renewal thread (every third of it) is
            // scheduled in time on two cores busy with the rest of the suite.
            let lease: TimeInterval = 1.5
            let store = home.store
            let worker = Worker(store: store, pipeline: home.pipeline,
                                configuration: WorkerConfiguration(id: "busy-worker", concurrency: 1, leaseDuration: lease),
                                logger: home.logs.logger)
            let running = Task { try await worker.run(until: { (try? await store.job(id))?.state.isFinal ?? true }) }
            // The event itself: the request is at the simulator, its answer on its slow way.
            while !simulator.requests.contains(where: { $0.fault == Fault.slowBody(seconds: 3).description }) {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await store.job(id)?.state == .running)
            let machine = MachineStallWatch()

            // Threads of their own watch the lease and, after three leases and a half, free the pool again; the
            // result reaches this task once it is free.
            let least = try await withCheckedThrowingContinuation { continuation in
                let blocker = PoolBlocker()
                Self.watchLease(path: store.path, id: id, seconds: 3.5 * lease) { continuation.resume(with: $0) }
                blocker.block()
                Thread { Thread.sleep(forTimeInterval: 3.5 * lease + 0.2); blocker.release() }.start()
            }
            #expect(least > 0, "the lease lapsed (or the job was not running) while the pool was blocked: \(least) s left at worst")

            try await running.value
            let machineStall = machine.stop()
            let job = try #require(try await store.job(id))
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(job.attempts == 1)
            let events = try await store.events(id, after: nil)
            #expect(!events.contains { $0.kind == .leaseExpired }, "\(events.map(\.detail))")
            // From the request on (the pool blocked meanwhile), no lapse. Before it, under a whole suite's load, the
            // claim's write itself may land after the lease it grants (measured from the claim's own clock): the keeper
            // renews that at once and tells it as a lapse, which is what a worker that notices one must do.
            // Unless the machine itself ran none of this process's threads for longer than a renewal's slack (the
            // keeper renews every third of the lease): then the keeper was late with everything else, and a lapse it
            // notices is the truth, told as it should be.
            let sent = try #require(events.firstIndex { $0.detail.hasPrefix("submission started") })
            if machineStall < lease / 3 {
                #expect(!events[sent...].contains { $0.detail.contains("lapsed") },
                        "no thread stalled longer than \(machineStall) s: \(events.map(\.detail))")
            }
        }
    }
}
