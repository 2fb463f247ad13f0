import Foundation
import MediaJobsCore
import MediaJobsWorker

/// Waits for jobs to end. Whenever no worker is alive on this home (none was, or it died), it runs
/// a worker in this process until the wait is over.
struct JobWaiter {
    let context: Context
    /// Slots of the in-process worker.
    var concurrency = ProcessInfo.processInfo.activeProcessorCount
    var leaseDuration: TimeInterval = 30

    /// Waits for one job, showing its stage on a terminal.
    func wait(for id: JobID, timeout: TimeInterval?) async throws -> Job {
        var lastLine = ""
        defer { Terminal.endProgress() }
        let jobs = try await wait(for: [id], timeout: timeout) { jobs in
            guard let job = jobs.first else { return }
            let line = "\(job.id) \(job.state)" + (job.stage.map { ": \($0)" } ?? "") + " (attempt \(job.attempts))"
            if line != lastLine {
                Terminal.progress(line)
                lastLine = line
            }
        }
        guard let job = jobs.first else { throw MediaJobsError(.jobNotFound, "id: job \(id) disappeared") }
        return job
    }

    /// Waits until every job of `ids` has ended, `shouldStop` says so, or `timeout` passes; hands the
    /// jobs as they are now to `observe` every `interval`. Returns the jobs as they ended.
    func wait(
        for ids: [JobID], timeout: TimeInterval?, interval: Duration = .milliseconds(100),
        shouldStop: @escaping @Sendable () -> Bool = { false }, observe: ([Job]) -> Void
    ) async throws -> [Job] {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        let over = SharedFlag()
        var worker: Task<Void, any Error>?
        var lastLivenessCheck = Date.distantPast
        defer { over.set() }
        while true {
            let jobs = try await current(ids)
            if jobs.allSatisfy(\.state.isFinal) || shouldStop() {
                over.set()
                try await worker?.value
                return jobs
            }
            if let deadline, Date() > deadline {
                throw MediaJobsError(.internalError, "wait: \(jobs.filter { !$0.state.isFinal }.count) job(s) still not ended after the timeout")
            }
            if worker == nil, Date().timeIntervalSince(lastLivenessCheck) >= 5 {
                lastLivenessCheck = Date()
                if try await context.store.liveWorkers(now: Date(), staleAfter: 10).isEmpty {
                    let running = Worker(
                        store: context.store, pipeline: context.pipeline,
                        configuration: WorkerConfiguration(concurrency: concurrency, leaseDuration: leaseDuration),
                        logger: context.logger)
                    worker = Task { try await running.run(until: { over.isSet || shouldStop() }) }
                }
            }
            observe(jobs)
            try await Task.sleep(for: interval)
        }
    }

    private func current(_ ids: [JobID]) async throws -> [Job] {
        var jobs: [Job] = []
        for id in ids {
            guard let job = try await context.store.job(id) else {
                throw MediaJobsError(.jobNotFound, "id: job \(id) disappeared")
            }
            jobs.append(job)
        }
        return jobs
    }
}
