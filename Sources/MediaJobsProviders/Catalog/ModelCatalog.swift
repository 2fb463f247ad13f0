import Foundation
import MediaJobsCore

/// What one model costs per unit, and where that price was read.
public struct ModelPrice: Sendable, Equatable, Codable {
    /// The billed unit: `characters`, `audio_seconds`, `images`, `video_seconds`, `tokens`, `predict_seconds`.
    public var unit: String
    /// US dollars per one `unit`, as a decimal string (never a binary float).
    public var usdPerUnit: String
    /// Applies only to this variant (`1080p`, `audio`, `high`); nil for every variant.
    public var variant: String?
    /// Where the price was read (a document key from reference/providers.md, or a URL).
    public var source: String
    /// The day the price was read (YYYY-MM-DD).
    public var date: String

    public init(unit: String, usdPerUnit: String, variant: String? = nil, source: String, date: String) {
        self.unit = unit
        self.usdPerUnit = usdPerUnit
        self.variant = variant
        self.source = source
        self.date = date
    }

    enum CodingKeys: String, CodingKey {
        case unit, variant, source, date
        case usdPerUnit = "usd_per_unit"
    }

    /// The price as an exact decimal; nil when the text is not a decimal number.
    public var perUnit: Decimal? { Decimal(string: usdPerUnit, locale: Locale(identifier: "en_US_POSIX")) }

    /// `quantity` of this price's unit, as a price line.
    public func line(_ quantity: Decimal) -> PriceLine {
        PriceLine(unit: unit, quantity: quantity, usdPerUnit: perUnit, variant: variant, source: "\(source), \(date)")
    }
}

/// What a model accepts. Nil means "not limited by us" (the provider may still refuse).
public struct ModelLimits: Sendable, Equatable, Codable {
    public var durations: [Double]?
    public var resolutions: [String]?
    public var aspectRatios: [String]?
    public var sizes: [String]?
    public var voices: [String]?
    public var maxUploadBytes: Int64?
    public var maxCharacters: Int?
    public var maxImages: Int?
    /// The frames a video model starts or ends on: `first_frame`, `last_frame` (nil: not known here).
    public var frameImages: [String]?
    /// How many reference images the model takes (0: none; nil: not known here).
    public var maxReferenceImages: Int?

    public init(durations: [Double]? = nil, resolutions: [String]? = nil, aspectRatios: [String]? = nil,
                sizes: [String]? = nil, voices: [String]? = nil, maxUploadBytes: Int64? = nil, maxCharacters: Int? = nil,
                maxImages: Int? = nil, frameImages: [String]? = nil, maxReferenceImages: Int? = nil) {
        self.durations = durations
        self.resolutions = resolutions
        self.aspectRatios = aspectRatios
        self.sizes = sizes
        self.voices = voices
        self.maxUploadBytes = maxUploadBytes
        self.maxCharacters = maxCharacters
        self.maxImages = maxImages
        self.frameImages = frameImages
        self.maxReferenceImages = maxReferenceImages
    }

    enum CodingKeys: String, CodingKey {
        case durations, resolutions, sizes, voices
        case aspectRatios = "aspect_ratios"
        case maxUploadBytes = "max_upload_bytes"
        case maxCharacters = "max_characters"
        case maxImages = "max_images"
        case frameImages = "frame_images"
        case maxReferenceImages = "max_reference_images"
    }
}

/// One model of one provider in the catalog.
public struct CatalogModel: Sendable, Equatable, Codable {
    public var provider: String
    public var id: String
    public var kinds: [JobKind]
    public var prices: [ModelPrice]
    public var limits: ModelLimits
    /// The version a community model is run by (Replicate `openai/whisper`: its 64-hex version id); nil for a
    /// model run by name.
    public var version: String?
    /// The model (endpoint) that serves this model's jobs when they give a first frame: fal
    /// `fal-ai/veo3/fast/image-to-video` for `fal-ai/veo3/fast`, Replicate `wan-video/wan-2.2-i2v-fast`.
    public var firstFrameModel: String?

    public init(provider: String, id: String, kinds: [JobKind], prices: [ModelPrice], limits: ModelLimits = ModelLimits(),
                version: String? = nil, firstFrameModel: String? = nil) {
        self.provider = provider
        self.id = id
        self.kinds = kinds
        self.prices = prices
        self.limits = limits
        self.version = version
        self.firstFrameModel = firstFrameModel
    }

    enum CodingKeys: String, CodingKey {
        case provider, id, kinds, prices, limits, version
        case firstFrameModel = "first_frame_model"
    }

    /// The price for `unit`, preferring the one for `variant`.
    public func price(unit: String, variant: String? = nil) -> ModelPrice? {
        if let variant, let exact = prices.first(where: { $0.unit == unit && $0.variant == variant }) { return exact }
        return prices.first { $0.unit == unit && $0.variant == nil }
    }
}

/// The models MediaJobs knows, with prices and limits: the table below, kept in the repo, plus whatever
/// `mediajobs models --refresh` wrote to the home folder (`catalog.json`), which takes precedence.
public struct ModelCatalog: Sendable {
    public var models: [CatalogModel]

    public init(models: [CatalogModel]) {
        self.models = models
    }

    public static let builtIn = ModelCatalog(models: ModelCatalog.table)
    /// The file in the home folder that `mediajobs models --refresh` writes.
    public static let refreshedFileName = "catalog.json"

