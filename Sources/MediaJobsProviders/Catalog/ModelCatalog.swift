import Foundation
import MediaJobsCore

/// What a model accepts. Nil means "not limited by us" (the provider may still refuse).
public struct ModelLimits: Sendable, Equatable, Codable {
    public var durations: [Double]?
    public var resolutions: [String]?
    public var aspectRatios: [String]?
    public var sizes: [String]?
    public var voices: [String]?
    /// The largest input file one request may carry (a transcription's upload).
    public var maxUploadBytes: Int64?
    /// The most characters one speech request may carry.
    public var maxCharacters: Int?
    /// The longest recording one transcription request may carry.
    public var maxAudioSeconds: Double?
    public var maxImages: Int?
    /// The frames a video model starts or ends on: `first_frame`, `last_frame` (nil: not known here).
    public var frameImages: [String]?
    /// How many reference images the model takes (0: none; nil: not known here).
    public var maxReferenceImages: Int?

    public init(durations: [Double]? = nil, resolutions: [String]? = nil, aspectRatios: [String]? = nil,
                sizes: [String]? = nil, voices: [String]? = nil, maxUploadBytes: Int64? = nil, maxCharacters: Int? = nil,
                maxAudioSeconds: Double? = nil, maxImages: Int? = nil, frameImages: [String]? = nil,
                maxReferenceImages: Int? = nil) {
        self.durations = durations
        self.resolutions = resolutions
        self.aspectRatios = aspectRatios
        self.sizes = sizes
        self.voices = voices
        self.maxUploadBytes = maxUploadBytes
        self.maxCharacters = maxCharacters
        self.maxAudioSeconds = maxAudioSeconds
        self.maxImages = maxImages
        self.frameImages = frameImages
        self.maxReferenceImages = maxReferenceImages
    }

    enum CodingKeys: String, CodingKey {
        case durations, resolutions, sizes, voices
        case aspectRatios = "aspect_ratios"
        case maxUploadBytes = "max_upload_bytes"
        case maxCharacters = "max_characters"
        case maxAudioSeconds = "max_audio_seconds"
        case maxImages = "max_images"
        case frameImages = "frame_images"
        case maxReferenceImages = "max_reference_images"
    }
}

/// The models MediaJobs knows, with prices and limits: a source of defaults and checks, not a whitelist.
///
/// The built-in table (kept in the repo) is overlaid by what `mediajobs models --refresh` read from the providers'
/// listings (`catalog.json` in the home folder), which is overlaid by the user's own entries in `config.json`
/// (`catalog.models`). A model none of them knows still runs, with no limit checks and an unknown price.
public struct ModelCatalog: Sendable {
    public var models: [CatalogModel]

    public init(models: [CatalogModel]) {
        self.models = models
    }

    public static let builtIn = ModelCatalog(models: ModelCatalog.table.map { model in
        var model = model
        model.origin = "built-in"
        return model
    })
    /// The file in the home folder that `mediajobs models --refresh` writes.
    public static let refreshedFileName = "catalog.json"

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

    /// Checks a job against its model's limits. Throws naming the field and what the model accepts. A model the
    /// catalog does not know is not checked: the provider is the judge of what it serves.
    public func check(_ spec: JobSpec, provider: String, model id: String) throws {
        guard let model = model(provider: provider, id: id) else { return }
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

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
