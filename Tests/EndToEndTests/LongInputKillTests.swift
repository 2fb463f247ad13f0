#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MediaJobsCore
import MediaJobsStore
import Testing

@Suite("a long job's worker killed while its parts run", .serialized)
struct LongInputKillTests {
    @Test("kill -9 with parts in flight: on restart only the unfinished parts run, and each part is in the ledger once")
    func killedWhilePartsRun() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        // Pieces of at most 25 s: a minute of speech becomes four or five parts.
        try Data(#"{"catalog": {"models": [{"provider": "local", "id": "pocketsphinx", "limits": {"max_audio_seconds": 25}}]}}"#.utf8)
            .write(to: cli.home.appendingPathComponent("config.json"))
        let sentences = (1...20).map { "Sentence number \($0) is spoken slowly so that the recognizer has real work to do." }
        let speech = try await cli.run(["submit", "tts", "--text", sentences.joined(separator: " "), "--format", "wav",
                                        "--wait", "--json"])
        #expect(speech.status == 0, "stderr: \(speech.stderr)")
        let recording = try #require((speech.json["artifacts"] as? [[String: Any]])?.first?["path"] as? String)

        let submitted = try await cli.run(["submit", "transcribe", "--audio", recording, "--format", "srt", "--json"])
        #expect(submitted.status == 0, "stderr: \(submitted.stderr)")
        let id = try JobID(parsing: try #require(submitted.json["id"] as? String))
        let store = try SQLiteJobStore(path: cli.database.path)

        let victim = try cli.start(["worker", "--concurrency", "1", "--lease-seconds", "2"])
        // Killed once a part is done and another is being transcribed.
        let midway = try await eventually(timeout: 300) {
            let parts = try await store.parts(of: id)
            return parts.contains { $0.state == .succeeded } && parts.contains { $0.state == .running && $0.stage == "provider" }
        }
        #expect(midway)
        kill(victim.processIdentifier, SIGKILL)
        await victim.waitForExit()
        let before = try await store.parts(of: id)
        let doneBefore = Set(before.filter { $0.state == .succeeded }.map(\.id))
        #expect(!doneBefore.isEmpty && doneBefore.count < before.count)

        let rescuer = try cli.start(["worker", "--concurrency", "2", "--lease-seconds", "2"])
        let done = try await eventually(timeout: 600) { try await store.job(id)?.state.isFinal == true }
        rescuer.terminate()
        await rescuer.waitForExit()
        #expect(done)
        let job = try #require(try await store.job(id))
        #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
        let parts = try await store.parts(of: id)
        #expect(parts.map(\.id) == before.map(\.id))
        for part in parts {
            #expect(part.state == .succeeded)
            let events = try await store.events(part.id, after: nil)
            #expect(events.filter { $0.kind == .succeeded }.count == 1)
            // A part done before the kill never ran again.
            if doneBefore.contains(part.id) {
                #expect(events.filter { $0.kind == .claimed }.count == 1, "part \(part.id) ran again")
            }
            #expect(try await store.costs(part.id).count == 1, "part \(part.id) is not in the ledger exactly once")
        }
        // The job was split once: its parts were found again, not queued anew.
        #expect(try await store.jobs(JobFilter(kinds: [.transcribe], limit: 100)).count == parts.count + 1)

        let status = try await cli.run(["status", id.rawValue, "--json"])
        let partsView = try #require(status.json["parts"] as? [String: Any])
        #expect(partsView["succeeded"] as? Int == parts.count)
        #expect((status.json["cost"] as? [String: Any])?["records"].map { ($0 as? [Any])?.count } == parts.count)
    }
}