    /// The built-in catalog overlaid with `file` (models there replace those with the same provider and id).
    public static func load(overlay file: URL?) throws -> ModelCatalog {
        guard let file, FileManager.default.fileExists(atPath: file.path) else { return builtIn }
        let data = try Data(contentsOf: file)
        let refreshed: [CatalogModel]
        do {
            refreshed = try JSONDecoder().decode([CatalogModel].self, from: data)
        } catch {
            throw MediaJobsError(.invalidInput, "\(file.path): not a model catalog (\(error))", underlying: error)
        }
        var models = builtIn.models.filter { model in
            !refreshed.contains { $0.provider == model.provider && $0.id == model.id }
        }
        models.append(contentsOf: refreshed)
        return ModelCatalog(models: models)
    }

    public func model(provider: String, id: String) -> CatalogModel? {
        models.first { $0.provider == provider && $0.id == id }
    }

    public func models(provider: String? = nil, kind: JobKind? = nil) -> [CatalogModel] {
        models.filter { (provider == nil || $0.provider == provider) && (kind == nil || $0.kinds.contains(kind!)) }
    }

    /// The first model of `provider` serving `kind`: the default when a job names none.
    public func defaultModel(provider: String, kind: JobKind) -> String? {
        models.first { $0.provider == provider && $0.kinds.contains(kind) }?.id
    }

    /// Checks a job against its model's limits. Throws naming the field and what the model accepts.
    public func check(_ spec: JobSpec, provider: String, model id: String) throws {
        guard let model = model(provider: provider, id: id) else {
            throw MediaJobsError(.providerUnsupported,
                                 "model: '\(provider)' has no model '\(id)' in the catalog (see `mediajobs models --provider \(provider)`)")
        }
        guard model.kinds.contains(spec.kind) else {
            throw MediaJobsError(.providerUnsupported,
                                 "model: '\(provider)/\(id)' makes \(model.kinds.map(\.rawValue).joined(separator: ", ")), not \(spec.kind)")
        }
        let limits = model.limits
        let input = spec.input
        func refuse(_ field: String, _ value: String, _ allowed: [String]) -> MediaJobsError {
            MediaJobsError(.invalidInput,
                           "\(field): \(provider)/\(id) does not accept '\(value)' (it accepts \(allowed.joined(separator: ", ")))")
        }
        if let voice = input.voice, let voices = limits.voices, !voices.contains(voice) {
            throw refuse("input.voice", voice, voices)
        }
        if let text = input.text, let max = limits.maxCharacters, text.count > max {
            throw MediaJobsError(.invalidInput, "input.text: \(text.count) characters is over \(provider)/\(id)'s limit of \(max)")
        }
        if let duration = input.durationSeconds, let durations = limits.durations, !durations.contains(duration) {
            throw refuse("input.duration_s", ModelCatalog.format(duration), durations.map(ModelCatalog.format))
        }
        if let resolution = input.resolution, let resolutions = limits.resolutions, !resolutions.contains(resolution) {
            throw refuse("input.resolution", resolution, resolutions)
        }
        if let ratio = input.aspectRatio, let ratios = limits.aspectRatios, !ratios.contains(ratio) {
            throw refuse("input.aspect_ratio", ratio, ratios)
        }
        if let size = input.size, let sizes = limits.sizes, !sizes.contains(size) {
            throw refuse("input.size", size, sizes)
        }
        if let n = input.n, let max = limits.maxImages, n > max || n < 1 {
            throw MediaJobsError(.invalidInput, "input.n: \(provider)/\(id) makes 1 to \(max) images per job, not \(n)")
        }
    }

    /// The units a job will be billed in, as price lines, priced where the catalog knows the price (a line without
    /// a price makes the estimate unknown, never zero).
    public func estimate(_ spec: JobSpec, provider: String, model id: String, audioSeconds: Double? = nil) -> CostEstimate {
        let model = model(provider: provider, id: id)
        var lines: [PriceLine] = []
        func add(_ unit: String, _ quantity: Decimal, variant: String? = nil) {
            if let price = model?.price(unit: unit, variant: variant) {
                lines.append(price.line(quantity))
            } else {
                lines.append(PriceLine(unit: unit, quantity: quantity, usdPerUnit: nil, variant: variant))
            }
        }
        switch spec.kind {
        case .tts:
            add("characters", Decimal(spec.input.text?.count ?? 0))
        case .transcribe:
            if let audioSeconds { add("audio_seconds", Decimal(string: String(format: "%.3f", audioSeconds)) ?? 0) }
        case .image:
            add("images", Decimal(spec.input.n ?? 1), variant: spec.input.quality)
        case .video:
            let seconds = spec.input.durationSeconds ?? model?.limits.durations?.first ?? 5
            let variant = spec.input.generateAudio == true ? "audio" : spec.input.resolution
            add("video_seconds", Decimal(string: ModelCatalog.format(seconds)) ?? 0, variant: variant)
        }
        // A model priced per predict second (Replicate hardware) cannot be known before it runs.
        if model?.prices.contains(where: { $0.unit == "predict_seconds" }) == true {
            lines.append(PriceLine(unit: "predict_seconds", quantity: 0, usdPerUnit: nil))
        }
        return CostEstimate(lines: lines)
    }

    /// What billed `units` cost at the model's prices, as price lines; nil unless some unit has a price. Units the
    /// model is not priced in (tokens beside seconds) are kept as usage, not priced.
    public func price(_ units: [String: Decimal], spec: JobSpec, provider: String, model id: String) -> CostEstimate? {
        guard let model = model(provider: provider, id: id), !units.isEmpty else { return nil }
        let variant: String? = switch spec.kind {
        case .image: spec.input.quality
        case .video: spec.input.generateAudio == true ? "audio" : spec.input.resolution
        default: nil
        }
        let lines = units.sorted { $0.key < $1.key }.compactMap { unit, quantity in
            model.price(unit: unit, variant: variant)?.line(quantity)
        }
        return lines.isEmpty ? nil : CostEstimate(lines: lines)
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
