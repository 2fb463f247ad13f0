import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsHTTP
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// The simulator and a home pointed at it, whose catalog is read from the home as the CLI reads it (built-in,
/// catalog.json, config.json), with `config` as config.json.
private func withCatalogHome(config: String? = nil, _ body: (Simulator, RemoteHome) async throws -> Void) async throws {
    let simulator = try await Simulator.start()
    do {
        let key = "sk-sim-key-000"
        let keys = ["OPENROUTER_API_KEY": key, "OPENAI_API_KEY": key, "FAL_KEY": key, "REPLICATE_API_TOKEN": key]
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = Configuration.empty
        if let config {
            try Data(config.utf8).write(to: folder.appendingPathComponent("config.json"))
            configuration = try Configuration.load(from: folder.appendingPathComponent("config.json"))
        }
        let catalog = try ModelCatalog.load(home: folder, configuration: configuration)
        let home = try RemoteHome(environment: simulator.environment.merging(keys) { $1 }, catalog: catalog)
        defer { home.remove() }
        if let config { try home.writeConfig(config) }
        try await body(simulator, home)
    } catch {
        await simulator.stop()
        throw error
    }
    await simulator.stop()
}


@Suite("an open catalog: any model runs, prices in lines, budgets refuse unknown prices at submit")
struct OpenCatalogTests {
    static let newTTS = "some-lab/brand-new-tts"

    @Test("a model no catalog knows runs, and its cost is recorded unknown (no amount), never $0")
    func unknownModelRuns() async throws {
        try await withCatalogHome { simulator, home in
            // The simulator serves this snapshot; the catalog does not list it.
            let spec = JobSpec(kind: .tts, provider: "openai", model: "gpt-4o-mini-tts-2025-12-15",
                               input: JobInput(text: "A model the catalog has never heard of."))
            #expect(home.providers.names.contains("openai"))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let cost = try #require(try await home.store.costs(id).first)
            #expect(cost.source == .unknown && cost.usd == nil && cost.charged)
            #expect(cost.units["characters"] == Decimal(spec.input.text!.count))
            #expect(cost.units["output_audio_seconds"].map { $0 > 0 } == true, "\(cost.units)")
            #expect(simulator.requests(.openai, path: "/audio/speech").count == 1)
        }
    }

