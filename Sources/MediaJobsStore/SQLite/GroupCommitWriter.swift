import Foundation
import GRDB

/// Runs the store's write transactions on one dedicated thread, and commits the writes that
/// arrive while it is busy together, in one IMMEDIATE transaction (group commit).
///
/// Each write of a group runs inside its own SAVEPOINT: one that throws is rolled back alone and
/// the others still commit. Every caller is resumed only after the commit that holds its write, so
/// a returned write is exactly as durable as one in a transaction of its own. A write alone in its
/// group runs in a plain transaction.
///
/// Why a thread of our own: SQLite blocks (and waits for other processes' locks), so it must stay
/// off the cooperative pool; a thread that owns the writer connection takes a request with one lock
/// and one wake-up, instead of GRDB's async write with its dispatch queue and actor hops.
final class GroupCommitWriter: @unchecked Sendable {
    // @unchecked: `pending` and `stopped` are only touched while holding `condition`; requests are
    // run only by the writer thread, which alone uses the pool's writer connection outside GRDB's
    // own serialized calls (`writeWithoutTransaction` runs its block on the calling thread, and
    // serializes with any other write through the pool).
    private let condition = NSCondition()
    private var pending: [any WriteRequest] = []
    private var stopped = false
    /// Whether the thread is blocked in `condition.wait()` (so a new request must signal it).
    private var sleeping = false
    private let pool: DatabasePool
    private let maxGroup: Int
    /// Nanoseconds to poll for more work before sleeping.
    private let spin: UInt64

