/// The input schemas of the fal and Replicate models the simulator knows, written from each model's API page
/// (fal's "Input Schema" on fal.ai/models/…/api, Replicate's "Input schema" on replicate.com/…/api). A model
/// missing here still runs, with only the common fields type-checked (`falCommon`, `replicateCommon`).
enum ModelSchemas {
    typealias Field = ModelInputSchema.FieldType

    // MARK: fal

    static let fal: [String: ModelInputSchema] = Dictionary(
        uniqueKeysWithValues: [falFluxSchnell, falVeo3Fast, falVeo3FastImageToVideo, falKokoroAmericanEnglish].map { ($0.model, $0) })

    static let falFluxSchnell = ModelInputSchema(
        model: "fal-ai/flux/schnell",
        fields: [
            "prompt": .string, "image_size": .falImageSize, "num_inference_steps": .integer(min: 1, max: 12),
            "seed": .integer(), "sync_mode": .boolean, "num_images": .integer(min: 1, max: 4),
            "enable_safety_checker": .boolean, "output_format": .choice(["jpeg", "png"]),
            "acceleration": .choice(["none", "regular", "high"]),
        ],
        required: ["prompt"])

    static let veo3Durations = ["4s", "6s", "8s"]

    static let falVeo3Fast = ModelInputSchema(
        model: "fal-ai/veo3/fast",
        fields: [
            "prompt": .string, "aspect_ratio": .choice(["16:9", "9:16"]), "duration": .choice(veo3Durations),
            "negative_prompt": .string, "enhance_prompt": .boolean, "seed": .integer(), "auto_fix": .boolean,
            "resolution": .choice(["720p", "1080p"]), "generate_audio": .boolean,
        ],
        required: ["prompt"])

    static let falVeo3FastImageToVideo = ModelInputSchema(
        model: "fal-ai/veo3/fast/image-to-video",
        fields: [
            "prompt": .string, "image_url": .url, "aspect_ratio": .choice(["auto", "16:9", "9:16"]),
            "duration": .choice(veo3Durations), "negative_prompt": .string, "seed": .integer(), "auto_fix": .boolean,
            "resolution": .choice(["720p", "1080p"]), "generate_audio": .boolean,
        ],
        required: ["prompt", "image_url"])

    static let kokoroAmericanVoices = [
        "af_heart", "af_alloy", "af_aoede", "af_bella", "af_jessica", "af_kore", "af_nicole", "af_nova", "af_river",
        "af_sarah", "af_sky", "am_adam", "am_echo", "am_eric", "am_fenrir", "am_liam", "am_michael", "am_onyx",
        "am_puck", "am_santa",
    ]

    static let falKokoroAmericanEnglish = ModelInputSchema(
        model: "fal-ai/kokoro/american-english",
        fields: ["prompt": .string, "voice": .choice(kokoroAmericanVoices), "speed": .number(min: 0.1, max: 5)],
        required: ["prompt"])

    /// Fields most fal models share, type-checked for a model without a schema here; others pass.
    static let falCommon: [String: Field] = [
        "prompt": .string, "negative_prompt": .string, "image_size": .falImageSize, "num_images": .integer(min: 1),
        "seed": .integer(), "image_url": .url, "audio_url": .url, "video_url": .url, "sync_mode": .boolean,
        "enable_safety_checker": .boolean, "generate_audio": .boolean, "text": .string,
    ]

    // MARK: Replicate

    static let replicate: [String: ModelInputSchema] = Dictionary(
        uniqueKeysWithValues: [fluxSchnell, flux11Pro, wanT2VFast, wanI2VFast, whisper].map { ($0.model, $0) })

    static let fluxSchnell = ModelInputSchema(
        model: "black-forest-labs/flux-schnell",
        fields: [
            "prompt": .string,
            "aspect_ratio": .choice(["1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"]),
            "num_outputs": .integer(min: 1, max: 4), "num_inference_steps": .integer(min: 1, max: 4), "seed": .integer(),
            "output_format": .choice(["webp", "jpg", "png"]), "output_quality": .integer(min: 0, max: 100),
            "disable_safety_checker": .boolean, "go_fast": .boolean, "megapixels": .choice(["1", "0.25"]),
        ],
        required: ["prompt"])

