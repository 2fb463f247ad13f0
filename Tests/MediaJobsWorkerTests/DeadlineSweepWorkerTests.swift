import Foundation
import MediaJobsCore
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

@Suite("the worker's deadline sweep against the simulator")
struct DeadlineSweepWorkerTests {
    @Test("a fal video waiting past its deadline is polled at once for a last look, fails with job.timeout, and fal is asked to cancel")
    func waitingJobTimesOut() async throws {
        let simulator = try await Simulator.start()
        // Polls three minutes apart: no poll slot takes the job before its deadline unless the sweep makes it due.
        let home = try OrchestrationHome(simulator: simulator, pollInterval: 180)
        defer { home.remove() }
        do {
            simulator.setSchedule(.seconds(queued: 600, running: 600), for: .fal)
            var input = JobInput(prompt: "a boat at sunset")
            input.durationSeconds = 8
            var spec = JobSpec(kind: .video, provider: "fal", input: input)
            // Long enough for the submission to reach fal even on a loaded machine, so there is a generation to cancel.
            spec.deadlineSeconds = 60
            let id = try await home.submitter.submit(spec).job.id
            try await home.runUntilFinal([id], concurrency: 1, pollSlots: 1)

            let job = try #require(try await home.store.job(id))
            #expect(job.state == .failed)
            #expect(job.error?.code == "job.timeout")
            #expect(job.error?.message.contains("canceled at the provider") == true, "\(job.error?.message ?? "")")
            let events = try await home.store.events(id, after: nil)
            #expect(events.contains { $0.kind == .waiting }, "it was submitted and waited: \(events.map(\.detail))")
            // The submission, then the last look the sweep made due (long before the poll due 180 s after it).
            let claims = events.filter { $0.kind == .claimed }
            #expect(claims.map(\.detail) == ["attempt 1 of \(job.maxAttempts)", "poll"], "\(claims.map(\.detail))")
            #expect(events.contains { $0.detail.hasPrefix("past its deadline") }, "\(events.map(\.detail))")
            let lastLook = try #require(claims.last)
            #expect(lastLook.at.timeIntervalSince(job.createdAt) < 120, "the last look came \(lastLook.at.timeIntervalSince(job.createdAt)) s after submission")
            #expect(simulator.requests(.fal).filter { $0.method == "POST" }.count == 1)
            #expect(simulator.requests(.fal).contains { $0.method == "PUT" && $0.path.hasSuffix("/cancel") },
                    "\(simulator.requests(.fal).map { "\($0.method) \($0.path)" })")
            #expect(events.contains { $0.detail == "the job passed its deadline: canceled at the provider" },
                    "\(events.map(\.detail))")
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }
}
