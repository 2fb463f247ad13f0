import Foundation

/// What a user asks for: one JSON document, whether it comes from CLI flags, an HTTP body,
/// a batch manifest or a file in `Jobs/`.
public struct JobSpec: Sendable, Codable, Equatable {
    public var kind: JobKind
    public var provider: String
    public var model: String?
    /// Routes tried in order after `provider`/`model` on fallback-class errors.
    public var fallbacks: [Route]
    public var input: JobInput
    public var output: OutputSettings
    /// The most this job may cost; checked against the estimate before any provider is called.
    public var maxCostUSD: Money?
    /// Higher runs first; ties run in order of `run_at`.
    public var priority: Int
    /// Submitting the same key again returns the existing job.
    public var idempotencyKey: String?
    public var labels: [String: String]
    public var maxAttempts: Int?
    /// Seconds from submission after which the job fails with `job.timeout` (nil: the kind's default).
    public var deadlineSeconds: Double?
    /// Whether a create request whose outcome is unknown may be sent again, at the risk of paying twice
    /// (nil: no, the job fails naming the risk).
    public var allowDuplicateCharge: Bool?
    /// Whether an identical earlier success may answer this job; nil means the kind's default
    /// (on for tts and transcribe, off for image and video).
    public var cache: Bool?
    /// Not before this time (`run_at`, ISO-8601); nil means as soon as a worker is free.
    public var runAt: Date?
    /// Per-provider settings for this job (OpenRouter's routing preferences), over the configuration's.
    public var providerOptions: ProviderOptions?

    public static let defaultProvider = "local"
    public static let defaultMaxAttempts = 3
    /// The most characters one tts job may carry (a book; a text over its routes' limit is spoken in parts).
    public static let maxTextCharacters = 1_000_000

    public init(
        kind: JobKind, provider: String = JobSpec.defaultProvider, model: String? = nil, fallbacks: [Route] = [],
        input: JobInput = JobInput(), output: OutputSettings = OutputSettings(), maxCostUSD: Money? = nil,
        priority: Int = 0, idempotencyKey: String? = nil, labels: [String: String] = [:], maxAttempts: Int? = nil,
        providerOptions: ProviderOptions? = nil
    ) {
        self.kind = kind
        self.provider = provider
        self.model = model
        self.fallbacks = fallbacks
        self.input = input
        self.output = output
        self.maxCostUSD = maxCostUSD
        self.priority = priority
        self.idempotencyKey = idempotencyKey
        self.labels = labels
        self.maxAttempts = maxAttempts
        self.providerOptions = providerOptions
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, provider, model, fallbacks, input, output
        case maxCostUSD = "max_cost_usd"
        case priority
        case idempotencyKey = "idempotency_key"
        case labels
        case maxAttempts = "max_attempts"
        case deadlineSeconds = "deadline_seconds"
        case allowDuplicateCharge = "allow_duplicate_charge"
        case cache
        case runAt = "run_at"
        case providerOptions = "provider_options"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(JobKind.self, forKey: .kind)
        provider = try c.decodeIfPresent(String.self, forKey: .provider) ?? JobSpec.defaultProvider
        model = try c.decodeIfPresent(String.self, forKey: .model)
        fallbacks = try c.decodeIfPresent([Route].self, forKey: .fallbacks) ?? []
        input = try c.decodeIfPresent(JobInput.self, forKey: .input) ?? JobInput()
        output = try c.decodeIfPresent(OutputSettings.self, forKey: .output) ?? OutputSettings()
        maxCostUSD = try c.decodeIfPresent(Money.self, forKey: .maxCostUSD)
        priority = try c.decodeIfPresent(Int.self, forKey: .priority) ?? 0
        idempotencyKey = try c.decodeIfPresent(String.self, forKey: .idempotencyKey)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts)
        deadlineSeconds = try c.decodeIfPresent(Double.self, forKey: .deadlineSeconds)
        allowDuplicateCharge = try c.decodeIfPresent(Bool.self, forKey: .allowDuplicateCharge)
        cache = try c.decodeIfPresent(Bool.self, forKey: .cache)
        runAt = try JobSpec.decodeTime(c, forKey: .runAt)
        providerOptions = try c.decodeIfPresent(ProviderOptions.self, forKey: .providerOptions)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(provider, forKey: .provider)
        try c.encodeIfPresent(model, forKey: .model)
        if !fallbacks.isEmpty { try c.encode(fallbacks, forKey: .fallbacks) }
        try c.encode(input, forKey: .input)
        try c.encode(output, forKey: .output)
        try c.encodeIfPresent(maxCostUSD, forKey: .maxCostUSD)
        try c.encode(priority, forKey: .priority)
        try c.encodeIfPresent(idempotencyKey, forKey: .idempotencyKey)
        if !labels.isEmpty { try c.encode(labels, forKey: .labels) }
        try c.encodeIfPresent(maxAttempts, forKey: .maxAttempts)
        try c.encodeIfPresent(deadlineSeconds, forKey: .deadlineSeconds)
        try c.encodeIfPresent(allowDuplicateCharge, forKey: .allowDuplicateCharge)
        try c.encodeIfPresent(cache, forKey: .cache)
        try c.encodeIfPresent(runAt.map(JobSpec.formatTime), forKey: .runAt)
        try c.encodeIfPresent(providerOptions, forKey: .providerOptions)
    }

    /// The routes in the order they are tried.
    public var routes: [Route] { [Route(provider: provider, model: model)] + fallbacks }

    /// The output format, or the kind's default.
    public var outputFormat: String { output.format ?? kind.defaultFormat }
}