    static let flux11Pro = ModelInputSchema(
        model: "black-forest-labs/flux-1.1-pro",
        fields: [
            "prompt": .string,
            "aspect_ratio": .choice(["custom", "1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16", "3:4", "4:3"]),
            "width": .integer(min: 256, max: 1440), "height": .integer(min: 256, max: 1440), "image_prompt": .url,
            "output_format": .choice(["webp", "jpg", "png"]), "output_quality": .integer(min: 0, max: 100),
            "safety_tolerance": .integer(min: 1, max: 6), "prompt_upsampling": .boolean, "seed": .integer(),
        ],
        required: ["prompt"])

    /// What both Wan 2.2 fast models take beside their prompt (and image).
    private static let wanCommon: [String: Field] = [
        "prompt": .string, "resolution": .choice(["480p", "720p"]), "num_frames": .integer(min: 81, max: 121),
        "frames_per_second": .integer(min: 5, max: 30), "go_fast": .boolean, "sample_shift": .number(min: 1, max: 20),
        "seed": .integer(), "disable_safety_checker": .boolean, "interpolate_output": .boolean,
        "lora_weights_transformer": .string, "lora_scale_transformer": .number(),
        "lora_weights_transformer_2": .string, "lora_scale_transformer_2": .number(),
    ]

    static let wanT2VFast = ModelInputSchema(
        model: "wan-video/wan-2.2-t2v-fast",
        fields: wanCommon.merging(["aspect_ratio": .choice(["16:9", "9:16"]), "optimize_prompt": .boolean]) { $1 },
        required: ["prompt"])

    static let wanI2VFast = ModelInputSchema(
        model: "wan-video/wan-2.2-i2v-fast",
        fields: wanCommon.merging(["image": .url, "last_image": .url]) { $1 },
        required: ["prompt", "image"])

    static let whisper = ModelInputSchema(
        model: "openai/whisper",
        fields: [
            "audio": .url, "model": .choice(["large-v3"]), "transcription": .choice(["plain text", "srt", "vtt"]),
            "translate": .boolean, "language": .string, "temperature": .number(min: 0), "patience": .number(),
            "suppress_tokens": .string, "initial_prompt": .string, "condition_on_previous_text": .boolean,
            "temperature_increment_on_fallback": .number(), "compression_ratio_threshold": .number(),
            "logprob_threshold": .number(), "no_speech_threshold": .number(),
        ],
        required: ["audio"])

    /// Fields most Replicate models share, type-checked for a model without a schema here; others pass.
    static let replicateCommon: [String: Field] = [
        "prompt": .string, "negative_prompt": .string, "seed": .integer(), "image": .url, "audio": .url,
        "num_outputs": .integer(min: 1), "aspect_ratio": .string, "output_format": .string,
    ]

    /// Replicate's official models: served by `POST /models/{owner}/{name}/predictions` (no version). A model the
    /// simulator knows that is not here (`openai/whisper`) is a community model: that form answers 404 and it is
    /// run by version. A model the simulator does not know at all is served in either form.
    static let replicateOfficial: Set = [
        "black-forest-labs/flux-schnell", "black-forest-labs/flux-1.1-pro", "black-forest-labs/flux-dev",
        "wan-video/wan-2.2-t2v-fast", "wan-video/wan-2.2-i2v-fast", "minimax/video-01", "google/veo-3-fast",
    ]

    /// Versions of community models the simulator serves, by model. `openai/whisper`'s is the version its
    /// replicate.com API page runs (large-v3); a current one is listed by `GET /v1/models/openai/whisper/versions`
    /// and shown on https://replicate.com/openai/whisper/versions.
    static let replicateVersions: [String: String] = [
        "openai/whisper": "8099696689d249cf8b122d833c36ac3f75505c666a395ca40ef26f68e7d3d16e"
    ]

    /// The community model a version id belongs to.
    static func replicateModel(forVersion version: String) -> String? {
        replicateVersions.first { $0.value == version }?.key
    }

    static func isVersionID(_ text: String) -> Bool {
        text.count == 64 && text.allSatisfy { $0.isHexDigit && ($0.isNumber || $0.isLowercase) }
    }
}
