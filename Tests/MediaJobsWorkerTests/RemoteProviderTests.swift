import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsStore
import MediaJobsWorker
import Testing

/// One job per adapter and kind it serves, end to end through a worker against stand-in providers on loopback.
struct RemoteCase: Sendable, CustomTestStringConvertible {
    var provider: String
    var kind: JobKind
    var model: String?
    var costSource: CostRecord.Source
    var asynchronous: Bool

    var testDescription: String { "\(provider) \(kind)" }

    static let all: [RemoteCase] = [
        RemoteCase(provider: "openrouter", kind: .tts, costSource: .reported, asynchronous: false),
        RemoteCase(provider: "openrouter", kind: .transcribe, costSource: .reported, asynchronous: false),
        RemoteCase(provider: "openrouter", kind: .image, costSource: .reported, asynchronous: false),
        RemoteCase(provider: "openrouter", kind: .video, costSource: .reported, asynchronous: true),
        RemoteCase(provider: "openai", kind: .tts, costSource: .estimated, asynchronous: false),
        RemoteCase(provider: "openai", kind: .transcribe, costSource: .estimated, asynchronous: false),
        RemoteCase(provider: "openai", kind: .image, costSource: .estimated, asynchronous: false),
        RemoteCase(provider: "fal", kind: .tts, costSource: .estimated, asynchronous: true),
        RemoteCase(provider: "fal", kind: .image, costSource: .estimated, asynchronous: true),
        RemoteCase(provider: "fal", kind: .video, costSource: .estimated, asynchronous: true),
        RemoteCase(provider: "replicate", kind: .image, costSource: .estimated, asynchronous: false),
        RemoteCase(provider: "replicate", kind: .video, costSource: .reported, asynchronous: true),
        RemoteCase(provider: "replicate", kind: .transcribe, costSource: .reported, asynchronous: true),
    ]

    func spec() -> JobSpec {
        var input = JobInput()
        switch kind {
        // The stand-in answers Samples/speech.mp3 whatever the text, so the text is what that file says:
        // the validator judges the length of speech against its text.
        case .tts: input.text = FakeProviders.sampleSpeechText
        case .transcribe: input.audio = FakeProviders.repository.appendingPathComponent("Samples/speech.wav").path
        case .image: input.prompt = "a red panda astronaut"
        case .video:
            input.prompt = "a boat at sunset"
            input.durationSeconds = provider == "fal" ? 8 : provider == "openrouter" ? 4 : nil
        }
        return JobSpec(kind: kind, provider: provider, model: model, input: input)
    }
}

@Suite("remote providers end to end: submit, wait, poll, download, validate, store, cost")
struct RemoteProviderTests {
    @Test("a job succeeds and its artifact validates", arguments: RemoteCase.all)
    func succeeds(_ remote: RemoteCase) async throws {
        let fake = try FakeProviders()
        defer { fake.stop() }
        let home = try RemoteHome(fake: fake)
        defer { home.remove() }
        let id = try await home.submitter.submit(remote.spec()).job.id
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
        let outputs = try await home.store.artifacts(id).filter { $0.role == .output }
        #expect(outputs.count == 1)
        let output = try #require(outputs.first)
        let file = try home.artifacts.url(for: output.sha256)
        switch remote.kind {
        case .tts:
            _ = try await MediaEngine.shared.validate(file, expecting: MediaExpectation(kind: .audio))
        case .image:
            _ = try await MediaEngine.shared.validate(file, expecting: MediaExpectation(kind: .image))
            #expect(output.format == "png")
            #expect(output.width != nil)
        case .video:
            let report = try await MediaEngine.shared.validate(file, expecting: MediaExpectation(kind: .video))
            #expect(report.durationSeconds > 0)
            #expect(output.format == "mp4")
        case .transcribe:
            let text = String(decoding: try Data(contentsOf: file), as: UTF8.self)
            #expect(text.contains("quick brown fox"))
        }
        let costs = try await home.store.costs(id)
        #expect(costs.count == 1)
        #expect(costs.first?.source == remote.costSource)
        #expect(costs.first.map { $0.usd > .zero } == true, "\(String(describing: costs.first))")
        let events = try await home.store.events(id, after: nil)
        #expect(events.contains { $0.kind == .waiting } == remote.asynchronous)
        if remote.asynchronous {
            #expect(events.contains { $0.kind == .stage && $0.detail.hasPrefix("poll") }, "\(events.map(\.detail))")
        }
    }

