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
            for price in model.prices {
                #expect(Decimal(string: price.usdPerUnit) != nil, "\(model.id) \(price.usdPerUnit)")
                #expect(!price.source.isEmpty)
                #expect(price.date.count == 10)
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
        #expect(message(long, "openai", "tts-1")?.contains("over openai/tts-1's limit of 4096") == true)
        #expect(message(JobSpec(kind: .video, input: JobInput(prompt: "x")), "openai", "gpt-image-1")?.hasPrefix("model:") == true)
        #expect(message(JobSpec(kind: .image, input: JobInput(prompt: "x")), "fal", "no/such")?.hasPrefix("model: 'fal' has no model") == true)
    }

    @Test("estimates are in the model's own unit, and unknown prices are nil, never zero")
    func estimates() {
        let tts = catalog.estimate(JobSpec(kind: .tts, input: JobInput(text: String(repeating: "a", count: 1000))),
                                   provider: "openai", model: "tts-1")
        #expect(tts.units["characters"] == 1000)
        #expect(tts.usd == Money(usd: "0.015"))
        var video = JobSpec(kind: .video, input: JobInput(prompt: "x"))
        video.input.durationSeconds = 8
        video.input.generateAudio = true
        let fal = catalog.estimate(video, provider: "fal", model: "fal-ai/veo3/fast")
        #expect(fal.units["video_seconds"] == 8)
        #expect(fal.usd == Money(usd: "1.2"))
        let replicate = catalog.estimate(video, provider: "replicate", model: "wan-video/wan-2.2-t2v-fast")
        #expect(replicate.usd == nil)
        let unknown = catalog.estimate(JobSpec(kind: .image, input: JobInput(prompt: "x")), provider: "fal", model: "no/such")
        #expect(unknown.usd == nil)
    }

    @Test("a refreshed catalog in the home folder replaces built-in entries and adds new ones")
    func overlay() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let item: [String: Any] = ["id": "google/veo-3.1-lite", "supported_durations": [4, 8], "supported_resolutions": ["720p"],
                                   "pricing_skus": ["per-video-second": "0.40", "per-video-second-1080p": "0.60"]]
        let refreshed = CatalogRefresh.model(id: "google/veo-3.1-lite", kind: .video, item: item, source: "test", date: "2027-01-01")
        let extra = CatalogModel(provider: "openrouter", id: "new/video", kinds: [.video], prices: [])
        try JSONEncoder().encode([refreshed, extra]).write(to: file)
        let catalog = try ModelCatalog.load(overlay: file)
        let veo = try #require(catalog.model(provider: "openrouter", id: "google/veo-3.1-lite"))
        #expect(veo.limits.durations == [4, 8])
        #expect(veo.price(unit: "video_seconds")?.usdPerUnit == "0.40")
        #expect(veo.price(unit: "video_seconds", variant: "1080p")?.usdPerUnit == "0.60")
        #expect(catalog.model(provider: "openrouter", id: "new/video") != nil)
        #expect(catalog.models.filter { $0.id == "google/veo-3.1-lite" }.count == 1)
    }
}
