import Foundation
import Synchronization

/// Wakes the tasks of this process that wait for work (`JobQueue.waitForWork`) when the store learns that a job may
/// have become claimable: this process queued one (SQLite), or another process said so (PostgreSQL's NOTIFY).
///
/// A generation counter closes the gap between a claim that found nothing and the wait after it: a waiter passes the
/// generation it read before its claim, and returns at once when a signal came in between.
public final class WorkSignal: Sendable {
    private let state = Mutex(State())

    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    public init() {}

    /// The number of signals so far.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter, and every later `wait` that passes an older generation.
    public func signal() {
        let waiting = state.withLock { state in
            state.generation &+= 1
            let waiting = state.waiters
            state.waiters.removeAll()
            return waiting
        }
        for continuation in waiting.values { continuation.resume() }
    }

    /// Returns when a signal comes after `generation` was read, when `seconds` pass, or when the task is cancelled.
    public func wait(since generation: UInt64, upTo seconds: TimeInterval) async {
        guard seconds > 0, self.generation == generation else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: .seconds(seconds)) }
            group.addTask { await self.park(since: generation) }
            await group.next()
            group.cancelAll()
        }
    }

    private func park(since generation: UInt64) async {
        let id = state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Cancellation sets the flag before its handler runs: checked under the lock, a waiter is either
                // never parked or found by the handler.
                let parked = state.withLock { state in
                    guard state.generation == generation, !Task.isCancelled else { return false }
                    state.waiters[id] = continuation
                    return true
                }
                if !parked { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
