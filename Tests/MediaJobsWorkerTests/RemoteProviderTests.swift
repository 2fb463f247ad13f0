import Crypto
import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// Hex SHA-256 of `data`.
private func sha256(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

/// The built-in catalog with OpenRouter's whisper limited to `bytes` per upload.
private func catalog(uploadLimit bytes: Int64) -> ModelCatalog {
    var catalog = ModelCatalog.builtIn
    let index = catalog.models.firstIndex { $0.provider == "openrouter" && $0.id == "openai/whisper-large-v3" }!
    catalog.models[index].limits.maxUploadBytes = bytes
    return catalog
}

@Suite("remote providers: waiting, uploads within limits, and OpenRouter's schema, against the simulator")
struct RemoteProviderTests {
    @Test("an asynchronous job waits with its handle and no lease, and is polled rather than submitted again")
    func waitsWithoutAWorker() async throws {
        try await withSimulator { simulator, home in
            let id = try await home.submitter.submit(RemoteCase.first("openrouter", .video).spec()).job.id
            let claimed = try #require(
                try await home.store.claim(worker: "w", now: Date(), leaseExpiry: Date().addingTimeInterval(30)))
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
            #expect(simulator.requests(.openrouter, path: "/videos").filter { $0.method == "POST" }.count == 1)
            #expect(simulator.requests(.openrouter, path: "/videos/").contains { $0.method == "GET" })
        }
    }

    @Test("an input over the upload limit is re-encoded to 16 kHz mono Opus that fits, and that is what is sent")
    func uploadReencoded() async throws {
        try await withSimulator(catalog: catalog(uploadLimit: 100_000)) { simulator, home in
            let input = repository.appendingPathComponent("Samples/speech.wav")
            let inputBytes = try #require(try FileManager.default.attributesOfItem(atPath: input.path)[.size] as? Int)
            #expect(inputBytes > 100_000)
            let id = try await home.submitter.submit(RemoteCase.first("openrouter", .transcribe).spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let sent = simulator.requests(.openrouter, path: "/audio/transcriptions")
            #expect(sent.count == 1)
            let upload = try #require(sent.first?.uploads.first)
            #expect(upload.field == "file")
            #expect(upload.filename == "audio.ogg")
            #expect(upload.contentType == "audio/ogg")
            #expect(upload.bytes > 0 && upload.bytes <= 100_000, "\(upload.bytes) bytes")
            #expect(upload.sha256 == sha256(upload.data))
            #expect(upload.sha256 != sha256(try Data(contentsOf: input)))
            // What arrived is Opus, 16 kHz, one channel, as long as the input.
            let received = home.root.appendingPathComponent("received.ogg")
            try upload.data.write(to: received)
            let info = try await MediaEngine.shared.probe(received)
            let audio = try #require(info.audioStreams.first)
            #expect(audio.codec == "opus")
            #expect(audio.channels == 1)
            let original = try await MediaEngine.shared.probe(input)
            #expect(abs((info.durationSeconds ?? 0) - (original.durationSeconds ?? 0)) < 0.5)
            #expect(try await home.outputText(id).lowercased().contains("media"))
            // Opus always decodes at 48 kHz; the encoder's input rate is in the Ogg header (OpusHead, bytes 12–15).
            let head = try #require(upload.data.range(of: Data("OpusHead".utf8)))
            let rate = upload.data[(head.lowerBound + 12)..<(head.lowerBound + 16)].enumerated()
                .reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            #expect(rate == 16_000)
        }
    }

    @Test("an input a limit is too small to cut for (even re-encoded) is refused at submit, naming the limit; nothing is sent")
    func uploadRefusedAtSubmit() async throws {
        try await withSimulator(catalog: catalog(uploadLimit: 10_000)) { simulator, home in
            let spec = RemoteCase.first("openrouter", .transcribe).spec()
            let error = await #expect(throws: MediaJobsError.self) { _ = try await home.submitter.submit(spec) }
            #expect(error?.code == .invalidInput)
            #expect(error?.message.hasPrefix(
                "input.audio: 224204 bytes (7.0 s) is over openrouter/openai/whisper-large-v3's upload limit of 10000 bytes "
                    + "a request, too small to cut the recording for") == true,
                    "\(error?.message ?? "")")
            let queued = try await home.store.jobs(JobFilter())
            #expect(queued.isEmpty)
            #expect(simulator.requests(.openrouter, path: "/audio/transcriptions").isEmpty)
        }
    }

    @Test("every OpenRouter request, JSON and multipart, validates against OpenRouter's OpenAPI document")
    func openRouterRequestsMatchTheSchema() async throws {
        var settings = OpenRouterSettings(common: RemoteHome.settings,
                                          routing: ["sort": .string("price"), "zdr": .bool(true), "order": .array([.string("openai")]),
                                                    "options": .object(["openai": .object(["instructions": .string("calm")])])])
        settings.appURL = "https://example.org"
        try await withSimulator(openrouter: settings) { simulator, home in
            var specs = RemoteCase.all.filter { $0.provider == "openrouter" }.map { $0.spec() }
            specs.append(JobSpec(kind: .tts, provider: "openrouter",
                                 input: JobInput(text: sampleSpeechText, voice: "alloy", speed: 1.25, instructions: "Speak warmly")))
            var detailed = JobSpec(kind: .image, provider: "openrouter", input: JobInput(prompt: "a lighthouse"))
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
            var transcribe = RemoteCase.first("openrouter", .transcribe).spec()
            transcribe.input.language = "en"
            specs.append(transcribe)
            for spec in specs {
                let id = try await home.submitter.submit(spec).job.id
                let job = try await home.runUntilFinal(id)
                #expect(job.state == .succeeded, "\(spec.kind): \(job.error?.description ?? "")")
            }
            let sent = simulator.requests(.openrouter)
            let checked = sent.compactMap { request in request.openRouterSchemaProblems.map { (request.path, $0) } }
            for (path, problems) in checked { #expect(problems.isEmpty, "\(path): \(problems)") }
            // Speech ×2, transcription ×2 (as JSON with base64 audio: only that form takes the routing options),
            // images (/images ×2, chat ×1), video submits ×2; polls and downloads are GETs without a body.
            #expect(checked.count == 9, "\(sent.map { "\($0.method) \($0.path)" })")
            #expect(sent.allSatisfy { $0.status < 400 }, "\(sent.filter { $0.status >= 400 }.map { "\($0.path) \($0.status)" })")
            #expect(sent.allSatisfy { $0.header("X-Title") == "MediaJobs" && $0.header("HTTP-Referer") == "https://example.org" })
        }
    }
}
