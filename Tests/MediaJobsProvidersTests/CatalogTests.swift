import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
@testable import MediaJobsProviders
import Testing

@Suite("the model catalog: limits checked at submit, prices with sources")
struct CatalogTests {
    let catalog = ModelCatalog.builtIn

    @Test("every price has a source, a date and a decimal amount; every model serves a kind")
    func wellFormed() {
        for model in catalog.models {
            #expect(!model.kinds.isEmpty, "\(model.provider)/\(model.id)")
            #expect(model.origin == "built-in")
            for price in model.prices {
                #expect(price.perUnit != nil, "\(model.id) \(price.usdPerUnit)")
                #expect(!price.source.isEmpty)
                #expect(price.date.count == 10)
            }
            for (unit, quantity) in model.typical {
                #expect(ModelPrice.decimal(quantity) != nil && model.billedUnits.contains(unit), "\(model.id) \(unit)")
            }
        }
        for provider in ["openrouter", "openai", "fal", "replicate"] {
            #expect(!catalog.models(provider: provider).isEmpty, "\(provider)")
        }
    }

    @Test("an unsupported duration, resolution or voice is refused naming the field and what is accepted")
    func limits() {
        func message(_ spec: JobSpec, _ provider: String, _ model: String) -> String? {
            do { try catalog.check(spec, provider: provider, model: model); return nil } catch let e as MediaJobsError {
                return e.message
            } catch { return "\(error)" }
        }
        var video = JobSpec(kind: .video, provider: "openrouter", input: JobInput(prompt: "a boat"))
        video.input.durationSeconds = 7
        #expect(message(video, "openrouter", "google/veo-3.1-lite")
            == "input.duration_s: openrouter/google/veo-3.1-lite does not accept '7' (it accepts 4, 6, 8)")
        video.input.durationSeconds = 8
        video.input.resolution = "4K"
        #expect(message(video, "openrouter", "google/veo-3.1-lite")?.hasPrefix("input.resolution:") == true)
        video.input.resolution = "720p"
        #expect(message(video, "openrouter", "google/veo-3.1-lite") == nil)