    @Test("an asynchronous job waits with its handle and no lease, and is polled rather than submitted again")
    func waitsWithoutAWorker() async throws {
        let fake = try FakeProviders()
        defer { fake.stop() }
        let home = try RemoteHome(fake: fake)
        defer { home.remove() }
        let spec = RemoteCase.all.first { $0.provider == "openrouter" && $0.kind == .video }!.spec()
        let id = try await home.submitter.submit(spec).job.id
        let claimed = try #require(try await home.store.claim(worker: "w", now: Date(), leaseExpiry: Date().addingTimeInterval(30)))
        guard case .waiting(let handle, let pollAt) = try await home.pipeline.run(claimed, worker: "w") else {
            Issue.record("the video job did not wait")
            return
        }
        try await home.store.wait(id, worker: "w", handle: handle, pollAt: pollAt, now: Date())
        let waiting = try #require(try await home.store.job(id))
        #expect(waiting.state == .waiting)
        #expect(waiting.leaseOwner == nil)
        #expect(waiting.providerHandle?.contains("\"provider\":\"openrouter\"") == true)
        let final = try await home.runUntilFinal(id)
        #expect(final.state == .succeeded)
        #expect(final.attempts == 1)
    }

    @Test("429 with Retry-After is waited out and the job succeeds")
    func retryAfterHonoured() async throws {
        let fake = try FakeProviders()
        defer { fake.stop() }
        try await fake.inject(match: "/audio/speech", status: 429, retryAfter: 1)
        let home = try RemoteHome(fake: fake)
        defer { home.remove() }
        let id = try await home.submitter.submit(JobSpec(kind: .tts, provider: "openrouter", input: JobInput(text: "Hi there."))).job.id
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .succeeded)
        let notes = try await home.store.events(id, after: nil).map(\.detail)
        #expect(notes.contains { $0.contains("HTTP 429") && $0.contains("Retry-After") }, "\(notes)")
    }

    @Test("a 503 while polling keeps the job waiting and the generation is not submitted again")
    func pollErrorKeepsWaiting() async throws {
        let fake = try FakeProviders()
        defer { fake.stop() }
        try await fake.inject(match: "/requests/", status: 503, count: 1)
        let home = try RemoteHome(fake: fake)
        defer { home.remove() }
        let spec = RemoteCase.all.first { $0.provider == "fal" && $0.kind == .image }!.spec()
        let id = try await home.submitter.submit(spec).job.id
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .succeeded)
        #expect(job.attempts == 1)
        let notes = try await home.store.events(id, after: nil).map(\.detail)
        #expect(notes.contains { $0.hasPrefix("poll 1 failed") && $0.contains("HTTP 503") }, "\(notes)")
    }

    @Test("an unknown model moves to the fallback route")
    func fallback() async throws {
        let fake = try FakeProviders()
        defer { fake.stop() }
        try await fake.inject(match: "/openrouter/api/v1/audio/speech", status: 404,
                              body: ["error": ["code": 404, "message": "Model openai/gpt-4o-mini-tts is not available"]])
        let home = try RemoteHome(fake: fake)
        defer { home.remove() }
        let spec = JobSpec(kind: .tts, provider: "openrouter", fallbacks: [Route(provider: "local")],
                           input: JobInput(text: "Hello."))
        let id = try await home.submitter.submit(spec).job.id
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .succeeded)
        let notes = try await home.store.events(id, after: nil).map(\.detail)
        #expect(notes.contains { $0.contains("cannot serve this job") && $0.contains("is not available") }, "\(notes)")
        #expect(try await home.store.costs(id).first?.provider == "local")
    }

    @Test("402 fails the job at once, saying what the provider said")
    func insufficientCredits() async throws {
        let fake = try FakeProviders()
        defer { fake.stop() }
        try await fake.inject(match: "/images", status: 402, count: 5,
                              body: ["error": ["code": 402, "message": "Insufficient credits. Add more using https://openrouter.ai/credits"]])
        let home = try RemoteHome(fake: fake)
        defer { home.remove() }
        let id = try await home.submitter.submit(
            JobSpec(kind: .image, provider: "openrouter", input: JobInput(prompt: "a cat"))).job.id
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .failed)
        #expect(job.attempts == 1)
        #expect(job.error?.message == "openrouter image: HTTP 402: Insufficient credits. Add more using https://openrouter.ai/credits")
    }

    @Test("a planted key appears in no database byte, artifact, error or log line")
    func keyNeverLeaks() async throws {
        let fake = try FakeProviders()
        defer { fake.stop() }
        let key = "sk-PLANTED-\(UUID().uuidString)"
        // The provider echoes the key back in an error, as a careless one might.
        try await fake.inject(match: "/openai/v1/images", status: 401, count: 5,
                              body: ["error": ["message": "Incorrect API key provided: \(key)", "type": "invalid_request_error",
                                               "param": NSNull(), "code": "invalid_api_key"]])
        let home = try RemoteHome(fake: fake, key: key)
        defer { home.remove() }
        var ids: [JobID] = []
        for remote in RemoteCase.all where remote.kind != .transcribe {
            ids.append(try await home.submitter.submit(remote.spec()).job.id)
        }
        ids.append(try await home.submitter.submit(JobSpec(kind: .image, provider: "openai", input: JobInput(prompt: "x"))).job.id)
        for id in ids { _ = try await home.runUntilFinal(id) }
        let failed = try #require(try await home.store.job(ids.last!))
        #expect(failed.state == .failed)
        #expect(failed.error?.message.contains("[redacted]") == true)

        var searched: [String] = []
        let enumerator = FileManager.default.enumerator(at: home.root, includingPropertiesForKeys: nil)!
        for case let file as URL in enumerator where !file.hasDirectoryPath {
            let data = try Data(contentsOf: file)
            #expect(data.range(of: Data(key.utf8)) == nil, "the key is in \(file.path)")
            searched.append(file.path)
        }
        // The database (and its WAL) and the stored artifacts (images, videos, speech) were all searched.
        #expect(searched.contains { $0.hasSuffix("mediajobs.sqlite") })
        #expect(searched.filter { $0.contains("/artifacts/sha256/") }.count >= 3, "\(searched)")
        for id in ids {
            let events = try await home.store.events(id, after: nil)
            #expect(!events.contains { $0.detail.contains(key) })
            #expect(try await home.store.job(id)?.error?.message.contains(key) != true)
        }
        #expect(!home.logs.text.isEmpty)
        #expect(!home.logs.text.contains(key))
    }

    /// The catalog with OpenRouter's whisper limited to `bytes` per upload.
    private func catalog(uploadLimit bytes: Int64) -> ModelCatalog {
        var catalog = ModelCatalog.builtIn
        let index = catalog.models.firstIndex { $0.provider == "openrouter" && $0.id == "openai/whisper-large-v3" }!
        catalog.models[index].limits.maxUploadBytes = bytes
        return catalog
    }

    @Test("an input over the upload limit is re-encoded compactly to fit, and the compact file is what is sent")
    func uploadReencoded() async throws {
        let fake = try FakeProviders()
        defer { fake.stop() }
        let home = try RemoteHome(fake: fake, catalog: catalog(uploadLimit: 100_000))
        defer { home.remove() }
        let spec = RemoteCase.all.first { $0.provider == "openrouter" && $0.kind == .transcribe }!.spec()
        let id = try await home.submitter.submit(spec).job.id
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
        let output = try #require(try await home.store.artifacts(id).first { $0.role == .output })
        let text = String(decoding: try Data(contentsOf: try home.artifacts.url(for: output.sha256)), as: UTF8.self)
        // "[audio.ogg 31234 bytes]": Opus in Ogg, under the limit (the WAV input is 224,204 bytes).
        let echoed = try #require(text.firstRange(of: /\[audio\.ogg (\d+) bytes\]/), "\(text)")
        let bytes = try #require(Int(text[echoed].dropFirst(11).prefix { $0.isNumber }))
        #expect(bytes > 0 && bytes <= 100_000)
    }

    @Test("an input that cannot fit the upload limit even re-encoded is refused at submit, naming the limit")
    func uploadRefusedAtSubmit() async throws {
        let fake = try FakeProviders()
        defer { fake.stop() }
        let home = try RemoteHome(fake: fake, catalog: catalog(uploadLimit: 10_000))
        defer { home.remove() }
        let spec = RemoteCase.all.first { $0.provider == "openrouter" && $0.kind == .transcribe }!.spec()
        let error = await #expect(throws: MediaJobsError.self) { _ = try await home.submitter.submit(spec) }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.hasPrefix("input.audio: 224204 bytes is over openrouter/openai/whisper-large-v3's upload limit of 10000 bytes") == true,
                "\(error?.message ?? "")")
        #expect(try await home.store.jobs(JobFilter()).isEmpty)
    }

    @Test("every OpenRouter request validates against OpenRouter's OpenAPI document")
    func openRouterRequestsMatchTheSchema() async throws {
        let recording = FileManager.default.temporaryDirectory.appendingPathComponent("openrouter-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: recording) }
        let fake = try FakeProviders(recording: recording)
        defer { fake.stop() }
        var settings = OpenRouterSettings(common: RemoteProviderSettings(pollIntervalSeconds: 0.1),
                                          routing: ["sort": .string("price"), "zdr": .bool(true), "order": .array([.string("openai")]),
                                                    "options": .object(["openai": .object(["instructions": .string("calm")])])])
        settings.appURL = "https://example.org"
        let home = try RemoteHome(fake: fake, openrouter: settings)
        defer { home.remove() }
        var specs = RemoteCase.all.filter { $0.provider == "openrouter" }.map { $0.spec() }
        var detailed = JobSpec(kind: .tts, provider: "openrouter",
                               input: JobInput(text: "Hello.", voice: "alloy", speed: 1.25, instructions: "Speak warmly"))
        specs.append(detailed)
        detailed = JobSpec(kind: .image, provider: "openrouter", input: JobInput(prompt: "a lighthouse"))
        detailed.input.aspectRatio = "16:9"
        detailed.input.quality = "high"
        detailed.input.n = 2
        specs.append(detailed)
        detailed = JobSpec(kind: .image, provider: "openrouter", model: "google/gemini-2.5-flash-image",
                           input: JobInput(prompt: "a lighthouse"))
        detailed.input.aspectRatio = "16:9"
        specs.append(detailed)
        detailed = JobSpec(kind: .video, provider: "openrouter", input: JobInput(prompt: "waves"))
        detailed.input.durationSeconds = 8
        detailed.input.resolution = "1080p"
        detailed.input.aspectRatio = "9:16"
        detailed.input.generateAudio = true
        specs.append(detailed)
        var transcribe = RemoteCase.all.first { $0.provider == "openrouter" && $0.kind == .transcribe }!.spec()
        transcribe.input.language = "en"
        specs.append(transcribe)
        for spec in specs {
            let id = try await home.submitter.submit(spec).job.id
            _ = try await home.runUntilFinal(id)
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Support")
        let validator = Process()
        validator.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        validator.arguments = ["python3", script.appendingPathComponent("validate_openrouter.py").path,
                               // The copy of OpenRouter's document that the simulator serves from.
                               FakeProviders.repository.appendingPathComponent(
                                   "Sources/MediaJobsSimulator/Resources/openrouter-openapi.yaml").path,
                               recording.path]
        let output = Pipe()
        validator.standardOutput = output
        validator.standardError = output
        try validator.run()
        let report = String(decoding: try output.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
        validator.waitUntilExit()
        #expect(validator.terminationStatus == 0, "\(report)")
        // Speech ×2, transcription ×2, images (/images ×2, chat ×1), video ×2 (submits only; polls are GETs).
        #expect(report.contains("9 requests, 0 invalid"), "\(report)")
    }
}
