import Foundation
import MediaJobsCore
import MediaJobsWorker

/// Waits for a job to end, showing its stage on a terminal. Whenever no worker is alive on this
/// home, it runs a worker in this process until the job ends.
struct JobWaiter {
    let context: Context

    func wait(for id: JobID, timeout: TimeInterval?) async throws -> Job {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        defer { Terminal.endProgress() }
        var lastLine = ""
        while true {
            let live = try await context.store.liveWorkers(now: Date(), staleAfter: 10)
            if live.isEmpty {
                try await runWorker(until: id, deadline: deadline, lastLine: &lastLine)
            }
            // Watch for a few seconds, then look again whether a worker is still alive.
            let recheck = Date().addingTimeInterval(5)
            while Date() < recheck {
                let job = try await current(id)
                if job.state.isFinal { return job }
                if let deadline, Date() > deadline {
                    throw MediaJobsError(.internalError, "wait: job \(id) is still \(job.state) after the timeout")
                }
                show(job, lastLine: &lastLine)
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    private func runWorker(until id: JobID, deadline: Date?, lastLine: inout String) async throws {
        let store = context.store
        let worker = Worker(
            store: store, pipeline: context.pipeline,
            configuration: WorkerConfiguration(concurrency: ProcessInfo.processInfo.activeProcessorCount),
            logger: context.logger)
        let running = Task {
            try await worker.run(until: {
                if let deadline, Date() > deadline { return true }
                guard let job = try? await store.job(id) else { return true }
                return job.state.isFinal
            })
        }
        while true {
            let job = try await current(id)
            if job.state.isFinal { break }
            if let deadline, Date() > deadline { break }
            show(job, lastLine: &lastLine)
            try await Task.sleep(for: .milliseconds(100))
        }
        try await running.value
    }

    private func current(_ id: JobID) async throws -> Job {
        guard let job = try await context.store.job(id) else {
            throw MediaJobsError(.jobNotFound, "id: job \(id) disappeared")
        }
        return job
    }

    private func show(_ job: Job, lastLine: inout String) {
        let line = "\(job.id) \(job.state)" + (job.stage.map { ": \($0)" } ?? "") + " (attempt \(job.attempts))"
        if line != lastLine {
            Terminal.progress(line)
            lastLine = line
        }
    }
}
