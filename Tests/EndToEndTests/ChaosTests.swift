#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MediaJobsCore
import MediaJobsSimulator
import MediaJobsStore
import Testing

/// A small version of `ChaosBenchmark`: worker processes of the built binary killed with SIGKILL while remote and
/// local jobs run against the simulator.
@Suite("chaos: worker processes killed during mixed jobs", .serialized)
struct ChaosTests {
    @Test("kill -9 of two workers during 24 mixed jobs: none lost, none completed twice, every duplicate counted")
    func killedWorkers() async throws {
        let simulator = try await Simulator.start(schedule: .seconds(queued: 0.5, running: 1.5))
        var cli = try CLI()
        defer { cli.remove() }
        cli.environment = simulator.environment
        for name in ["OPENROUTER_API_KEY", "OPENAI_API_KEY", "FAL_KEY", "REPLICATE_API_TOKEN"] {
            cli.environment[name] = "chaos-key"
        }
        try cli.writeSimulatorConfig()
        _ = try await cli.run(["list"])  // creates the home and the database
        let store = try SQLiteJobStore(path: cli.database.path)
        // Every job's text or prompt carries its marker, so the simulator's log tells which job each create was for.
        let specs = (0..<24).map { index -> JobSpec in
            let marker = "job-\(index)."
            var spec: JobSpec
            switch index % 4 {
            case 0: spec = JobSpec(kind: .tts, provider: "openai", input: JobInput(text: "Chaos sentence \(marker) is spoken."))
            case 1: spec = JobSpec(kind: .image, provider: "fal", input: JobInput(prompt: "picture \(marker)"))
            case 2: spec = JobSpec(kind: .image, provider: "replicate", input: JobInput(prompt: "picture \(marker)"))
            default: spec = JobSpec(kind: .tts, provider: "local", input: JobInput(text: "Local sentence \(marker)"))
            }
            spec.maxAttempts = 20
            spec.deadlineSeconds = 3_600
            return spec
        }
        let ids = try await store.enqueue(specs, now: Date()).map(\.job.id)

        func startWorker(_ slot: Int) throws -> Process {
            let log = cli.home.appendingPathComponent("worker-\(slot).log")
            if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            return try cli.start(["worker", "--concurrency", "2", "--poll-slots", "2", "--lease-seconds", "2", "--grace", "2"],
                                 stderr: handle)
        }
        func finished() async throws -> Int {
            let counts = try await store.countsByState()
            return (counts[.succeeded] ?? 0) + (counts[.failed] ?? 0) + (counts[.canceled] ?? 0)
        }
        var workers = [try startWorker(0), try startWorker(1)]
        var kills = 0
        while kills < 8, try await finished() < ids.count {
            try await Task.sleep(for: .milliseconds(Int.random(in: 700...1_500)))
            let victim = Int.random(in: 0..<2)
            kill(workers[victim].processIdentifier, SIGKILL)
            await workers[victim].waitForExit()
            kills += 1
            workers[victim] = try startWorker(victim)
        }
        let deadline = Date().addingTimeInterval(600)
        while try await finished() < ids.count, Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        for worker in workers { worker.terminate() }
        for worker in workers { await worker.waitForExit() }
        let creates = try simulator.requestCounts(markedWith: "job-")
        await simulator.stop()

        // The jobs outlast the first kills (local speech, a second or more of generation at the simulator).
        #expect(kills >= 3, "only \(kills) kills happened before every job ended")
        let counts = try await store.countsByState()
        #expect(counts[.succeeded] == ids.count, "\(counts) after \(kills) kills")
        // Risks a later attempt settled at the provider (found or absent there) cost nothing twice.
        let artifacts = try ArtifactStore(root: cli.home.appendingPathComponent("artifacts"))
        let risky = Set(try await store.submissionRisks().filter { $0.resolution == nil }.map(\.jobID))
        for (index, id) in ids.enumerated() {
            let events = try await store.events(id, after: nil)
            #expect(events.filter { $0.kind == .succeeded }.count == 1, "job \(id) did not succeed exactly once")
            let outputs = try await store.artifacts(id).filter { $0.role == .output }
            #expect(outputs.count == 1 && outputs.allSatisfy { artifacts.contains($0.sha256) },
                    "job \(id): \(outputs)")
            if specs[index].provider != "local" {
                // Asked for at least once; asked twice only where the store says a paid submission may be duplicated
                // and no look-up settled it.
                #expect((creates[index] ?? 0) >= 1, "job \(id) was never created at the simulator")
                if (creates[index] ?? 0) > 1 {
                    #expect(risky.contains(id), "job \(id) was created \(creates[index]!) times but no risk was counted")
                }
            }
        }
        // Kept answers are gone once their jobs have ended.
        let answers = artifacts.answersDirectory
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: answers.path)) ?? []).isEmpty)
    }
}
