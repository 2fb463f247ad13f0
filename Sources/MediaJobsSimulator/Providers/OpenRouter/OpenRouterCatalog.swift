import Foundation

/// The models the simulated OpenRouter serves, per endpoint, with their prices (exact decimals) and what each
/// video model supports. What OpenRouter reports in `usage.cost` and `/generation` `total_cost` is what it bills.
enum OpenRouterCatalog {
    static let speech: Set = [
        "openai/gpt-4o-mini-tts-2025-12-15", "openai/gpt-4o-mini-tts", "mistralai/voxtral-mini-tts-2603",
        "google/gemini-2.5-flash-preview-tts",
    ]

    /// What a speech request costs. OpenAI's gpt-4o-mini-tts passes OpenAI's two-part price through (§5: $0.60 per
    /// 1M input characters plus the audio out at ≈ $0.015 a minute, see `Prices.miniTTS`); the other voices are
    /// priced per input character (§5: "per input character, varies by model"), $15 per 1M in the simulator.
    static func speechLines(model: String, characters: Int, audioMilliseconds: Int) -> [BillingEntry.Line] {
        if model.hasPrefix("openai/gpt-4o-mini-tts") {
            return Prices.miniTTS(characters: characters, audioMilliseconds: audioMilliseconds)
        }
        return [BillingEntry.Line(item: "input characters", quantity: Decimal(characters), unit: "character",
                                  unitPrice: Prices.decimal("0.000015"))]
    }

    static let transcription: Set = [
        "openai/whisper-large-v3", "openai/whisper-1", "openai/gpt-4o-transcribe", "openai/gpt-4o-mini-transcribe",
        "google/chirp-3", "mistralai/voxtral-mini-transcribe",
    ]

    /// Dollars per second of audio: `google/chirp-3` as §5's example (20 s → $0.005333), the others $0.006 a minute.
    static func transcriptionPricePerSecond(_ model: String) -> Decimal {
        model == "google/chirp-3" ? Prices.decimal("0.00026665") : Prices.decimal("0.0001")
    }

    static let images: [(id: String, name: String, price: Decimal)] = [
        ("google/gemini-2.5-flash-image", "Google: Nano Banana", Prices.decimal("0.039")),
        ("bytedance-seed/seedream-4.5", "ByteDance Seed: Seedream 4.5", Prices.decimal("0.04")),
        ("black-forest-labs/flux.2-pro", "Black Forest Labs: FLUX.2 Pro", Prices.decimal("0.05")),
        ("openai/gpt-5-image", "OpenAI: GPT-5 Image", Prices.decimal("0.04")),
    ]

    /// A chat completion without images: a flat $0.0001.
    static let chatPrice = Prices.decimal("0.0001")

    struct VideoModel {
        var id: String
        var name: String
        var durations: [Int]
        var resolutions: [String]
        var aspectRatios: [String]
        /// `pricing_skus` `per-video-second` (resolutions below 1080p).
        var pricePerSecond: Decimal
        /// `pricing_skus` `per-video-second-1080p`, for 1080p and larger (1K, 2K, 4K).
        var pricePerSecond1080p: Decimal
        var generateAudio: Bool

        /// The SKU and its price for a resolution.
        func sku(resolution: String) -> (name: String, price: Decimal) {
            ["1080p", "1K", "2K", "4K"].contains(resolution)
                ? ("per-video-second-1080p", pricePerSecond1080p) : ("per-video-second", pricePerSecond)
        }
    }

    /// Per-second prices: the 720p ones as §5's tables give them (veo-3.1 $0.40, sora-2-pro $0.30, wan-2.6 $0.04,
    /// kling-v3.0-std $0.084); the `-1080p` SKUs (§5 shows one, $0.75 beside $0.50) are the simulator's own.
    static let videos: [VideoModel] = [
        VideoModel(
            id: "google/veo-3.1-lite", name: "Google: Veo 3.1 Lite", durations: [4, 6, 8], resolutions: ["720p", "1080p"],
            aspectRatios: ["16:9", "9:16"], pricePerSecond: Prices.decimal("0.05"),
            pricePerSecond1080p: Prices.decimal("0.08"), generateAudio: true),
        VideoModel(
            id: "google/veo-3.1", name: "Google: Veo 3.1", durations: [4, 6, 8], resolutions: ["720p", "1080p"],
            aspectRatios: ["16:9", "9:16"], pricePerSecond: Prices.decimal("0.40"),
            pricePerSecond1080p: Prices.decimal("0.50"), generateAudio: true),
        VideoModel(
            id: "google/veo-3.1-fast", name: "Google: Veo 3.1 Fast", durations: [4, 6, 8], resolutions: ["720p", "1080p"],
            aspectRatios: ["16:9", "9:16"], pricePerSecond: Prices.decimal("0.15"),
            pricePerSecond1080p: Prices.decimal("0.20"), generateAudio: true),
        VideoModel(
            id: "kwaivgi/kling-v3.0-std", name: "Kling: v3.0 Standard", durations: [5, 10], resolutions: ["720p", "1080p"],
            aspectRatios: ["16:9", "9:16", "1:1"], pricePerSecond: Prices.decimal("0.084"),
            pricePerSecond1080p: Prices.decimal("0.112"), generateAudio: false),
        VideoModel(
            id: "alibaba/wan-2.6", name: "Alibaba: Wan 2.6", durations: [5, 10], resolutions: ["480p", "720p", "1080p"],
            aspectRatios: ["16:9", "9:16", "1:1"], pricePerSecond: Prices.decimal("0.04"),
            pricePerSecond1080p: Prices.decimal("0.06"), generateAudio: true),
        VideoModel(
            id: "openai/sora-2-pro", name: "OpenAI: Sora 2 Pro", durations: [4, 8, 12], resolutions: ["720p", "1080p"],
            aspectRatios: ["16:9", "9:16"], pricePerSecond: Prices.decimal("0.30"),
            pricePerSecond1080p: Prices.decimal("0.50"), generateAudio: true),
    ]

    static func video(_ id: String) -> VideoModel? { videos.first { $0.id == id } }

    /// Width and height for a resolution name and aspect ratio ("720p", "16:9" → 1280×720).
    static func dimensions(resolution: String, aspectRatio: String) -> (Int, Int) {
        let short: Int =
            switch resolution {
            case "480p": 480
            case "768p": 768
            case "1080p", "1K": 1080
            case "2K": 1440
            case "4K": 2160
            default: 720
            }
        let parts = aspectRatio.split(separator: ":").compactMap { Double($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return (short * 16 / 9, short) }
        let ratio = parts[0] / parts[1]
        let even = { (value: Double) in Int(value / 2) * 2 }
        return ratio >= 1 ? (even(Double(short) * ratio), short) : (short, even(Double(short) / ratio))
    }
}