    /// - Parameters:
    ///   - maxGroup: the most writes committed in one transaction.
    ///   - spinMicroseconds: how long the thread polls for the next request before it sleeps.
    init(pool: DatabasePool, name: String, maxGroup: Int = 64, spinMicroseconds: Int = 50) {
        self.pool = pool
        self.maxGroup = max(1, maxGroup)
        self.spin = UInt64(max(0, spinMicroseconds)) * 1_000
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Lets the thread finish the writes already asked for, then end.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` inside a write transaction (maybe shared with other writes, each in a savepoint)
    /// and returns its value once that transaction is committed. Throws `CancellationError` when
    /// the task is already cancelled (like GRDB's async writes); once asked for, a write runs.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try Task.checkCancellation()
        return try await withUnsafeThrowingContinuation { continuation in
            submit(TypedWriteRequest(body: body) { continuation.resume(with: $0) })
        }
    }

    /// `write` for a thread of its own (never the writer thread, nor a thread of the cooperative pool): it blocks
    /// until the transaction holding `body` is committed. What a lease keeper uses, so renewing a lease needs no
    /// thread of the cooperative pool, however busy that pool is.
    func writeBlocking<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = OutcomeBox<T>()
        submit(TypedWriteRequest(body: body) { outcome in
            box.outcome = outcome
            done.signal()
        })
        done.wait()
        return try box.outcome!.get()
    }

    private func submit(_ request: any WriteRequest) {
        condition.lock()
        if stopped {
            condition.unlock()
            request.finish(with: StoreStopped())
            return
        }
        pending.append(request)
        if sleeping { condition.signal() }
        condition.unlock()
    }

    private struct StoreStopped: Error, CustomStringConvertible {
        var description: String { "the store is closed" }
    }

    // MARK: - The writer thread

    private func run() {
        var group: [any WriteRequest] = []
        group.reserveCapacity(maxGroup)
        while true {
            spinForWork()
            condition.lock()
            while pending.isEmpty && !stopped {
                sleeping = true
                condition.wait()
                sleeping = false
            }
            if pending.isEmpty {
                condition.unlock()
                return
            }
            let count = min(maxGroup, pending.count)
            group.append(contentsOf: pending.prefix(count))
            pending.removeFirst(count)
            condition.unlock()

            execute(group)
            group.removeAll(keepingCapacity: true)
        }
    }

    /// Polls for a new request for up to `spin` before the thread goes to sleep: a caller that just
    /// got its answer usually asks again within microseconds, and a sleeping thread takes tens of
    /// microseconds to wake.
    private func spinForWork() {
        guard spin > 0 else { return }
        let deadline = DispatchTime.now().uptimeNanoseconds + spin
        var polls = 0
        while true {
            condition.lock()
            let ready = !pending.isEmpty || stopped
            condition.unlock()
            if ready { return }
            polls += 1
            if polls % 16 == 0 && DispatchTime.now().uptimeNanoseconds >= deadline { return }
        }
    }

    /// Runs `group` in one transaction and resumes every caller.
    private func execute(_ group: [any WriteRequest]) {
        var redo: [any WriteRequest] = []
        var began = false
        do {
            try pool.writeWithoutTransaction { db in
                try db.beginTransaction(.immediate)
                began = true
                do {
                    if group.count == 1 {
                        do {
                            try group[0].run(db)
                        } catch {
                            group[0].fail(error)
                            if db.isInsideTransaction { try db.rollback() }
                            return
                        }
                    } else {
                        let savepoint = try db.cachedStatement(sql: "SAVEPOINT grouped_write")
                        let release = try db.cachedStatement(sql: "RELEASE SAVEPOINT grouped_write")
                        let rollback = try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT grouped_write")
                        for (index, request) in group.enumerated() {
                            try savepoint.execute()
                            do {
                                try request.run(db)
                                try release.execute()
                            } catch {
                                request.fail(error)
                                guard db.isInsideTransaction else {
                                    // SQLite rolled the whole transaction back (a full disk, an I/O
                                    // error): run the group's other writes again, each alone.
                                    redo = group.enumerated().filter { $0.offset != index }.map(\.element)
                                    return
                                }
                                try rollback.execute()
                                try release.execute()
                            }
                        }
                    }
                    do {
                        try db.commit()
                    } catch {
                        if db.isInsideTransaction { try? db.rollback() }
                        guard group.count > 1 else { throw error }
                        // Nothing of the group was kept: each write gets its own transaction and error.
                        redo = group
                    }
                } catch {
                    // Never leave the connection inside a transaction.
                    if db.isInsideTransaction { try? db.rollback() }
                    throw error
                }
            }
        } catch {
            if began && group.count > 1 && redo.isEmpty {
                // A savepoint statement failed: nothing of the group was kept.
                redo = group
            } else {
                for request in group { request.fail(error) }
            }
        }
        if !redo.isEmpty {
            for request in redo { execute([request]) }
            for request in group where !redo.contains(where: { $0 === request }) { request.resume() }
            return
        }
        for request in group { request.resume() }
    }
}

/// A write waiting for the writer thread, type-erased so writes of any result share one queue.
private protocol WriteRequest: AnyObject, Sendable {
    /// Runs the write and keeps its value (called on the writer thread only).
    func run(_ db: Database) throws
    /// Keeps `error` as the outcome.
    func fail(_ error: any Error)
    /// Resumes the caller with the kept outcome (once its transaction ended).
    func resume()
    /// Keeps `error` and resumes the caller at once.
    func finish(with error: any Error)
}

/// The outcome of a blocking write, handed from the writer thread to the waiting one.
private final class OutcomeBox<T: Sendable>: @unchecked Sendable {
    // @unchecked: written once by the writer thread before it signals the semaphore the reader waits on.
    var outcome: Result<T, any Error>?
}

private final class TypedWriteRequest<T: Sendable>: WriteRequest, @unchecked Sendable {
    // @unchecked: `outcome` is written and read on the writer thread only, before `resume` hands
    // it to the caller's completion (which is called exactly once).
    private let body: @Sendable (Database) throws -> T
    private let completion: @Sendable (Result<T, any Error>) -> Void
    private var outcome: Result<T, any Error>?

    init(body: @escaping @Sendable (Database) throws -> T,
         completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        self.body = body
        self.completion = completion
    }

    func run(_ db: Database) throws {
        outcome = .success(try body(db))
    }

    func fail(_ error: any Error) {
        outcome = .failure(error)
    }

    func resume() {
        completion(outcome ?? .failure(CancellationError()))
    }

    func finish(with error: any Error) {
        completion(.failure(error))
    }
}
