import Foundation
import MediaJobsCore
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

@Suite("the worker's deadline sweep against the simulator")
struct DeadlineSweepWorkerTests {
    @Test("a fal video waiting past its deadline fails with job.timeout without a slot claiming it, and fal is asked to cancel")
    func waitingJobTimesOut() async throws {
        let simulator = try await Simulator.start()
        // Polls two minutes apart: no poll slot takes the job before its deadline, so only the sweep can end it.
        let home = try OrchestrationHome(simulator: simulator, pollInterval: 120)
        defer { home.remove() }
        do {
            simulator.setSchedule(.seconds(queued: 600, running: 600), for: .fal)
            var input = JobInput(prompt: "a boat at sunset")
            input.durationSeconds = 8
            var spec = JobSpec(kind: .video, provider: "fal", input: input)
            // Long enough for the submission to reach fal even on a loaded machine, so there is a generation to cancel.
            spec.deadlineSeconds = 30
            let id = try await home.submitter.submit(spec).job.id
            try await home.runUntilFinal([id], concurrency: 1, pollSlots: 1)

            let job = try #require(try await home.store.job(id))
            #expect(job.state == .failed)
            #expect(job.error?.code == "job.timeout")
            #expect(job.error?.message.contains("canceled at the provider") == true, "\(job.error?.message ?? "")")
            let events = try await home.store.events(id, after: nil)
            #expect(events.contains { $0.kind == .waiting }, "it was submitted and waited: \(events.map(\.detail))")
            let claims = events.filter { $0.kind == .claimed }
            #expect(claims.count == 1, "only the submission claimed it: \(claims.map(\.detail))")
            let failed = try #require(events.last { $0.kind == .failed })
            #expect(failed.detail.contains("deadline sweep") && failed.detail.contains("waiting"), "\(failed.detail)")
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
