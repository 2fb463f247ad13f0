import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// A synchronous provider's answer is kept (files and what it billed, named in the job's handle) before it is
/// validated, converted and stored, so a worker lost in between costs no second request.
@Suite("kept answers of synchronous providers")
struct KeptAnswerTests {
    private static func speech(sampleRate: Int?) -> JobSpec {
        var spec = JobSpec(kind: .tts, provider: "openai", input: JobInput(text: sampleSpeechText))
        spec.output.sampleRate = sampleRate
        spec.cache = false
        return spec
    }

    /// Claims `id` as worker "lost" and runs its attempt to the end without recording how it ended: the worker is
    /// lost just before `complete` (its lease lapses at once: no heartbeat keeps it). Then the rescue gives the job back.
    private static func loseWorkerAfterAnswer(_ id: JobID, home: RemoteHome) async throws -> Job {
        let now = Date()
        let claimed = try #require(try await home.store.claim(
            worker: "lost", now: now, leaseExpiry: now.addingTimeInterval(0.01), limit: 1).first)
        #expect(claimed.id == id)
        _ = try await home.pipeline.run(claimed, worker: "lost")
        let held = try #require(try await home.store.job(id))
        #expect(held.state == .running && held.leaseOwner == "lost")
        #expect(try await home.store.rescueExpiredLeases(now: Date()) == 1)
        return held
    }

    @Test("a worker lost after a synchronous answer is followed by one that finishes from it: one request, one charge",
          arguments: [nil, 16_000])
    func finishesFromTheKeptAnswer(sampleRate: Int?) async throws {
        try await withSimulator { simulator, home in
            let id = try await home.submitter.submit(Self.speech(sampleRate: sampleRate)).job.id
            let held = try await Self.loseWorkerAfterAnswer(id, home: home)
            let handle = try #require(held.providerHandle, "the answer was not named in the job's handle")
            #expect(handle.contains("\"answer\""), "\(handle)")
            // Nothing runs at the provider: a cancel has nothing to stop.
            #expect(try await home.pipeline.cancelGeneration(handle: handle) == .alreadyAnswered)
            // The rescue saw a handle: the job waits to be finished, and no duplicate submission is feared.
            #expect(try await home.store.job(id)?.state == .waiting)
            #expect(try await home.store.submissionRisks().isEmpty)

            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(simulator.requests(.openai, path: "/audio/speech").count == 1)
            let costs = try await home.store.costs(id)
            #expect(costs.count == 1 && costs.allSatisfy { $0.charged && $0.provider == "openai" }, "\(costs)")
            let notes = try await home.store.events(id, after: nil).map(\.detail)
            #expect(notes.contains { $0.hasPrefix("openai/") && $0.contains("kept until the job ends") }, "\(notes)")
            #expect(notes.contains { $0.hasPrefix("finishing from the answer openai/") }, "\(notes)")

            let output = try #require(try await home.store.artifacts(id).first { $0.role == .output })
            #expect(home.artifacts.contains(output.sha256))
            #expect(output.durationSeconds ?? 0 > 1)
            if let sampleRate {
                let info = try await MediaEngine.shared.probe(try home.artifacts.url(for: output.sha256))
                #expect(info.streams.first { $0.type == "audio" }?.sampleRate == sampleRate)
            }
            // The job has ended: its kept answer is gone.
            let folder = home.artifacts.answersDirectory.appendingPathComponent(id.rawValue)
            #expect(!FileManager.default.fileExists(atPath: folder.path))
        }
    }

    @Test("a kept answer whose files are gone is asked for again, and the job says why")
    func lostKeptFilesAreAskedAgain() async throws {
        try await withSimulator { simulator, home in
            // Converted to 16 kHz, so the provider's own file stays in the answer folder rather than being stored.
            let id = try await home.submitter.submit(Self.speech(sampleRate: 16_000)).job.id
            _ = try await Self.loseWorkerAfterAnswer(id, home: home)
            let folder = home.artifacts.answersDirectory.appendingPathComponent(id.rawValue)
            #expect(FileManager.default.fileExists(atPath: folder.path))
            try FileManager.default.removeItem(at: folder)

            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(simulator.requests(.openai, path: "/audio/speech").count == 2)
            let notes = try await home.store.events(id, after: nil).map(\.detail)
            #expect(notes.contains { $0.contains("is gone from \(folder.path)") && $0.contains("asked again") },
                    "\(notes)")
        }
    }

    @Test("kept answers of ended or vanished jobs are swept; those of live jobs stay")
    func sweep() async throws {
        let home = try RemoteHome(environment: [:])
        defer { home.remove() }
        let spec = JobSpec(kind: .tts, provider: "local", input: JobInput(text: "hello"))
        let ended = try await home.store.enqueue(spec, now: Date()).job.id
        try await home.store.cancel(ended, now: Date())
        let live = try await home.store.enqueue(spec, now: Date()).job.id
        var folders: [String: URL] = [:]
        for name in [ended.rawValue, live.rawValue, "no-such-job"] {
            let folder = home.artifacts.answersDirectory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data("answer".utf8).write(to: folder.appendingPathComponent("0.wav"))
            folders[name] = folder
        }
        // Young folders are left alone whatever their job: a worker may be keeping one right now.
        #expect(await home.pipeline.sweepKeptAnswers(olderThan: 3600) == 0)
        #expect(await home.pipeline.sweepKeptAnswers(olderThan: 3600, now: Date().addingTimeInterval(7200)) == 2)
        #expect(!FileManager.default.fileExists(atPath: folders[ended.rawValue]!.path))
        #expect(!FileManager.default.fileExists(atPath: folders["no-such-job"]!.path))
        #expect(FileManager.default.fileExists(atPath: folders[live.rawValue]!.path))
    }
}
