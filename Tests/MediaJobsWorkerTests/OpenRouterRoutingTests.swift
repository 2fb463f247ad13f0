import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsWorker
import Testing

@Suite("OpenRouter routing preferences: the job's over the configuration's, sent where each endpoint takes them")
struct OpenRouterRoutingTests {
    /// The configuration's preferences: price first, zero data retention, and one OpenAI option.
    static let configured = OpenRouterSettings(
        common: RemoteHome.settings,
        routing: ["sort": .string("price"), "zdr": .bool(true), "data_collection": .string("allow"),
                  "options": .object(["openai": .object(["style": .string("plain"), "quality": .string("low")])])])

    /// The job's own: an order, no fallbacks, latency first, and an OpenAI option over the configured one.
    static let jobRouting = OpenRouterRouting([
        "order": .array([.string("openai"), .string("google-vertex")]), "allow_fallbacks": .bool(false),
        "sort": .string("latency"), "data_collection": .string("deny"),
        "options": .object(["openai": .object(["quality": .string("high")])]),
    ])

    private func routed(_ spec: JobSpec) -> JobSpec {
        var spec = spec
        spec.providerOptions = ProviderOptions(openrouter: Self.jobRouting)
        return spec
    }

    /// The `provider` object of the one request to `path` (nil when the body has none).
    private func providerObject(_ simulator: Simulator, _ path: String) throws -> [String: Any]? {
        let sent = simulator.requests(.openrouter, path: path).filter { $0.method == "POST" }
        try #require(sent.count == 1, "\(path): \(sent.count) requests")
        #expect(sent[0].openRouterSchemaProblems == [], "\(path): \(sent[0].openRouterSchemaProblems ?? [])")
        #expect(sent[0].status < 300, "\(path): HTTP \(sent[0].status)")
        return sent[0].json?["provider"] as? [String: Any]
    }

    private var mergedOptions: NSDictionary { NSDictionary(dictionary: ["openai": ["style": "plain", "quality": "high"]]) }

    @Test("/images takes order, only, ignore, allow_fallbacks, sort and options: the job's win, zdr is left out")
    func images() async throws {
        try await withSimulator(openrouter: Self.configured) { simulator, home in
            let id = try await home.submitter.submit(routed(RemoteCase.first("openrouter", .image).spec())).job.id
            #expect(try await home.runUntilFinal(id).state == .succeeded)
            let provider = try #require(try providerObject(simulator, "/images"))
            #expect(Set(provider.keys) == ["order", "allow_fallbacks", "sort", "options"])
            #expect(provider["order"] as? [String] == ["openai", "google-vertex"])
            #expect(provider["allow_fallbacks"] as? Bool == false)
            #expect(provider["sort"] as? String == "latency")
            #expect(NSDictionary(dictionary: provider["options"] as? [String: Any] ?? [:]) == mergedOptions)
        }
    }

    @Test("/chat/completions takes the routing fields but not options")
    func chatImage() async throws {
        try await withSimulator(openrouter: Self.configured) { simulator, home in
            let spec = JobSpec(kind: .image, provider: "openrouter", model: "google/gemini-2.5-flash-image",
                               input: JobInput(prompt: "a lighthouse"))
            let id = try await home.submitter.submit(routed(spec)).job.id
            #expect(try await home.runUntilFinal(id).state == .succeeded)
            let provider = try #require(try providerObject(simulator, "/chat/completions"))
            #expect(Set(provider.keys) == ["order", "allow_fallbacks", "sort", "zdr", "data_collection"])
            #expect(provider["data_collection"] as? String == "deny")
            #expect(provider["zdr"] as? Bool == true)
        }
    }

    @Test("speech and video take only options; the job's input instructions join them")
    func speechAndVideo() async throws {
        try await withSimulator(openrouter: Self.configured) { simulator, home in
            var speech = routed(RemoteCase.first("openrouter", .tts).spec())
            speech.input.instructions = "Speak warmly"
            for spec in [speech, routed(RemoteCase.first("openrouter", .video).spec())] {
                let id = try await home.submitter.submit(spec).job.id
                #expect(try await home.runUntilFinal(id).state == .succeeded)
            }
            let spoken = try #require(try providerObject(simulator, "/audio/speech"))
            #expect(Set(spoken.keys) == ["options"])
            let expected = NSDictionary(dictionary: ["openai": ["style": "plain", "quality": "high", "instructions": "Speak warmly"]])
            #expect(NSDictionary(dictionary: spoken["options"] as? [String: Any] ?? [:]) == expected)
            let video = try #require(try providerObject(simulator, "/videos"))
            #expect(Set(video.keys) == ["options"])
            #expect(NSDictionary(dictionary: video["options"] as? [String: Any] ?? [:]) == mergedOptions)
        }
    }

    @Test("with options, a transcription goes as JSON with base64 audio (the multipart form has no provider field)")
    func transcriptionCarriesOptions() async throws {
        try await withSimulator(openrouter: Self.configured) { simulator, home in
            let id = try await home.submitter.submit(routed(RemoteCase.first("openrouter", .transcribe).spec())).job.id
            #expect(try await home.runUntilFinal(id).state == .succeeded)
            let provider = try #require(try providerObject(simulator, "/audio/transcriptions"))
            #expect(Set(provider.keys) == ["options"])
            let request = try #require(simulator.requests(.openrouter, path: "/audio/transcriptions").first)
            #expect(request.header("Content-Type")?.hasPrefix("application/json") == true)
            let upload = try #require(request.uploads.first)
            #expect(upload.field == "input_audio")
            #expect(upload.contentType == "audio/wav")
            #expect(upload.data == (try Data(contentsOf: repository.appendingPathComponent("Samples/speech.wav"))))
        }
    }

    @Test("without any preferences no provider object is sent, and a transcription stays multipart")
    func nothingWhenUnset() async throws {
        try await withSimulator { simulator, home in
            for remote in [RemoteCase.first("openrouter", .image), RemoteCase.first("openrouter", .transcribe)] {
                let id = try await home.submitter.submit(remote.spec()).job.id
                #expect(try await home.runUntilFinal(id).state == .succeeded)
            }
            let absent = try providerObject(simulator, "/images") == nil
            #expect(absent)
            let request = try #require(simulator.requests(.openrouter, path: "/audio/transcriptions").first)
            #expect(request.header("Content-Type")?.hasPrefix("multipart/form-data") == true)
            #expect(request.openRouterSchemaProblems == [])
        }
    }

    @Test("a job document with provider_options goes through submit as the user wrote it")
    func fromTheJobDocument() async throws {
        try await withSimulator { simulator, home in
            let spec = try JobSpec.parse(json: Data("""
                {"kind": "image", "provider": "openrouter", "input": {"prompt": "a fox"},
                 "provider_options": {"openrouter": {"only": ["black-forest-labs"], "sort": {"by": "price", "partition": "none"}}}}
                """.utf8))
            let id = try await home.submitter.submit(spec).job.id
            #expect(try await home.runUntilFinal(id).state == .succeeded)
            let provider = try #require(try providerObject(simulator, "/images"))
            #expect(provider["only"] as? [String] == ["black-forest-labs"])
            let sort = NSDictionary(dictionary: provider["sort"] as? [String: Any] ?? [:])
            #expect(sort == NSDictionary(dictionary: ["by": "price", "partition": "none"]))
        }
    }
}
