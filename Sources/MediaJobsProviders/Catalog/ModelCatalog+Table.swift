import MediaJobsCore
import MediaJobsFFmpeg

// The catalog kept in the repo: defaults and limits, not a whitelist. Each price names its source (keys of
// reference/providers.md §0, prices of its §5) and the day that source was read; a figure that is ours, not the
// provider's, says so in its note. `mediajobs models --refresh` adds OpenRouter's listings in the home folder, and
// config.json's `catalog.models` overrides both.
extension ModelCatalog {
    static let openAIVoices = ["alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer",
                               "verse", "marin", "cedar"]
    static let videoAspectRatios = ["16:9", "9:16", "1:1"]
    static let upload25MB: Int64 = 25 * 1024 * 1024

    /// gpt-4o-mini-tts bills its audio output at $12 per 1M audio tokens, about $0.015 a minute (§5): priced here per
    /// second of the audio returned, which is measured.
    static func miniTTSPrices(source: String, date: String) -> [ModelPrice] {
        [ModelPrice(unit: "characters", usdPerUnit: "0.0000006", source: "\(source) ($0.60 per 1M input characters)",
                    date: date),
         ModelPrice(unit: "output_audio_seconds", usdPerUnit: "0.00025",
                    source: "\(source) ($12 per 1M audio output tokens, about $0.015 a minute)", date: date,
                    note: "taken as $0.015 a minute of the audio returned")]
    }

    /// OpenAI gpt-image-1 per image, by quality and size (§5, FAL-GPTIMG): 1024x1024, else the larger sizes. `auto`
    /// (the API's default for both) is priced as the most it can cost, high quality at a larger size, until the
    /// answer says which quality and size were used.
    static func gptImagePrices() -> [ModelPrice] {
        let square = ["1024x1024"]
        let larger = ["1536x1024", "1024x1536", "auto"]
        func image(_ usd: String, _ quality: [String], _ size: [String]) -> ModelPrice {
            ModelPrice(unit: "images", usdPerUnit: usd, when: ["quality": quality, "size": size],
                       source: "FAL-GPTIMG (gpt-image-1 per image by quality and size)", date: "2026-08-02")
        }
        return [image("0.011", ["low"], square), image("0.042", ["medium"], square), image("0.167", ["high", "auto"], square),
                image("0.016", ["low"], larger), image("0.063", ["medium"], larger), image("0.25", ["high", "auto"], larger),
                ModelPrice(unit: "input_text_tokens", usdPerUnit: "0.000002", source: "FAL-GPTIMG ($0.002 per 1K input text tokens)",
                           date: "2026-08-02")]
    }