        let tts = JobSpec(kind: .tts, provider: "openai", input: JobInput(text: "hi", voice: "slt"))
        #expect(message(tts, "openai", "gpt-4o-mini-tts")?.hasPrefix("input.voice: openai/gpt-4o-mini-tts does not accept 'slt'") == true)
        let long = JobSpec(kind: .tts, provider: "openai", input: JobInput(text: String(repeating: "a", count: 5000)))
        // A text over the model's characters is not refused: the worker speaks it in parts (see LongInputTests).
        #expect(message(long, "openai", "tts-1") == nil)
        #expect(message(JobSpec(kind: .video, input: JobInput(prompt: "x")), "openai", "gpt-image-1")?.hasPrefix("model:") == true)
    }

    @Test("a model the catalog does not know is no whitelist miss: no limit checks, and an unknown price, never zero")
    func unknownModel() throws {
        try catalog.check(JobSpec(kind: .image, input: JobInput(prompt: "x")), provider: "fal", model: "no/such")
        var spec = JobSpec(kind: .tts, provider: "openrouter", model: "some-lab/brand-new-tts", input: JobInput(text: "Hello there."))
        spec.input.voice = "any-voice-at-all"
        try catalog.check(spec, provider: "openrouter", model: "some-lab/brand-new-tts")
        let estimate = catalog.estimate(spec, provider: "openrouter", model: "some-lab/brand-new-tts")
        #expect(estimate.usd == nil)
        #expect(estimate.lines.map(\.unit) == ["characters"] && estimate.lines.first?.quantity == 12)
        let message = ModelCatalog.unknownPriceMessage(estimate, route: "openrouter/some-lab/brand-new-tts",
                                                       checkedAgainst: ["budgets.daily_usd ($5)"])
        #expect(message == "budgets.daily_usd: the price of openrouter/some-lab/brand-new-tts for this job is unknown (the "
            + "model catalog does not know openrouter/some-lab/brand-new-tts), so it cannot be checked against "
            + "budgets.daily_usd ($5); a price we lack is never taken as 0. Give the model a price in "
            + "config.json: catalog.models[].prices")
    }

    /// A job of `kind` with the inputs the pricing reads.
    static func job(_ kind: JobKind, text: Int = 150, seconds: Double? = nil, quality: String? = nil, size: String? = nil,
                    audio: Bool? = nil, resolution: String? = nil) -> JobSpec {
        var spec = JobSpec(kind: kind, input: JobInput(text: kind == .tts ? String(repeating: "a", count: text) : nil,
                                                       prompt: kind == .image || kind == .video ? "a red panda astronaut" : nil))
        spec.input.durationSeconds = seconds
        spec.input.quality = quality
        spec.input.size = size
        spec.input.generateAudio = audio
        spec.input.resolution = resolution
        return spec
    }

    struct Priced: Sendable, CustomTestStringConvertible {
        var provider: String
        var model: String
        var spec: JobSpec
        var audioSeconds: Double?
        var usd: String
        var testDescription: String { "\(provider)/\(model) = $\(usd)" }
    }

    /// Every built-in model, with the amount reference/providers.md §5 gives (or, where §5 has no figure, the
    /// assumption the table states).
    static let builtInPrices: [Priced] = [
        // 150 characters: $0.60/1M characters, plus 10 s of audio out (15 characters a second) at $0.00025/s.
        Priced(provider: "openrouter", model: "openai/gpt-4o-mini-tts", spec: job(.tts), usd: "0.00259"),
        Priced(provider: "openrouter", model: "openai/whisper-large-v3", spec: job(.transcribe), audioSeconds: 7, usd: "0.0007"),
        Priced(provider: "openrouter", model: "google/chirp-3", spec: job(.transcribe), audioSeconds: 20, usd: "0.005333"),
        Priced(provider: "openrouter", model: "bytedance-seed/seedream-4.5", spec: job(.image), usd: "0.05"),
        Priced(provider: "openrouter", model: "google/gemini-2.5-flash-image", spec: job(.image), usd: "0.04"),
        Priced(provider: "openrouter", model: "google/veo-3.1-lite", spec: job(.video, seconds: 8), usd: "4"),
        Priced(provider: "openrouter", model: "google/veo-3.1-lite", spec: job(.video, seconds: 8, resolution: "1080p"), usd: "6"),
        Priced(provider: "openrouter", model: "alibaba/wan-2.6", spec: job(.video, seconds: 5), usd: "0.2"),
        Priced(provider: "openai", model: "gpt-4o-mini-tts", spec: job(.tts), usd: "0.00259"),
        Priced(provider: "openai", model: "tts-1", spec: job(.tts, text: 1000), usd: "0.015"),
        Priced(provider: "openai", model: "tts-1-hd", spec: job(.tts, text: 1000), usd: "0.03"),
        Priced(provider: "openai", model: "whisper-1", spec: job(.transcribe), audioSeconds: 60, usd: "0.006"),
        // `auto` quality and size are priced as the most they can cost (high, a larger size); 6 prompt tokens.
        Priced(provider: "openai", model: "gpt-image-1", spec: job(.image), usd: "0.250012"),
        Priced(provider: "openai", model: "gpt-image-1", spec: job(.image, quality: "low", size: "1024x1024"), usd: "0.011012"),
        Priced(provider: "openai", model: "gpt-image-1", spec: job(.image, quality: "medium", size: "1024x1024"), usd: "0.042012"),
        Priced(provider: "openai", model: "gpt-image-1", spec: job(.image, quality: "high", size: "1024x1024"), usd: "0.167012"),
        Priced(provider: "openai", model: "gpt-image-1", spec: job(.image, quality: "low", size: "1536x1024"), usd: "0.016012"),
        Priced(provider: "openai", model: "gpt-image-1", spec: job(.image, quality: "medium", size: "1024x1536"), usd: "0.063012"),
        Priced(provider: "fal", model: "fal-ai/flux/schnell", spec: job(.image), usd: "0.003"),
        // Audio is on unless the job turns it off: 8 s × $0.15.
        Priced(provider: "fal", model: "fal-ai/veo3/fast", spec: job(.video), usd: "1.2"),
        Priced(provider: "fal", model: "fal-ai/veo3/fast", spec: job(.video, seconds: 8, audio: true), usd: "1.2"),
        Priced(provider: "fal", model: "fal-ai/veo3/fast", spec: job(.video, seconds: 8, audio: false), usd: "0.8"),
        Priced(provider: "fal", model: "fal-ai/kokoro/american-english", spec: job(.tts, text: 1000), usd: "0.02"),
        Priced(provider: "replicate", model: "black-forest-labs/flux-schnell", spec: job(.image), usd: "0.003"),
        Priced(provider: "replicate", model: "black-forest-labs/flux-1.1-pro", spec: job(.image), usd: "0.04"),
        // Before the run: the typical predict time; the cost recorded is from the reported predict_time.
        Priced(provider: "replicate", model: "wan-video/wan-2.2-t2v-fast", spec: job(.video), usd: "0.084"),
        Priced(provider: "replicate", model: "openai/whisper", spec: job(.transcribe), audioSeconds: 7, usd: "0.00675"),
        // Local: runs on this machine, $0 known, never unknown.
        Priced(provider: "local", model: "flite", spec: job(.tts, text: 1000), usd: "0"),
        Priced(provider: "local", model: "pocketsphinx", spec: job(.transcribe), audioSeconds: 60, usd: "0"),
    ]

    @Test("each built-in model's estimate adds up its price lines", arguments: builtInPrices)
    func builtInPrice(_ priced: Priced) throws {
        let estimate = catalog.estimate(priced.spec, provider: priced.provider, model: priced.model, audioSeconds: priced.audioSeconds)
        #expect(estimate.usd == Money(usd: priced.usd), "\(estimate.lines)")
        #expect(estimate.lines.allSatisfy { $0.source?.isEmpty == false })
    }

    @Test("every built-in model is priced by some test above")
    func everyModelPriced() {
        for model in catalog.models {
            #expect(Self.builtInPrices.contains { $0.provider == model.provider && $0.model == model.id }, "\(model.id)")
        }
    }

    @Test("veo3 fast: audio on by default, 8 s at $0.15 is $1.20, and the line says which price and why")
    func veoDefaultAudio() throws {
        let estimate = catalog.estimate(Self.job(.video), provider: "fal", model: "fal-ai/veo3/fast")
        let line = try #require(estimate.lines.first)
        #expect(estimate.lines.count == 1)
        #expect(line.unit == "video_seconds" && line.quantity == 8 && line.usdPerUnit == Decimal(string: "0.15"))
        #expect(line.variant == "audio=on")
        #expect(line.source?.contains("FAL-VEO3F") == true && line.source?.contains("the model's default duration") == true)
        // After the answer, the same lines (fal reports no units).
        #expect(catalog.price([:], spec: Self.job(.video), provider: "fal", model: "fal-ai/veo3/fast") == estimate)
    }

    @Test("gpt-4o-mini-tts: input characters plus seconds of output audio, measured once the audio exists")
    func speechWithAudioOut() throws {
        let spec = Self.job(.tts, text: 300)
        let before = catalog.estimate(spec, provider: "openai", model: "gpt-4o-mini-tts")
        #expect(before.lines.map(\.unit) == ["characters", "output_audio_seconds"])
        #expect(before.lines.map(\.quantity) == [300, 20])
        let after = catalog.price([:], spec: spec, provider: "openai", model: "gpt-4o-mini-tts",
                                  measured: ["output_audio_seconds": Decimal(string: "18.216")!])
        #expect(after.lines.map(\.unit) == before.lines.map(\.unit))
        // 300 × $0.0000006 + 18.216 s × $0.00025
        #expect(after.usd == Money(usd: "0.004734"))
        #expect(after.lines[1].source?.contains("measured from the output") == true)
        #expect(after.lines[1].source?.contains("$12 per 1M audio output tokens") == true)
    }

    @Test("Replicate predict_time 37.123456 s at $0.0014/s is exactly $0.0519728384, from the reported seconds")
    func replicatePredictTime() throws {
        let cost = catalog.price(["predict_seconds": Decimal(string: "37.123456")!], spec: Self.job(.video), provider: "replicate",
                                 model: "wan-video/wan-2.2-t2v-fast")
        #expect(cost.usd == Money(usd: "0.0519728384"))
        #expect(cost.lines.first?.source?.contains("reported by replicate") == true)
        let before = catalog.estimate(Self.job(.video), provider: "replicate", model: "wan-video/wan-2.2-t2v-fast")
        #expect(before.lines.first?.quantity == 60)
        #expect(before.lines.first?.source?.contains("typical for this model, an estimate") == true)
    }

    @Test("gpt-image-1: the quality and size the answer names price it; an unpriced quality is unknown, not zero")
    func imageAnswered() throws {
        let spec = Self.job(.image)
        let answered = catalog.price(["images": 1, "input_text_tokens": 7], spec: spec, provider: "openai", model: "gpt-image-1",
                                     answered: ["quality": "medium", "size": "1024x1024"])
        #expect(answered.usd == Money(usd: "0.042014"))
        #expect(answered.lines.first?.variant == "quality=medium, size=1024x1024")
        let standard = catalog.estimate(Self.job(.image, quality: "standard"), provider: "openai", model: "gpt-image-1")
        #expect(standard.usd == nil)
        #expect(standard.unpricedUnits == ["images"])
        #expect(standard.lines.first?.variant == "quality=standard, size=auto")
    }

    @Test("config.json adds and overrides models; config wins over a refreshed listing, which wins over built-in")
    func configurationOverlay() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let refreshed = RefreshedCatalog(readAt: "2026-12-01T10:00:00Z", sources: ["openrouter GET /videos/models"], models: [
            CatalogRefresh.videoModel(id: "google/veo-3.1-lite", item: [
                "supported_durations": [4, 8], "pricing_skus": ["per-video-second": "0.40", "per-video-second-1080p": "0.60"],
            ], source: "openrouter GET /videos/models", date: "2026-12-01"),
            CatalogModel(provider: "openrouter", id: "new/video", kinds: [.video], prices: []),
        ])
        try JSONEncoder().encode(refreshed).write(to: folder.appendingPathComponent("catalog.json"))
        let config = """
            {"catalog": {"models": [
              {"provider": "fal", "id": "fal-ai/veo3/fast",
               "prices": [{"unit": "video_seconds", "usd_per_unit": "0.20", "when": {"audio": "on"}, "source": "fal invoice"},
                          {"unit": "video_seconds", "usd_per_unit": 0.1, "when": {"audio": ["off"]}}],
               "limits": {"durations": [4, 8]}},
              {"provider": "openrouter", "id": "google/veo-3.1-lite",
               "prices": [{"unit": "video_seconds", "usd_per_unit": "0.45", "source": "agreed rate", "date": "2026-12-02"}]},
              {"provider": "openrouter", "id": "some-lab/brand-new-tts", "kinds": ["tts"],
               "prices": [{"unit": "characters", "usd_per_unit": "0.00002", "source": "some-lab pricing page", "date": "2026-12-01"}],
               "limits": {"voices": ["nova"]}}
            ]}}
            """
        try Data(config.utf8).write(to: folder.appendingPathComponent("config.json"))
        let catalog = try ModelCatalog.load(home: folder, configuration: try Configuration.load(from: folder.appendingPathComponent("config.json")))

        let veo3 = try #require(catalog.model(provider: "fal", id: "fal-ai/veo3/fast"))
        #expect(veo3.origin == "config.json")
        #expect(veo3.limits.durations == [4, 8] && veo3.limits.resolutions == ["720p", "1080p"])
        #expect(veo3.defaults["audio"] == "on")
        #expect(veo3.prices.map(\.usdPerUnit) == ["0.20", "0.1"])
        #expect(veo3.prices[1].source == "config.json" && veo3.prices[1].date.count == 10)
        #expect(catalog.estimate(Self.job(.video, seconds: 4), provider: "fal", model: "fal-ai/veo3/fast").usd == Money(usd: "0.8"))

        // The listing replaced the built-in limits; config.json replaced the listing's prices.
        let lite = try #require(catalog.model(provider: "openrouter", id: "google/veo-3.1-lite"))
        #expect(lite.limits.durations == [4, 8])
        #expect(lite.prices.map(\.usdPerUnit) == ["0.45"])
        #expect(catalog.model(provider: "openrouter", id: "new/video")?.origin == "openrouter listing read 2026-12-01")
        #expect(catalog.models.filter { $0.id == "google/veo-3.1-lite" }.count == 1)

        let added = JobSpec(kind: .tts, provider: "openrouter", model: "some-lab/brand-new-tts",
                            input: JobInput(text: String(repeating: "b", count: 500), voice: "nova"))
        try catalog.check(added, provider: "openrouter", model: "some-lab/brand-new-tts")
        #expect(catalog.estimate(added, provider: "openrouter", model: "some-lab/brand-new-tts").usd == Money(usd: "0.01"))
        var other = added
        other.input.voice = "alloy"
        #expect(throws: MediaJobsError.self) { try catalog.check(other, provider: "openrouter", model: "some-lab/brand-new-tts") }
        // The built-in default for a provider and kind stays the default.
        #expect(catalog.defaultModel(provider: "openrouter", kind: .tts) == "openai/gpt-4o-mini-tts")
    }

    @Test("docs/config.example.json's catalog section loads: a new model, and built-in ones restated or re-estimated")
    func exampleConfiguration() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/config.example.json")
        let catalog = try ModelCatalog.load(overlay: nil, configuration: try Configuration.load(from: url))
        let added = try #require(catalog.model(provider: "openrouter", id: "some-lab/brand-new-tts"))
        #expect(added.kinds == [.tts] && added.limits.maxCharacters == 4096 && added.origin == "config.json")
        #expect(catalog.estimate(Self.job(.video), provider: "fal", model: "fal-ai/veo3/fast").usd == Money(usd: "1.2"))
        #expect(catalog.estimate(Self.job(.video), provider: "replicate", model: "wan-video/wan-2.2-t2v-fast").usd == Money(usd: "0.063"))
    }

    @Test("a config.json catalog entry with a typo, a bad amount or a new model without kinds is refused, naming it")
    func configurationErrors() throws {
        func message(_ json: String) -> String? {
            do {
                _ = try ModelCatalog.load(overlay: nil, configuration: try Configuration(json: Data(json.utf8)))
                return nil
            } catch let error as MediaJobsError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        let typo = message(#"{"catalog": {"models": [{"provider": "fal", "id": "x", "kinds": ["image"], "price": []}]}}"#)
        #expect(typo?.hasPrefix("config.json: catalog.models[0].price: unknown field") == true, "\(typo ?? "")")
        let amount = message(#"{"catalog": {"models": [{"provider": "fal", "id": "x", "kinds": ["image"], "#
                             + #""prices": [{"unit": "images", "usd_per_unit": "4 cents"}]}]}}"#)
        #expect(amount?.hasPrefix("config.json: catalog.models[0].prices[0].usd_per_unit: expected a decimal") == true, "\(amount ?? "")")
        let limit = message(#"{"catalog": {"models": [{"provider": "fal", "id": "x", "kinds": ["image"], "limits": {"max_imagez": 2}}]}}"#)
        #expect(limit?.contains("max_imagez: unknown limit") == true, "\(limit ?? "")")
        let kinds = message(#"{"catalog": {"models": [{"provider": "fal", "id": "new/model", "prices": []}]}}"#)
        #expect(kinds == "config.json: catalog.models[0].kinds: fal/new/model is not in the catalog, so its entry needs the "
                + "kinds it makes (tts, transcribe, image, video)")
        #expect(message(#"{"catalog": {"modelz": []}}"#)?.contains("catalog.modelz: unknown field") == true)
    }

    @Test("listings: documented price fields become lines; others are kept as read and never priced")
    func listings() throws {
        let speech = try #require(CatalogRefresh.model(listed: [
            "id": "some-lab/speaker", "architecture": ["input_modalities": ["text"], "output_modalities": ["audio"]],
            "pricing": ["prompt": "0.000012", "completion": "0", "web_search": "0.01"], "supported_voices": ["a", "b"],
        ], source: "openrouter GET /models", date: "2026-12-02"))
        #expect(speech.kinds == [.tts] && speech.limits.voices == ["a", "b"])
        #expect(speech.prices.map(\.unit) == ["characters"] && speech.prices.map(\.usdPerUnit) == ["0.000012"])
        #expect(speech.unrecognizedPrices == ["pricing.web_search": "0.01"])
        #expect(CatalogRefresh.model(listed: ["id": "text/only", "architecture": ["output_modalities": ["text"]]],
                                     source: "s", date: "d") == nil)

        let image = CatalogRefresh.imageModel(id: "bytedance-seed/seedream-4.5", item: [:], endpoints: [
            ["provider_slug": "a", "pricing": [["billable": "output_image", "unit": "image", "cost_usd": 0.04],
                                              ["billable": "input_font", "unit": "image", "cost_usd": 0.01]]],
            ["provider_slug": "b", "pricing": [["billable": "output_image", "unit": "image", "cost_usd": 0.05],
                                              ["billable": "output_image", "unit": "image", "cost_usd": 0.08, "variant": "4K"],
                                              ["billable": "output_image", "unit": "image", "cost_usd": 0.09, "variant": "turbo"]]],
        ], source: "openrouter GET /images/models/bytedance-seed/seedream-4.5/endpoints", date: "2026-12-02")
        #expect(image.prices.map(\.usdPerUnit) == ["0.05", "0.08"])
        #expect(image.prices[1].when == ["resolution": ["4K"]])
        #expect(image.prices[0].note == "the highest of 2 endpoints")
        #expect(image.unrecognizedPrices.keys.sorted() == ["a.input_font/image", "b.output_image/image.turbo"])

        let video = CatalogRefresh.videoModel(id: "google/veo-3.1", item: [
            "supported_durations": [4, 8], "pricing_skus": ["generate": "0.50", "per-video-second-1080p": "0.75"],
        ], source: "openrouter GET /videos/models", date: "2026-12-02")
        #expect(video.prices.map(\.usdPerUnit) == ["0.75"] && video.prices[0].when == ["resolution": ["1080p"]])
        #expect(video.unrecognizedPrices == ["pricing_skus.generate": "0.50"])
        // 720p has no price line it can use: unknown, not the 1080p price and not zero.
        var spec = Self.job(.video, seconds: 8, resolution: "720p")
        spec.provider = "openrouter"
        let catalog = ModelCatalog(models: [video])
        #expect(catalog.estimate(spec, provider: "openrouter", model: "google/veo-3.1").usd == nil)
        spec.input.resolution = "1080p"
        #expect(catalog.estimate(spec, provider: "openrouter", model: "google/veo-3.1").usd == Money(usd: "6"))
    }

    @Test("a catalog.json written before price conditions (a list of models with `variant`) still reads")
    func olderCatalogFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let old = #"[{"provider": "openrouter", "id": "google/veo-3.1-lite", "kinds": ["video"], "limits": {"durations": [4, 8]}, "#
            + #""prices": [{"unit": "video_seconds", "usd_per_unit": "0.40", "source": "old", "date": "2026-11-01"}, "#
            + #"{"unit": "video_seconds", "usd_per_unit": "0.60", "variant": "1080p", "source": "old", "date": "2026-11-01"}]}]"#
        try Data(old.utf8).write(to: file)
        let catalog = try ModelCatalog.load(overlay: file)
        let veo = try #require(catalog.model(provider: "openrouter", id: "google/veo-3.1-lite"))
        #expect(veo.price(unit: "video_seconds")?.usdPerUnit == "0.40")
        #expect(veo.price(unit: "video_seconds", variant: ["resolution": "1080p"])?.usdPerUnit == "0.60")
    }
}
