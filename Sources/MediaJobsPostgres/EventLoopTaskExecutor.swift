import NIOCore

/// Runs the tasks that prefer it on one NIO event loop: the loop that a connection of the store reads and writes on.
///
/// `ConnectionCloseGuard` runs a store call's statements in a task that prefers its connection's loop. Each statement's
/// answer then resumes the call on the thread that read it, with no hop to Swift's cooperative pool and back: a call
/// crosses threads twice (in and out) however many statements it sends. Without it, every statement cost about four
/// crossings, more on a loaded two-core machine than the statement itself (docs/BENCHMARKS.md, "Queue on
/// PostgreSQL").
///
/// The loops belong to the store (`PostgresJobStore.eventLoops`), not to an HTTP server, so the short CPU work of a
/// call between its statements (binding, decoding rows) waits only behind other store calls.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
