#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MediaJobsCore
import MediaJobsStore
import Testing

@Suite("worker processes sharing one home", .serialized)
struct WorkerProcessTests {
    private func waitUntil(timeout: TimeInterval, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test("two workers run 500 queued tts jobs: each succeeds once, no lock errors")
    func fiveHundredJobs() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        _ = try await cli.run(["list"])  // creates the home and the database
        let store = try SQLiteJobStore(path: cli.database.path)
        let specs = (0..<500).map { n in
            JobSpec(kind: .tts, model: "flite", input: JobInput(text: "Job number \(n)."), output: OutputSettings(format: "mp3"))
        }
        _ = try await store.enqueue(specs, now: Date())

        let logs = (0..<2).map { cli.home.appendingPathComponent("worker\($0).log") }
        var workers: [Process] = []
        for log in logs {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            workers.append(try cli.start(["worker", "--concurrency", "2"], stderr: handle))
        }
        let finished = try await waitUntil(timeout: 600) {
            let counts = try await store.countsByState()
            return (counts[.succeeded] ?? 0) + (counts[.failed] ?? 0) == 500
        }
        for worker in workers { worker.terminate() }
        for worker in workers { await worker.waitForExit() }
        #expect(finished)
        let counts = try await store.countsByState()
        #expect(counts[.succeeded] == 500, "\(counts)")

        var page = try await store.jobs(JobFilter(limit: 1000))
        #expect(page.count == 500)
        var successEvents = 0
        for job in page {
            let events = try await store.events(job.id, after: nil)
            let successes = events.filter { $0.kind == .succeeded }.count
            #expect(successes == 1, "job \(job.id) has \(successes) success events")
            successEvents += successes
        }
        page.removeAll()
        #expect(successEvents == 500)
        for log in logs {
            let text = try String(contentsOf: log, encoding: .utf8)
            #expect(!text.lowercased().contains("database is locked"), "\(log.lastPathComponent): lock error")
            #expect(text.contains("worker started"))
        }
    }

    @Test("kill -9 of a worker mid-job: the job is rescued after its lease and succeeds once")
    func killedWorker() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        // A recording long enough (about 40 s of speech) that recognition takes a while.
        let sentences = (1...12).map { "Sentence number \($0) is spoken slowly so that the recognizer has real work to do." }
        let speech = try await cli.run(["submit", "tts", "--text", sentences.joined(separator: " "), "--format", "wav",
                                  "--wait", "--json"])
        #expect(speech.status == 0, "stderr: \(speech.stderr)")
        let recording = try #require((speech.json["artifacts"] as? [[String: Any]])?.first?["path"] as? String)

        let submitted = try await cli.run(["submit", "transcribe", "--audio", recording, "--max-attempts", "3", "--json"])
        #expect(submitted.status == 0, "stderr: \(submitted.stderr)")
        let id = try JobID(parsing: try #require(submitted.json["id"] as? String))
        let store = try SQLiteJobStore(path: cli.database.path)

        let victim = try cli.start(["worker", "--concurrency", "1", "--lease-seconds", "2"])
        let started = try await waitUntil(timeout: 60) {
            let job = try await store.job(id)
            return job?.state == .running && job?.stage == "provider"
        }
        #expect(started)
        kill(victim.processIdentifier, SIGKILL)
        await victim.waitForExit()
        #expect(try await store.job(id)?.state == .running)

        let rescuer = try cli.start(["worker", "--concurrency", "1", "--lease-seconds", "2"])
        let done = try await waitUntil(timeout: 300) { try await store.job(id)?.state.isFinal == true }
        rescuer.terminate()
        await rescuer.waitForExit()
        #expect(done)
        let job = try #require(try await store.job(id))
        #expect(job.state == .succeeded)
        #expect(job.attempts == 2)
        let events = try await store.events(id, after: nil)
        #expect(events.filter { $0.kind == .leaseExpired }.count == 1)
        #expect(events.filter { $0.kind == .succeeded }.count == 1)
        #expect(try await store.artifacts(id).filter { $0.role == .output }.count == 1)
    }

    @Test("SIGTERM lets the running job finish, then the worker exits cleanly")
    func gracefulShutdown() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let text = (1...30).map { "Line \($0) of a long script that takes the worker a moment to voice and encode." }
        let submitted = try await cli.run(["submit", "tts", "--text", text.joined(separator: " "), "--format", "flac", "--json"])
        #expect(submitted.status == 0, "stderr: \(submitted.stderr)")
        let id = try JobID(parsing: try #require(submitted.json["id"] as? String))
        let store = try SQLiteJobStore(path: cli.database.path)
        let worker = try cli.start(["worker", "--concurrency", "1"])
        let running = try await waitUntil(timeout: 60) { try await store.job(id)?.state == .running }
        #expect(running)
        worker.terminate()
        await worker.waitForExit()
        #expect(worker.terminationStatus == 0)
        let job = try #require(try await store.job(id))
        #expect(job.state == .succeeded)
        #expect(try await store.liveWorkers(now: Date(), staleAfter: 60).isEmpty)
    }
}
