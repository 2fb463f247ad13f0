import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
@testable import MediaJobsProviders
import Testing

@Suite("provider configuration, endpoints and keys")
struct ProviderConfigurationTests {
    @Test("the providers section reads base URLs, timeouts, routing, attribution, concurrency and rpm")
    func section() throws {
        let json = """
            {"providers": {"openrouter": {"base_url": "http://127.0.0.1:1/openrouter/api/v1", "app_url": "https://example.org",
              "app_title": "Demo", "routing": {"sort": "price", "order": ["openai"], "options": {"openai": {"x": 1}}},
              "timeouts": {"poll": {"total": 7}, "download": {"low_speed_seconds": 90, "low_speed_bytes_per_second": 512}},
              "concurrency": 3, "requests_per_minute": 90, "poll_interval_s": 0.5},
             "fal": {"base_url": "http://127.0.0.1:1/fal"}}}
            """
        let configuration = try Configuration(json: Data(json.utf8)).section(ProvidersConfiguration.self)
        #expect(configuration.openrouter.common.baseURL == "http://127.0.0.1:1/openrouter/api/v1")
        #expect(configuration.openrouter.appURL == "https://example.org")
        #expect(configuration.openrouter.appTitle == "Demo")
        #expect(configuration.openrouter.routing["sort"] == .string("price"))
        #expect(configuration.openrouter.common.timeouts.poll.total == 7)
        #expect(configuration.openrouter.common.timeouts.submit.total == ProviderTimeouts().submit.total)
        // Written in snake case like every key of config.json; a field left out keeps that kind's own default.
        let poll = configuration.openrouter.common.timeouts.poll
        #expect(poll.lowSpeedSeconds == ProviderTimeouts().poll.lowSpeedSeconds && poll.connect == ProviderTimeouts().poll.connect)
        let download = configuration.openrouter.common.timeouts.download
        #expect(download.lowSpeedSeconds == 90 && download.lowSpeedBytesPerSecond == 512)
        #expect(download.total == ProviderTimeouts().download.total)
        #expect(configuration.openrouter.common.concurrency == 3)
        #expect(configuration.openrouter.common.requestsPerMinute == 90)
        #expect(configuration.openrouter.common.pollIntervalSeconds == 0.5)
        #expect(configuration.fal.baseURL == "http://127.0.0.1:1/fal")
        #expect(configuration.openai == RemoteProviderSettings())
    }

