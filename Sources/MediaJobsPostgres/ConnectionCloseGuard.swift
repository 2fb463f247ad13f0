import Foundation
import PostgresNIO
import Synchronization

/// Ends work on a connection that the server or the network closed, which postgres-nio (1.33) may otherwise leave
/// waiting forever.
///
/// A statement handed to a `PostgresConnection` whose channel has just closed is written to that closed channel with
/// no promise, so its failure is dropped and the statement's own promise is never completed (postgres-nio pull request
/// 487 fixed this and was reverted). The pool lends such a connection when the server ends it while it is idle, before
/// the pool hears of the close: a restarted server, a proxy's idle timeout, `pg_terminate_backend`. Without this
/// guard that call, and the worker slot or HTTP request behind it, would wait forever.
///
/// `run(on:_:)` runs the work (a store call's statements on one leased connection) in a task of its own and returns
/// when it ends or, failing that, when the connection's channel closes: then with `ConnectionClosed`, which the store
/// treats as a lost connection (the work's changes, uncommitted, are rolled back by the server with the connection).
/// Each connection gets one close callback, however many calls run on it.
enum ConnectionCloseGuard {
    /// The work's connection closed before the work ended.
    struct ConnectionClosed: Error, CustomStringConvertible {
        var description: String { "the connection closed before the statement's answer arrived" }
    }

    private static let watched = Mutex<[ObjectIdentifier: Watch]>([:])

    /// The unfinished work on one open connection.
    private struct Watch {
        var pending: [UInt64: @Sendable () -> Void] = [:]
        var next: UInt64 = 0
    }

    static func run<T: Sendable>(
        on connection: PostgresConnection, _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let key = ObjectIdentifier(connection)
        let outcome = Outcome<T>()
        // Registered before the work starts, so a close from here on ends the wait.
        let registered = watched.withLock { table -> (ticket: UInt64, isNew: Bool)? in
            guard !connection.isClosed else { return nil }
            let isNew = table[key] == nil
            var watch = table[key] ?? Watch()
            let ticket = watch.next
            watch.next &+= 1
            watch.pending[ticket] = { outcome.finish(.failure(ConnectionClosed())) }
            table[key] = watch
            return (ticket, isNew)
        }
        guard let (ticket, isNew) = registered else { throw ConnectionClosed() }
        if isNew {
            // Outside the lock: a future already complete runs the callback at once.
            connection.closeFuture.whenComplete { _ in
                let pending = watched.withLock { $0.removeValue(forKey: key).map { Array($0.pending.values) } }
                for fail in pending ?? [] { fail() }
            }
        }
        // On the store's loop: the statements' answers resume the work where they are read (EventLoopTaskExecutor).
        let task = Task(executorPreference: EventLoopTaskExecutor(connection.eventLoop)) {
            let result: Result<T, any Error>
            do {
                result = .success(try await work())
            } catch {
                result = .failure(error)
            }
            watched.withLock { _ = $0[key]?.pending.removeValue(forKey: ticket) }
            outcome.finish(result)
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { outcome.attach($0) }
        } onCancel: {
            task.cancel()
        }
    }

    /// Resumes the waiting caller once, with whichever comes first: the work's result or the close (which may come
    /// before the caller waits).
    private final class Outcome<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var result: Result<T, any Error>?
        }

        private let state = Mutex(State())

        func attach(_ continuation: CheckedContinuation<T, any Error>) {
            let result = state.withLock { state in
                if state.result == nil { state.continuation = continuation }
                return state.result
            }
            if let result { continuation.resume(with: result) }
        }

        func finish(_ result: Result<T, any Error>) {
            let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
                guard state.result == nil else { return nil }
                state.result = result
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume(with: result)
        }
    }
}