/// The inputs of a job; which fields apply depends on its kind (see DESIGN.md).
public struct JobInput: Sendable, Codable, Equatable {
    // tts
    public var text: String?
    public var textFile: String?
    public var voice: String?
    public var speed: Double?
    public var instructions: String?
    // transcribe: a path, URL or artifact sha256
    public var audio: String?
    public var language: String?
    public var timestamps: Bool?
    // image and video
    public var prompt: String?
    public var aspectRatio: String?
    public var size: String?
    public var n: Int?
    public var quality: String?
    public var referenceImages: [String]?
    public var durationSeconds: Double?
    public var resolution: String?
    public var firstFrame: String?
    public var lastFrame: String?
    /// For video: whether the video should have sound (`"audio": true` in JSON).
    public var generateAudio: Bool?
    /// Set at submit when an input file was copied into the artifact store: the name the user gave.
    public var sourceName: String?

    public init(
        text: String? = nil, textFile: String? = nil, voice: String? = nil, speed: Double? = nil,
        instructions: String? = nil, audio: String? = nil, language: String? = nil, timestamps: Bool? = nil,
        prompt: String? = nil
    ) {
        self.text = text
        self.textFile = textFile
        self.voice = voice
        self.speed = speed
        self.instructions = instructions
        self.audio = audio
        self.language = language
        self.timestamps = timestamps
        self.prompt = prompt
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case text
        case textFile = "text_file"
        case voice, speed, instructions, audio, language, timestamps, prompt
        case aspectRatio = "aspect_ratio"
        case size, n, quality
        case referenceImages = "reference_images"
        case durationSeconds = "duration_s"
        case resolution
        case firstFrame = "first_frame"
        case lastFrame = "last_frame"
        case sourceName = "source_name"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        textFile = try c.decodeIfPresent(String.self, forKey: .textFile)
        voice = try c.decodeIfPresent(String.self, forKey: .voice)
        speed = try c.decodeIfPresent(Double.self, forKey: .speed)
        instructions = try c.decodeIfPresent(String.self, forKey: .instructions)
        // `audio` is a file for transcription and a yes/no for video.
        if let flag = try? c.decodeIfPresent(Bool.self, forKey: .audio) {
            generateAudio = flag
        } else {
            audio = try c.decodeIfPresent(String.self, forKey: .audio)
        }
        language = try c.decodeIfPresent(String.self, forKey: .language)
        timestamps = try c.decodeIfPresent(Bool.self, forKey: .timestamps)
        prompt = try c.decodeIfPresent(String.self, forKey: .prompt)
        aspectRatio = try c.decodeIfPresent(String.self, forKey: .aspectRatio)
        size = try c.decodeIfPresent(String.self, forKey: .size)
        n = try c.decodeIfPresent(Int.self, forKey: .n)
        quality = try c.decodeIfPresent(String.self, forKey: .quality)
        referenceImages = try c.decodeIfPresent([String].self, forKey: .referenceImages)
        durationSeconds = try c.decodeIfPresent(Double.self, forKey: .durationSeconds)
        resolution = try c.decodeIfPresent(String.self, forKey: .resolution)
        firstFrame = try c.decodeIfPresent(String.self, forKey: .firstFrame)
        lastFrame = try c.decodeIfPresent(String.self, forKey: .lastFrame)
        sourceName = try c.decodeIfPresent(String.self, forKey: .sourceName)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(text, forKey: .text)
        try c.encodeIfPresent(textFile, forKey: .textFile)
        try c.encodeIfPresent(voice, forKey: .voice)
        try c.encodeIfPresent(speed, forKey: .speed)
        try c.encodeIfPresent(instructions, forKey: .instructions)
        if let audio {
            try c.encode(audio, forKey: .audio)
        } else {
            try c.encodeIfPresent(generateAudio, forKey: .audio)
        }
        try c.encodeIfPresent(language, forKey: .language)
        try c.encodeIfPresent(timestamps, forKey: .timestamps)
        try c.encodeIfPresent(prompt, forKey: .prompt)
        try c.encodeIfPresent(aspectRatio, forKey: .aspectRatio)
        try c.encodeIfPresent(size, forKey: .size)
        try c.encodeIfPresent(n, forKey: .n)
        try c.encodeIfPresent(quality, forKey: .quality)
        try c.encodeIfPresent(referenceImages, forKey: .referenceImages)
        try c.encodeIfPresent(durationSeconds, forKey: .durationSeconds)
        try c.encodeIfPresent(resolution, forKey: .resolution)
        try c.encodeIfPresent(firstFrame, forKey: .firstFrame)
        try c.encodeIfPresent(lastFrame, forKey: .lastFrame)
        try c.encodeIfPresent(sourceName, forKey: .sourceName)
    }
}

