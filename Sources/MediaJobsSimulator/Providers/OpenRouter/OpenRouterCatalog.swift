/// The models the simulated OpenRouter serves, per endpoint, with what each video model supports.
enum OpenRouterCatalog {
    static let speech: Set = [
        "openai/gpt-4o-mini-tts-2025-12-15", "openai/gpt-4o-mini-tts", "mistralai/voxtral-mini-tts-2603",
        "google/gemini-2.5-flash-preview-tts",
    ]
    /// Dollars per input character.
    static let speechPricePerCharacter = 0.000015

    static let transcription: Set = [
        "openai/whisper-large-v3", "openai/whisper-1", "openai/gpt-4o-transcribe", "openai/gpt-4o-mini-transcribe",
        "google/chirp-3", "mistralai/voxtral-mini-transcribe",
    ]
    /// Dollars per second of audio.
    static let transcriptionPricePerSecond = 0.0001

    static let images: [(id: String, name: String, price: Double)] = [
        ("google/gemini-2.5-flash-image", "Google: Nano Banana", 0.039),
        ("bytedance-seed/seedream-4.5", "ByteDance Seed: Seedream 4.5", 0.04),
        ("black-forest-labs/flux.2-pro", "Black Forest Labs: FLUX.2 Pro", 0.05),
        ("openai/gpt-5-image", "OpenAI: GPT-5 Image", 0.04),
    ]

    struct VideoModel {
        var id: String
        var name: String
        var durations: [Int]
        var resolutions: [String]
        var aspectRatios: [String]
        var pricePerSecond: Double
        var generateAudio: Bool
    }

    static let videos: [VideoModel] = [
        VideoModel(id: "google/veo-3.1-lite", name: "Google: Veo 3.1 Lite", durations: [4, 6, 8],
                   resolutions: ["720p", "1080p"], aspectRatios: ["16:9", "9:16"], pricePerSecond: 0.05, generateAudio: true),
        VideoModel(id: "google/veo-3.1", name: "Google: Veo 3.1", durations: [4, 6, 8],
                   resolutions: ["720p", "1080p"], aspectRatios: ["16:9", "9:16"], pricePerSecond: 0.40, generateAudio: true),
        VideoModel(id: "google/veo-3.1-fast", name: "Google: Veo 3.1 Fast", durations: [4, 6, 8],
                   resolutions: ["720p", "1080p"], aspectRatios: ["16:9", "9:16"], pricePerSecond: 0.15, generateAudio: true),
        VideoModel(id: "kwaivgi/kling-v3.0-std", name: "Kling: v3.0 Standard", durations: [5, 10],
                   resolutions: ["720p", "1080p"], aspectRatios: ["16:9", "9:16", "1:1"], pricePerSecond: 0.084,
                   generateAudio: false),
        VideoModel(id: "alibaba/wan-2.6", name: "Alibaba: Wan 2.6", durations: [5, 10],
                   resolutions: ["480p", "720p", "1080p"], aspectRatios: ["16:9", "9:16", "1:1"], pricePerSecond: 0.04,
                   generateAudio: true),
        VideoModel(id: "openai/sora-2-pro", name: "OpenAI: Sora 2 Pro", durations: [4, 8, 12],
                   resolutions: ["720p", "1080p"], aspectRatios: ["16:9", "9:16"], pricePerSecond: 0.30, generateAudio: true),
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
