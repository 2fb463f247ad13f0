import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

@Suite("remote providers against the MediaJobsSimulator over loopback")
struct SimulatorEndToEndTests {
    @Test("every adapter and kind: the job succeeds and its artifact validates", arguments: RemoteCase.all)
    func succeeds(_ remote: RemoteCase) async throws {
        try await withSimulator { simulator, home in
            let id = try await home.submitter.submit(remote.spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let output = try #require(try await home.store.artifacts(id).first { $0.role == .output })
            let file = try home.artifacts.url(for: output.sha256)
            switch remote.kind {
            case .tts: _ = try await MediaEngine.shared.validate(file, expecting: MediaExpectation(kind: .audio))
            case .image: _ = try await MediaEngine.shared.validate(file, expecting: MediaExpectation(kind: .image))
            case .video: _ = try await MediaEngine.shared.validate(file, expecting: MediaExpectation(kind: .video))
            case .transcribe:
                let text = String(decoding: try Data(contentsOf: file), as: UTF8.self)
                #expect(!text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            }
            let cost = try #require(try await home.store.costs(id).first)
            #expect(cost.source != .unknown && cost.usd != nil, "\(cost)")
            let events = try await home.store.events(id, after: nil)
            // Replicate answers within `Prefer: wait` or later, as the simulator's schedule decides.
            if remote.provider != "replicate" {
                #expect(events.contains { $0.kind == .waiting } == remote.asynchronous)
            }
            // Nothing we sent to OpenRouter was refused by its schema.
            #expect(simulator.requests(.openrouter).allSatisfy { $0.status != 400 })
        }
    }

    @Test("429 with Retry-After: the wait is honoured and the job succeeds")
    func retryAfter() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.status(429, retryAfter: 1), count: 1, provider: .openai, path: "/audio/speech")
            let id = try await home.submitter.submit(JobSpec(kind: .tts, provider: "openai", input: JobInput(text: "Hi."))).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded)
            #expect(job.attempts == 1)
            let notes = try await home.store.events(id, after: nil).map(\.detail)
            #expect(notes.contains { $0.contains("HTTP 429") && $0.contains("wait 1.0 s (Retry-After)") }, "\(notes)")
            let calls = simulator.requests(.openai, path: "/audio/speech")
            #expect(calls.map(\.status) == [429, 200])
        }
    }

    @Test("503 while polling a video keeps the job waiting; the generation is submitted once")
    func pollOutage() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.status(503), count: 2, provider: .openrouter, path: "/videos/", method: "GET")
            let spec = RemoteCase.first("openrouter", .video).spec()
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(simulator.requests(.openrouter, path: "/videos").filter { $0.method == "POST" }.count == 1)
        }
    }

    @Test("an unknown model moves to the fallback route")
    func unknownModelFallsBack() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.unknownModel, count: 1, provider: .openrouter, path: "/audio/speech")
            let spec = JobSpec(kind: .tts, provider: "openrouter", fallbacks: [Route(provider: "openai")], input: JobInput(text: "Hi."))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(try await home.store.costs(id).first?.provider == "openai")
        }
    }

    @Test("a content-policy refusal moves to the fallback route")
    func contentPolicyFallsBack() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.contentPolicy, count: 1, provider: .openai, path: "/images/generations")
            let spec = JobSpec(kind: .image, provider: "openai", fallbacks: [Route(provider: "replicate")],
                               input: JobInput(prompt: "a cat"))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(try await home.store.costs(id).first?.provider == "replicate")
        }
    }

    @Test("402 without another route fails the job at once with provider.insufficient_credits and what OpenRouter said")
    func insufficientCredits() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.status(402), count: 5, provider: .openrouter, path: "/images")
            let id = try await home.submitter.submit(
                JobSpec(kind: .image, provider: "openrouter", input: JobInput(prompt: "a cat"))).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .failed)
            #expect(job.attempts == 1)
            #expect(job.error?.code == MediaJobsError.Code.providerInsufficientCredits.rawValue, "\(job.error?.description ?? "")")
            #expect(job.error?.message.contains("openrouter image: HTTP 402: ") == true, "\(job.error?.message ?? "")")
            #expect(simulator.requests(.openrouter, path: "/images").count == 1)
        }
    }

    @Test("corrupt media is refused by validation and downloaded again; the generation is not bought again")
    func corruptMediaRetried() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.corruptMedia, count: 1, provider: .fal, path: "/files")
            let spec = RemoteCase.first("fal", .video).spec()
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(job.attempts == 1)
            #expect(simulator.requests(.fal).filter { $0.method == "POST" }.count == 1)
            let events = try await home.store.events(id, after: nil)
            #expect(events.contains { $0.detail.contains("downloaded again") && $0.detail.contains("media.") },
                    "\(events.map(\.detail))")
        }
    }

    @Test("a failed generation is reported with the provider's reason and tried again")
    func jobFailureRetried() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.jobFailure("GPU fell over"), count: 1, provider: .replicate, path: "/models")
            let spec = RemoteCase.first("replicate", .video).spec()
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let events = try await home.store.events(id, after: nil)
            #expect(events.contains { $0.kind == .retryScheduled && $0.detail.contains("GPU fell over") }, "\(events.map(\.detail))")
        }
    }

    @Test("a planted key appears in no database byte, artifact, error or log line")
    func keyNeverLeaks() async throws {
        let key = "sk-PLANTED-SIM-\(UUID().uuidString)"
        try await withSimulator(key: key) { simulator, home in
            simulator.inject(.status(401), count: 1, provider: .openai, path: "/images/generations")
            var ids: [JobID] = []
            for remote in RemoteCase.all {
                ids.append(try await home.submitter.submit(remote.spec()).job.id)
            }
            ids.append(try await home.submitter.submit(JobSpec(kind: .image, provider: "openai", input: JobInput(prompt: "x"))).job.id)
            for id in ids { _ = try await home.runUntilFinal(id) }
            // The simulator saw the key (so it was really sent)…
            #expect(simulator.requests.contains { ($0.header("Authorization") ?? "").contains(key) })
            // …and nothing of ours kept it.
            let enumerator = FileManager.default.enumerator(at: home.root, includingPropertiesForKeys: nil)!
            var searched = 0
            for case let file as URL in enumerator where !file.hasDirectoryPath {
                #expect(try Data(contentsOf: file).range(of: Data(key.utf8)) == nil, "the key is in \(file.path)")
                searched += 1
            }
            #expect(searched >= 5)
            for id in ids {
                let job = try #require(try await home.store.job(id))
                #expect(job.error?.message.contains(key) != true)
                #expect(try await home.store.events(id, after: nil).allSatisfy { !$0.detail.contains(key) })
            }
            #expect(!home.logs.text.contains(key))
        }
    }
}