    @Test("an unknown provider in the section is refused, naming it")
    func unknownProvider() {
        #expect(throws: MediaJobsError.self) {
            try Configuration(json: Data(#"{"providers": {"openrouterr": {}}}"#.utf8)).section(ProvidersConfiguration.self)
        }
    }

    @Test("the environment's base URL wins over config.json; the key comes from the environment only")
    func endpoints() throws {
        let settings = RemoteProviderSettings(baseURL: "http://127.0.0.1:2/from-config")
        let fromConfig = try ProviderEndpoint.resolve("fal", settings: settings, environment: [:])
        #expect(fromConfig.baseURL.absoluteString == "http://127.0.0.1:2/from-config")
        #expect(!fromConfig.hasKey)
        let fromEnvironment = try ProviderEndpoint.resolve(
            "fal", settings: settings, environment: ["FAL_BASE_URL": "http://127.0.0.1:3/fal/", "FAL_KEY": "k-1"])
        #expect(fromEnvironment.baseURL.absoluteString == "http://127.0.0.1:3/fal")
        #expect(fromEnvironment.baseURLSource == "FAL_BASE_URL")
        #expect(fromEnvironment.hasKey)
        #expect(try ProviderEndpoint.resolve("replicate", settings: nil, environment: [:]).baseURL.absoluteString
            == "https://api.replicate.com/v1")
        #expect(throws: MediaJobsError.self) {
            try ProviderEndpoint.resolve("openai", settings: nil, environment: ["OPENAI_BASE_URL": "ftp://nope"])
        }
    }

    @Test("a job for a provider whose key is missing is refused at submit, naming the variable")
    func missingKey() throws {
        let registry = try ProviderRegistry.configured(engine: .shared, environment: [:])
        let spec = JobSpec(kind: .tts, provider: "openai", input: JobInput(text: "hello"))
        let error = #expect(throws: MediaJobsError.self) { try registry.check(spec) }
        #expect(error?.code == .providerKeyMissing)
        #expect(error?.message == "provider: 'openai' needs OPENAI_API_KEY set in the environment")
        let withKey = try ProviderRegistry.configured(engine: .shared, environment: ["OPENAI_API_KEY": "sk-test"])
        #expect(throws: Never.self) { try withKey.check(spec) }
    }

    @Test("providers are described with kinds and key status, never the key")
    func describe() throws {
        let key = "sk-PLANTED-describe-0001"
        let described = try ProviderRegistry.describe(environment: ["OPENROUTER_API_KEY": key])
        let text = String(decoding: try JSONEncoder().encode(described), as: UTF8.self)
        #expect(!text.contains(key))
        let openrouter = try #require(described.first { $0.name == "openrouter" })
        #expect(openrouter.keySet)
        #expect(Set(openrouter.kinds) == Set(JobKind.allCases))
        #expect(described.first { $0.name == "fal" }?.keySet == false)
    }

    @Test("OpenRouter routing is cut to what each endpoint's schema accepts")
    func routingPerEndpoint() throws {
        let settings = OpenRouterSettings(routing: ["sort": .string("price"), "zdr": .bool(true),
                                                    "options": .object(["openai": .object(["a": .number(1)])])])
        let registry = try ProviderRegistry.configured(
            engine: .shared, configuration: ProvidersConfiguration(openrouter: settings),
            environment: ["OPENROUTER_API_KEY": "k"])
        let provider = try #require(try registry.provider(named: "openrouter") as? OpenRouterProvider)
        let request = ProviderRequest(jobID: JobID.generate(), attempt: 1, spec: JobSpec(kind: .image, provider: "openrouter"),
                                      model: "m", audioFile: nil, workDirectory: FileManager.default.temporaryDirectory)
        func fields(_ value: JSONValue?) -> [String: JSONValue] {
            if case .object(let fields)? = value { return fields }
            return [:]
        }
        let speech = fields(provider.providerObject(for: "speech", request: request,
                                                    options: ["openai": ["instructions": .string("warm")]]))
        #expect(Set(speech.keys) == ["options"])
        let openai = fields(fields(speech["options"])["openai"])
        #expect(openai["a"] == .number(1))
        #expect(openai["instructions"] == .string("warm"))
        #expect(Set(fields(provider.providerObject(for: "images", request: request)).keys) == ["sort", "options"])
        #expect(Set(fields(provider.providerObject(for: "chat", request: request)).keys) == ["sort", "zdr"])
    }

    @Test("routing preferences in config.json are checked, naming the field")
    func routingChecked() {
        let json = #"{"providers": {"openrouter": {"routing": {"sort": "cheapest"}}}}"#
        #expect(throws: MediaJobsError.self) {
            try Configuration(json: Data(json.utf8)).section(ProvidersConfiguration.self)
        }
        do {
            _ = try Configuration(json: Data(json.utf8)).section(ProvidersConfiguration.self)
        } catch let error as MediaJobsError {
            #expect(error.message.hasPrefix("providers.openrouter.routing.sort: 'cheapest' is not one of"), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

@Suite("every provider's transcript becomes the one Transcript model")
struct TranscriptDecodingTests {
    @Test("verbose_json segments keep their times")
    func verbose() throws {
        let object: [String: Any] = ["language": "english", "duration": 4.2, "text": "Hello there. General Kenobi.",
                                     "segments": [["id": 0, "start": 0.0, "end": 1.5, "text": " Hello there."],
                                                  ["id": 1, "start": 1.5, "end": 4.2, "text": " General Kenobi."]]]
        let transcript = try #require(TranscriptDecoding.transcript(fromJSON: object, audioSeconds: nil))
        #expect(transcript.segments.count == 2)
        #expect(transcript.segments[1].start == 1.5)
        #expect(transcript.segments[1].text == "General Kenobi.")
        #expect(transcript.rendered(as: .srt).contains("00:00:01,500 --> 00:00:04,200"))
    }

    @Test("OpenRouter's json answer (text and usage only) spans the audio's duration")
    func plain() throws {
        let object: [String: Any] = ["text": "Hello, this is a test.", "usage": ["cost": 0.000508, "seconds": 9.2]]
        let transcript = try #require(TranscriptDecoding.transcript(fromJSON: object, audioSeconds: 9.2))
        #expect(transcript.segments == [Transcript.Segment(start: 0, end: 9.2, text: "Hello, this is a test.")])
        #expect(transcript.rendered(as: .vtt).contains("00:00:00.000 --> 00:00:09.200"))
    }

    @Test("words come from verbose_json's words, from Replicate's segments[].words, and fal's chunks become segments")
    func words() throws {
        let openai: [String: Any] = [
            "text": "Hello there.", "segments": [["start": 0.0, "end": 1.0, "text": " Hello there."]],
            "words": [["word": "Hello", "start": 0.0, "end": 0.4], ["word": "there", "start": 0.5, "end": 1.0]],
        ]
        let fromOpenAI = try #require(TranscriptDecoding.transcript(fromJSON: openai, audioSeconds: nil))
        #expect(fromOpenAI.words == [.init(text: "Hello", start: 0, end: 0.4), .init(text: "there", start: 0.5, end: 1)])
        let replicate: [String: Any] = [
            "transcription": "Hi you", "detected_language": "english",
            "segments": [["start": 0.0, "end": 2.0, "text": "Hi you",
                          "words": [["word": " Hi", "start": 0.0, "end": 0.8, "probability": 0.9],
                                    ["word": " you", "start": 1.0, "end": 2.0, "probability": 0.9]]]],
        ]
        let fromReplicate = try #require(TranscriptDecoding.transcript(fromJSON: replicate, audioSeconds: nil))
        #expect(fromReplicate.words.map(\.text) == ["Hi", "you"])
        #expect(fromReplicate.language == "english")
        let fal: [String: Any] = ["text": "One. Two.", "chunks": [["timestamp": [0.0, 1.2], "text": " One."],
                                                                 ["timestamp": [1.2, 2.5], "text": " Two."]]]
        let fromFal = try #require(TranscriptDecoding.transcript(fromJSON: fal, audioSeconds: nil))
        #expect(fromFal.segments == [.init(start: 0, end: 1.2, text: "One."), .init(start: 1.2, end: 2.5, text: "Two.")])
    }

    @Test("SRT and VTT cues are read back into segments")
    func cues() {
        let srt = "1\n00:00:00,000 --> 00:00:01,250\nHello\n\n2\n00:00:01,250 --> 00:00:03,000\nworld again\n"
        #expect(TranscriptDecoding.transcript(fromCues: srt).segments
            == [.init(start: 0, end: 1.25, text: "Hello"), .init(start: 1.25, end: 3, text: "world again")])
        let vtt = "WEBVTT\n\n00:00.500 --> 00:02.000\nHi\n"
        #expect(TranscriptDecoding.transcript(fromCues: vtt).segments == [.init(start: 0.5, end: 2, text: "Hi")])
    }
}

@Suite("per-provider concurrency")
struct RequestGateTests {
    @Test("with concurrency 1, a second request waits until the first is released")
    func concurrency() async throws {
        let gate = RequestGate(concurrency: 1, requestsPerMinute: nil)
        try await gate.acquire()
        let second = Task { try await gate.acquire() }
        // The second caller is parked: still one request in flight, however long we look.
        for _ in 0..<20 { await Task.yield() }
        #expect(await gate.inFlight == 1)
        await gate.release()
        try await second.value
        #expect(await gate.inFlight == 1)
        await gate.release()
        #expect(await gate.inFlight == 0)
    }

    @Test("the example configuration in docs parses")
    func example() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/config.example.json")
        let configuration = try Configuration(json: try Data(contentsOf: url)).section(ProvidersConfiguration.self)
        #expect(configuration.openrouter.common.concurrency == 4)
        #expect(configuration.openrouter.routing["data_collection"] == .string("deny"))
        #expect(configuration.fal.pollIntervalSeconds == 3)
        let transcripts = try Configuration(json: try Data(contentsOf: url)).section(TranscriptSettings.self)
        #expect(transcripts == TranscriptSettings(maxLineWidth: 42, maxLinesPerCue: 2))
    }
}