extension JobInput {
    /// The images the job names, each with its field: `input.first_frame`, `input.last_frame`,
    /// `input.reference_images[i]`. A value is a path, a URL or an artifact sha256.
    public var images: [(field: String, value: String)] {
        var images: [(field: String, value: String)] = []
        if let firstFrame { images.append(("input.first_frame", firstFrame)) }
        if let lastFrame { images.append(("input.last_frame", lastFrame)) }
        for (index, image) in (referenceImages ?? []).enumerated() { images.append(("input.reference_images[\(index)]", image)) }
        return images
    }
}

/// How the result should be delivered.
public struct OutputSettings: Sendable, Codable, Equatable {
    public var format: String?
    public var bitrateKbps: Int?
    public var sampleRate: Int?
    public var channels: Int?
    public var width: Int?
    public var height: Int?
    public var fps: Double?

    public init(
        format: String? = nil, bitrateKbps: Int? = nil, sampleRate: Int? = nil, channels: Int? = nil,
        width: Int? = nil, height: Int? = nil, fps: Double? = nil
    ) {
        self.format = format
        self.bitrateKbps = bitrateKbps
        self.sampleRate = sampleRate
        self.channels = channels
        self.width = width
        self.height = height
        self.fps = fps
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case format
        case bitrateKbps = "bitrate_kbps"
        case sampleRate = "sample_rate"
        case channels, width, height, fps
    }
}
