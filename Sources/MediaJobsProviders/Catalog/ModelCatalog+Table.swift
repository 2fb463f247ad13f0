import MediaJobsCore

// The catalog kept in the repo. Each price names its source (keys of reference/providers.md §0) and the
// day it was read; `mediajobs models --refresh` updates OpenRouter's image and video models in the home folder.
extension ModelCatalog {
    static let openAIVoices = ["alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer",
                               "verse", "marin", "cedar"]
    static let videoAspectRatios = ["16:9", "9:16", "1:1"]
    static let upload25MB: Int64 = 25 * 1024 * 1024

    static let table: [CatalogModel] = [
        // OpenRouter
        CatalogModel(
            provider: "openrouter", id: "openai/gpt-4o-mini-tts", kinds: [.tts],
            prices: [ModelPrice(unit: "characters", usdPerUnit: "0.0000006", source: "OAI-COMM-TTS (input characters)",
                                date: "2026-08-22")],
            limits: ModelLimits(voices: openAIVoices, maxCharacters: 4096)),
        CatalogModel(
            provider: "openrouter", id: "openai/whisper-large-v3", kinds: [.transcribe],
            prices: [ModelPrice(unit: "audio_seconds", usdPerUnit: "0.0001", source: "OR-STT (whisper, per second)",
                                date: "2026-08-22")],
            limits: ModelLimits(maxUploadBytes: upload25MB)),
        CatalogModel(
            provider: "openrouter", id: "google/chirp-3", kinds: [.transcribe],
            prices: [ModelPrice(unit: "audio_seconds", usdPerUnit: "0.00026665", source: "OR-SK-STT (20 s = $0.005333)",
                                date: "2026-07-10")],
            limits: ModelLimits(maxUploadBytes: upload25MB)),
        CatalogModel(
            provider: "openrouter", id: "bytedance-seed/seedream-4.5", kinds: [.image],
            prices: [ModelPrice(unit: "images", usdPerUnit: "0.05", source: "OR-IMG (output_image line)", date: "2026-08-22")],
            limits: ModelLimits(aspectRatios: ["1:1", "16:9", "9:16", "4:3", "3:4"], maxImages: 10, maxReferenceImages: 16)),
        CatalogModel(
            provider: "openrouter", id: "google/gemini-2.5-flash-image", kinds: [.image],
            prices: [ModelPrice(unit: "images", usdPerUnit: "0.04", source: "OR-IMG-OLD (response example cost)",
                                date: "2026-06-16")],
            limits: ModelLimits(aspectRatios: ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9"], maxImages: 1,
                                maxReferenceImages: 16)),
        CatalogModel(
            provider: "openrouter", id: "google/veo-3.1-lite", kinds: [.video],
            prices: [ModelPrice(unit: "video_seconds", usdPerUnit: "0.50", source: "OR-VID (per-video-second example)",
                                date: "2026-08-22"),
                     ModelPrice(unit: "video_seconds", usdPerUnit: "0.75", variant: "1080p",
                                source: "OR-VID (per-video-second-1080p example)", date: "2026-08-22")],
            limits: ModelLimits(durations: [4, 6, 8], resolutions: ["720p", "1080p"], aspectRatios: videoAspectRatios,
                                frameImages: ["first_frame", "last_frame"])),
        CatalogModel(
            provider: "openrouter", id: "alibaba/wan-2.6", kinds: [.video],
            prices: [ModelPrice(unit: "video_seconds", usdPerUnit: "0.04", source: "OR-CB-VID (lowest advertised)",
                                date: "2026-08-22")],
            limits: ModelLimits(durations: [5, 10], resolutions: ["480p", "720p", "1080p"], aspectRatios: videoAspectRatios)),

        // OpenAI
        CatalogModel(
            provider: "openai", id: "gpt-4o-mini-tts", kinds: [.tts],
            prices: [ModelPrice(unit: "characters", usdPerUnit: "0.0000006", source: "OAI-COMM-TTS", date: "2026-08-21")],
            limits: ModelLimits(voices: openAIVoices, maxCharacters: 4096)),
        CatalogModel(
            provider: "openai", id: "tts-1", kinds: [.tts],
            prices: [ModelPrice(unit: "characters", usdPerUnit: "0.000015", source: "3P price tables ($15/1M chars)",
                                date: "2026-08-21")],
            limits: ModelLimits(voices: openAIVoices, maxCharacters: 4096)),
        CatalogModel(
            provider: "openai", id: "whisper-1", kinds: [.transcribe],
            prices: [ModelPrice(unit: "audio_seconds", usdPerUnit: "0.0001", source: "3P price tables ($0.006/min)",
                                date: "2026-08-21")],
            limits: ModelLimits(maxUploadBytes: upload25MB)),
        CatalogModel(
            provider: "openai", id: "gpt-image-1", kinds: [.image],
            prices: [ModelPrice(unit: "images", usdPerUnit: "0.042", source: "FAL-GPTIMG (medium, 1024²)", date: "2026-08-02"),
                     ModelPrice(unit: "images", usdPerUnit: "0.011", variant: "low", source: "FAL-GPTIMG", date: "2026-08-02"),
                     ModelPrice(unit: "images", usdPerUnit: "0.167", variant: "high", source: "FAL-GPTIMG", date: "2026-08-02")],
            limits: ModelLimits(sizes: ["auto", "1024x1024", "1536x1024", "1024x1536"], maxImages: 10, maxReferenceImages: 16)),

        // fal
        CatalogModel(
            provider: "fal", id: "fal-ai/flux/schnell", kinds: [.image],
            prices: [ModelPrice(unit: "images", usdPerUnit: "0.003", source: "REP-PRICE-3P (flux-schnell class)",
                                date: "2026-10-07")],
            limits: ModelLimits(maxImages: 4, maxReferenceImages: 0)),
        CatalogModel(
            provider: "fal", id: "fal-ai/veo3/fast", kinds: [.video],
            prices: [ModelPrice(unit: "video_seconds", usdPerUnit: "0.10", source: "FAL-VEO3F (audio off)", date: "2026-08-02"),
                     ModelPrice(unit: "video_seconds", usdPerUnit: "0.15", variant: "audio", source: "FAL-VEO3F (audio on)",
                                date: "2026-08-02")],
            limits: ModelLimits(durations: [8], resolutions: ["720p", "1080p"], aspectRatios: videoAspectRatios,
                                frameImages: ["first_frame"], maxReferenceImages: 0),
            firstFrameModel: "fal-ai/veo3/fast/image-to-video"),
        CatalogModel(
            provider: "fal", id: "fal-ai/kokoro/american-english", kinds: [.tts],
            prices: [ModelPrice(unit: "characters", usdPerUnit: "0.00002", source: "3P inference.sh ($0.02/1K chars)",
                                date: "2026-08-02")],
            limits: ModelLimits(maxCharacters: 5000)),

        // Replicate
        CatalogModel(
            provider: "replicate", id: "black-forest-labs/flux-schnell", kinds: [.image],
            prices: [ModelPrice(unit: "images", usdPerUnit: "0.003", source: "REP-PRICE-3P", date: "2026-10-07")],
            limits: ModelLimits(aspectRatios: ["1:1", "16:9", "9:16", "4:3", "3:4"], maxImages: 4, maxReferenceImages: 0)),
        CatalogModel(
            provider: "replicate", id: "black-forest-labs/flux-1.1-pro", kinds: [.image],
            prices: [ModelPrice(unit: "images", usdPerUnit: "0.04", source: "REP-PRICE-3P", date: "2026-10-07")],
            limits: ModelLimits(aspectRatios: ["1:1", "16:9", "9:16", "4:3", "3:4"], maxImages: 1, maxReferenceImages: 0)),
        CatalogModel(
            provider: "replicate", id: "wan-video/wan-2.2-t2v-fast", kinds: [.video],
            prices: [ModelPrice(unit: "predict_seconds", usdPerUnit: "0.001400", source: "REP-PRICE-3P (A100-80GB)",
                                date: "2026-10-07")],
            limits: ModelLimits(resolutions: ["480p", "720p"], aspectRatios: ["16:9", "9:16"], frameImages: ["first_frame"],
                                maxReferenceImages: 0),
            firstFrameModel: "wan-video/wan-2.2-i2v-fast"),
        CatalogModel(
            provider: "replicate", id: "openai/whisper", kinds: [.transcribe],
            prices: [ModelPrice(unit: "predict_seconds", usdPerUnit: "0.000225", source: "REP-PRICE-3P (T4)", date: "2026-10-07")],
            limits: ModelLimits(maxUploadBytes: 100 * 1024 * 1024),
            // A community model: run by version (`POST /predictions`), not by name.
            version: "8099696689d249cf8b122d833c36ac3f75505c666a395ca40ef26f68e7d3d16e"),
    ]
}