    static let table: [CatalogModel] = [
        // OpenRouter
        CatalogModel(
            provider: "openrouter", id: "openai/gpt-4o-mini-tts", kinds: [.tts],
            prices: miniTTSPrices(source: "OAI-COMM-TTS", date: "2026-08-21"),
            limits: ModelLimits(voices: openAIVoices, maxCharacters: 4096)),
        CatalogModel(
            provider: "openrouter", id: "openai/whisper-large-v3", kinds: [.transcribe],
            prices: [ModelPrice(unit: "audio_seconds", usdPerUnit: "0.0001", source: "OR-STT (priced per second of audio input)",
                                date: "2026-08-22",
                                note: "OR-STT gives no figure: taken as OpenAI whisper-1's $0.006 a minute (3P tables)")],
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
            prices: [ModelPrice(unit: "images", usdPerUnit: "0.04", source: "OR-IMG (response example cost $0.04)",
                                date: "2026-08-22", note: "an example's cost, taken as this model's price per image")],
            limits: ModelLimits(aspectRatios: ["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9"], maxImages: 1,
                                maxReferenceImages: 16)),
        CatalogModel(
            provider: "openrouter", id: "google/veo-3.1-lite", kinds: [.video],
            prices: [ModelPrice(unit: "video_seconds", usdPerUnit: "0.50", source: "OR-VID (pricing_skus per-video-second example)",
                                date: "2026-08-22", note: "the guide's example SKU, not a veo-3.1-lite figure"),
                     ModelPrice(unit: "video_seconds", usdPerUnit: "0.75", when: ["resolution": ["1080p"]],
                                source: "OR-VID (pricing_skus per-video-second-1080p example)", date: "2026-08-22",
                                note: "the guide's example SKU, not a veo-3.1-lite figure")],
            limits: ModelLimits(durations: [4, 6, 8], resolutions: ["720p", "1080p"], aspectRatios: videoAspectRatios,
                                frameImages: ["first_frame", "last_frame"])),
        CatalogModel(
            provider: "openrouter", id: "alibaba/wan-2.6", kinds: [.video],
            prices: [ModelPrice(unit: "video_seconds", usdPerUnit: "0.04",
                                source: "OR-CB-VID (lowest advertised price; AF-464: $0.04/s)", date: "2026-08-22")],
            limits: ModelLimits(durations: [5, 10], resolutions: ["480p", "720p", "1080p"], aspectRatios: videoAspectRatios)),

        // OpenAI
        CatalogModel(
            provider: "openai", id: "gpt-4o-mini-tts", kinds: [.tts],
            prices: miniTTSPrices(source: "OAI-COMM-TTS", date: "2026-08-21"),
            limits: ModelLimits(voices: openAIVoices, maxCharacters: 4096)),
        CatalogModel(
            provider: "openai", id: "tts-1", kinds: [.tts],
            prices: [ModelPrice(unit: "characters", usdPerUnit: "0.000015", source: "3P price tables ($15/1M chars)",
                                date: "2026-08-21")],
            limits: ModelLimits(voices: openAIVoices, maxCharacters: 4096)),
        CatalogModel(
            provider: "openai", id: "tts-1-hd", kinds: [.tts],
            prices: [ModelPrice(unit: "characters", usdPerUnit: "0.00003", source: "3P price tables ($30/1M chars)",
                                date: "2026-08-21")],
            limits: ModelLimits(voices: openAIVoices, maxCharacters: 4096)),
        CatalogModel(
            provider: "openai", id: "whisper-1", kinds: [.transcribe],
            prices: [ModelPrice(unit: "audio_seconds", usdPerUnit: "0.0001", source: "3P price tables ($0.006/min)",
                                date: "2026-08-21")],
            limits: ModelLimits(maxUploadBytes: upload25MB)),
        CatalogModel(
            provider: "openai", id: "gpt-image-1", kinds: [.image],
            prices: gptImagePrices(),
            limits: ModelLimits(sizes: ["auto", "1024x1024", "1536x1024", "1024x1536"], maxImages: 10, maxReferenceImages: 16),
            defaults: ["quality": "auto", "size": "auto"]),

        // fal
        CatalogModel(
            provider: "fal", id: "fal-ai/flux/schnell", kinds: [.image],
            prices: [ModelPrice(unit: "images", usdPerUnit: "0.003", source: "REP-PRICE-3P (flux-schnell $3 per 1000 images)",
                                date: "2026-10-07", note: "fal's own figure is not in providers.md: taken as Replicate's")],
            limits: ModelLimits(maxImages: 4, maxReferenceImages: 0)),
        CatalogModel(
            provider: "fal", id: "fal-ai/veo3/fast", kinds: [.video],
            prices: [ModelPrice(unit: "video_seconds", usdPerUnit: "0.10", when: ["audio": ["off"]], source: "FAL-VEO3F (audio off)",
                                date: "2026-08-02"),
                     ModelPrice(unit: "video_seconds", usdPerUnit: "0.15", when: ["audio": ["on"]],
                                source: "FAL-VEO3F (audio on; 5 s with audio = $0.75)", date: "2026-08-02")],
            // fal's model page: "4s", "6s" or "8s"; 16:9 or 9:16.
            limits: ModelLimits(durations: [4, 6, 8], resolutions: ["720p", "1080p"], aspectRatios: ["16:9", "9:16"],
                                frameImages: ["first_frame"], maxReferenceImages: 0),
            // fal makes sound unless the job says `"audio": false` (sent as generate_audio).
            defaults: ["audio": "on", "duration_s": "8"],
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
            prices: [ModelPrice(unit: "predict_seconds", usdPerUnit: "0.001400", source: "REP-PRICE-3P (A100-80GB per second)",
                                date: "2026-10-07")],
            limits: ModelLimits(resolutions: ["480p", "720p"], aspectRatios: ["16:9", "9:16"], frameImages: ["first_frame"],
                                maxReferenceImages: 0),
            // Ours, not Replicate's: what a budget is checked against until predict_time is reported.
            typical: ["predict_seconds": "60"],
            firstFrameModel: "wan-video/wan-2.2-i2v-fast"),
        CatalogModel(
            provider: "replicate", id: "openai/whisper", kinds: [.transcribe],
            prices: [ModelPrice(unit: "predict_seconds", usdPerUnit: "0.000225", source: "REP-PRICE-3P (T4 per second)",
                                date: "2026-10-07")],
            limits: ModelLimits(maxUploadBytes: 100 * 1024 * 1024),
            // Ours, not Replicate's: what a budget is checked against until predict_time is reported.
            typical: ["predict_seconds": "30"],
            // A community model: run by version (`POST /predictions`), not by name.
            version: "8099696689d249cf8b122d833c36ac3f75505c666a395ca40ef26f68e7d3d16e"),
        // Local: free, and limited only by this machine. The limits are ours: a longer input is split into parts that
        // run side by side on the workers' slots (set them lower in config.json to split sooner).
        CatalogModel(
            provider: "local", id: "flite", kinds: [.tts],
            prices: [ModelPrice(unit: "characters", usdPerUnit: "0", source: "local (runs on this machine)", date: "2026-12-03")],
            limits: ModelLimits(voices: MediaEngine.fliteVoices, maxCharacters: 20_000)),
        CatalogModel(
            provider: "local", id: "pocketsphinx", kinds: [.transcribe],
            prices: [ModelPrice(unit: "audio_seconds", usdPerUnit: "0", source: "local (runs on this machine)",
                                date: "2026-12-03")],
            limits: ModelLimits(maxAudioSeconds: 1_800)),
    ]
}