    @Test("with a daily budget, a job for a model without a price is refused at submit, naming the model and the field")
    func unknownPriceRefusedAtSubmit() async throws {
        try await withCatalogHome(config: #"{"budgets": {"daily_usd": 5}}"#) { simulator, home in
            let spec = JobSpec(kind: .tts, provider: "openrouter", model: Self.newTTS, input: JobInput(text: "Hello there."))
            do {
                _ = try await home.submitter.submit(spec)
                Issue.record("expected a refusal at submit")
            } catch let error as MediaJobsError {
                #expect(error.code == .budgetExceeded)
                #expect(error.message == "budgets.daily_usd: the price of openrouter/some-lab/brand-new-tts for this job is "
                    + "unknown (the model catalog does not know openrouter/some-lab/brand-new-tts), so it cannot be checked "
                    + "against budgets.daily_usd ($5); a price we lack is never taken as 0. Give the model a price in "
                    + "config.json: catalog.models[].prices; nothing was queued", "\(error.message)")
            }
            #expect(try await home.store.jobs(JobFilter()).isEmpty)
            #expect(simulator.requests(.openrouter).isEmpty)
        }
    }

    @Test("the price config.json gives a new model lets it run under the budget, priced by that line")
    func configuredPriceRunsUnderBudget() async throws {
        let config = """
            {"budgets": {"daily_usd": 5},
             "catalog": {"models": [{"provider": "openai", "id": "gpt-4o-mini-tts-2025-12-15", "kinds": ["tts"],
               "prices": [{"unit": "characters", "usd_per_unit": "0.000015", "source": "our contract", "date": "2026-12-01"}]}]}}
            """
        try await withCatalogHome(config: config) { _, home in
            let spec = JobSpec(kind: .tts, provider: "openai", model: "gpt-4o-mini-tts-2025-12-15",
                               input: JobInput(text: String(repeating: "word ", count: 20)))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let cost = try #require(try await home.store.costs(id).first)
            #expect(cost.source == .estimated && cost.usd == Money(usd: "0.0015"))
            #expect(cost.lines.first?.source?.hasPrefix("our contract, 2026-12-01") == true, "\(cost.lines)")
        }
    }

    @Test("a job whose first route is a model nobody knows, with a fallback, is accepted and tried in its route order")
    func unknownFirstRouteFallsBack() async throws {
        try await withCatalogHome { simulator, home in
            let spec = JobSpec(kind: .tts, provider: "openrouter", model: Self.newTTS,
                               fallbacks: [Route(provider: "openai", model: "tts-1")], input: JobInput(text: "Try the new one first."))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            // The simulated OpenRouter does not serve it: the first request went there, and the fallback answered.
            let first = try #require(simulator.requests(.openrouter, path: "/audio/speech").first)
            #expect(first.json?["model"] as? String == Self.newTTS)
            #expect(simulator.requests(.openai, path: "/audio/speech").count == 1)
            let costs = try await home.store.costs(id)
            #expect(costs.last?.provider == "openai" && costs.last?.source == .estimated)
        }
    }

    @Test("fal veo3 fast with the provider's default audio is recorded as 8 s × $0.15 = $1.20, estimated")
    func veoDefaultAudioThroughSimulator() async throws {
        try await withCatalogHome { simulator, home in
            let spec = JobSpec(kind: .video, provider: "fal", model: "fal-ai/veo3/fast", input: JobInput(prompt: "a boat at sunset"))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let cost = try #require(try await home.store.costs(id).first)
            #expect(cost.source == .estimated && cost.usd == Money(usd: "1.2"))
            #expect(cost.lines.map(\.variant) == ["audio=on"])
        }
    }

    @Test("gpt-4o-mini-tts is charged for its characters and for the seconds of audio it returned, as measured")
    func speechAudioOutMeasured() async throws {
        try await withCatalogHome { _, home in
            let spec = JobSpec(kind: .tts, provider: "openai", model: "gpt-4o-mini-tts", input: JobInput(text: sampleSpeechText))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let cost = try #require(try await home.store.costs(id).first)
            #expect(cost.lines.map(\.unit) == ["characters", "output_audio_seconds"])
            let output = try #require(try await home.store.artifacts(id).first { $0.role == .output })
            let seconds = try #require(try await MediaEngine.shared.probe(try home.artifacts.url(for: output.sha256)).durationSeconds)
            let measured = NSDecimalNumber(decimal: cost.lines[1].quantity).doubleValue
            #expect(abs(measured - seconds) < seconds * 0.02, "\(measured) vs \(seconds)")
            #expect(cost.lines[1].source?.contains("measured from the output") == true)
            let expected = Decimal(sampleSpeechText.count) * Decimal(string: "0.0000006")! + cost.lines[1].quantity * Decimal(string: "0.00025")!
            #expect(cost.usd == Money(expected) && cost.source == .estimated)
        }
    }

    @Test("models --refresh reads the simulated OpenRouter's audio, image and video listings with their prices")
    func refreshAgainstSimulator() async throws {
        let simulator = try await Simulator.start()
        do {
            let environment = simulator.environment.merging(["OPENROUTER_API_KEY": "sk-sim-key-000"]) { $1 }
            let now = Date(timeIntervalSince1970: 1_796_212_800)  // 2026-12-02
            // Patient reads, on a client of the test's own: under the whole suite's load the in-process simulator may
            // be slow to answer, and the shared client's transfer threads busy.
            let patient = ProviderTimeouts(poll: HTTPTimeouts(connect: 10, total: 600, lowSpeedBytesPerSecond: 1, lowSpeedSeconds: 300))
            let configuration = ProvidersConfiguration(openrouter: OpenRouterSettings(common: RemoteProviderSettings(timeouts: patient)))
            let refreshed = try await CatalogRefresh.openRouter(configuration: configuration, environment: environment,
                                                                http: HTTPClient(maxConcurrentTransfers: 2), now: now)
            #expect(refreshed.readAt.hasPrefix("2026-12-02"))
            let models = try #require(simulator.requests(.openrouter, path: "/models").first)
            #expect(models.query == "output_modalities=audio,image")
            #expect(simulator.requests(.openrouter, path: "/videos/models").count == 1)
            let images = simulator.requests(.openrouter, path: "/images/models").map(\.path)
            #expect(images.contains { $0.hasSuffix("/images/models/bytedance-seed/seedream-4.5/endpoints") }, "\(images)")
            let catalog = ModelCatalog(models: []).overlaid(by: refreshed.models, origin: "openrouter listing")
            let speech = try #require(catalog.model(provider: "openrouter", id: "mistralai/voxtral-mini-tts-2603"))
            #expect(speech.kinds == [.tts] && speech.prices.map(\.unit) == ["characters"])
            #expect(speech.prices.first?.date == "2026-12-02")
            let seedream = try #require(catalog.model(provider: "openrouter", id: "bytedance-seed/seedream-4.5"))
            #expect(seedream.prices.map(\.unit) == ["images"] && seedream.prices.first?.usdPerUnit == "0.04")
            // Listed by /models (chat, per image out) and /images/models: the endpoint's per-image line, once.
            let gemini = try #require(catalog.model(provider: "openrouter", id: "google/gemini-2.5-flash-image"))
            #expect(gemini.prices.map(\.unit) == ["images"])
            let veo = try #require(catalog.model(provider: "openrouter", id: "google/veo-3.1"))
            #expect(veo.kinds == [.video] && veo.limits.durations == [4, 6, 8])
            // The listing's per-video-second SKUs: the plain one, and the one for 1080p.
            #expect(veo.price(unit: "video_seconds", variant: ["resolution": "720p"])?.usdPerUnit == "0.4")
            #expect(veo.price(unit: "video_seconds", variant: ["resolution": "1080p"])?.usdPerUnit == "0.5")
            // Transcription models are text-out: not asked for by output_modalities=audio,image.
            #expect(catalog.model(provider: "openrouter", id: "google/chirp-3") == nil)
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }
}
