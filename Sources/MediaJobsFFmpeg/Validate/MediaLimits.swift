import MediaJobsCore

/// The `media` section of `config.json`: what validation refuses and how strict it is.
///
/// ```json
/// "media": { "max_width": 4096, "max_duration_s": 3600, "silence_threshold_db": -60 }
/// ```
public struct MediaLimits: ConfigurationSection, Codable, Equatable {
    public static let sectionName = "media"
    public static let fieldNames: Set<String> = [
        "max_width", "max_height", "max_pixels", "max_duration_s", "max_decode_errors",
        "duration_tolerance_s", "duration_tolerance_fraction", "frame_rate_tolerance",
        "silence_threshold_db", "black_pixel_threshold", "black_picture_ratio", "freeze_noise_db",
        "flat_image_tolerance", "speech_min_chars_per_second", "speech_max_chars_per_second",
        "speech_min_text_characters", "truncation_tolerance_fraction",
    ]
    public static let defaults = MediaLimits()

    /// Pictures wider, taller or with more pixels than these are refused before any decoding (a
    /// decompression bomb declares a huge size in a small file).
    public var maxWidth: Int = 8192
    public var maxHeight: Int = 8192
    public var maxPixels: Int = 8192 * 4352
    /// Media longer than this (by its header) is refused before decoding.
    public var maxDurationS: Double = 4 * 3600
    /// Decode errors tolerated before a file is called corrupt (0: any error refuses it).
    public var maxDecodeErrors: Int = 0
    /// An expected duration matches within ± the larger of these (0.5 s or 10 %).
    public var durationToleranceS: Double = 0.5
    public var durationToleranceFraction: Double = 0.1
    /// An expected frame rate matches within this fraction.
    public var frameRateTolerance: Double = 0.02
    /// Audio whose loudest sample is below this (dBFS) from start to end is silence.
    public var silenceThresholdDb: Double = -60
    /// `blackdetect`: a pixel darker than this (0–1 of the luma range) is black…
    public var blackPixelThreshold: Double = 0.1
    /// …and a picture with at least this fraction of black pixels is black.
    public var blackPictureRatio: Double = 0.98
    /// `freezedetect`: frames that differ by less than this (dB of mean absolute difference) are the same.
    public var freezeNoiseDb: Double = -60
    /// An image whose every colour channel spans at most this many levels (of 255) is one flat colour.
    public var flatImageTolerance: Int = 2
    /// Speech made from text speaks between these many characters per second. Calibrated on the
    /// local flite voices (see docs/BENCHMARKS.md): 14–19 characters per second for sentences.
    public var speechMinCharsPerSecond: Double = 6
    public var speechMaxCharsPerSecond: Double = 30
    /// Texts shorter than this are not checked (a single word is mostly the voice's lead-in).
    public var speechMinTextCharacters: Int = 20
    /// A file whose decoded length falls short of its header's by more than this fraction (and 0.5 s) is truncated.
    public var truncationToleranceFraction: Double = 0.05

    public init() {}

    enum CodingKeys: String, CodingKey {
        case maxWidth, maxHeight, maxPixels, maxDurationS, maxDecodeErrors, durationToleranceS,
            durationToleranceFraction, frameRateTolerance, silenceThresholdDb, blackPixelThreshold,
            blackPictureRatio, freezeNoiseDb, flatImageTolerance, speechMinCharsPerSecond, speechMaxCharsPerSecond,
            speechMinTextCharacters, truncationToleranceFraction
    }

    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = MediaLimits()
        maxWidth = try c.decodeIfPresent(Int.self, forKey: .maxWidth) ?? d.maxWidth
        maxHeight = try c.decodeIfPresent(Int.self, forKey: .maxHeight) ?? d.maxHeight
        maxPixels = try c.decodeIfPresent(Int.self, forKey: .maxPixels) ?? d.maxPixels
        maxDurationS = try c.decodeIfPresent(Double.self, forKey: .maxDurationS) ?? d.maxDurationS
        maxDecodeErrors = try c.decodeIfPresent(Int.self, forKey: .maxDecodeErrors) ?? d.maxDecodeErrors
        durationToleranceS = try c.decodeIfPresent(Double.self, forKey: .durationToleranceS) ?? d.durationToleranceS
        durationToleranceFraction =
            try c.decodeIfPresent(Double.self, forKey: .durationToleranceFraction) ?? d.durationToleranceFraction
        frameRateTolerance = try c.decodeIfPresent(Double.self, forKey: .frameRateTolerance) ?? d.frameRateTolerance
        silenceThresholdDb = try c.decodeIfPresent(Double.self, forKey: .silenceThresholdDb) ?? d.silenceThresholdDb
        blackPixelThreshold = try c.decodeIfPresent(Double.self, forKey: .blackPixelThreshold) ?? d.blackPixelThreshold
        blackPictureRatio = try c.decodeIfPresent(Double.self, forKey: .blackPictureRatio) ?? d.blackPictureRatio
        freezeNoiseDb = try c.decodeIfPresent(Double.self, forKey: .freezeNoiseDb) ?? d.freezeNoiseDb
        flatImageTolerance = try c.decodeIfPresent(Int.self, forKey: .flatImageTolerance) ?? d.flatImageTolerance
        speechMinCharsPerSecond =
            try c.decodeIfPresent(Double.self, forKey: .speechMinCharsPerSecond) ?? d.speechMinCharsPerSecond
        speechMaxCharsPerSecond =
            try c.decodeIfPresent(Double.self, forKey: .speechMaxCharsPerSecond) ?? d.speechMaxCharsPerSecond
        speechMinTextCharacters =
            try c.decodeIfPresent(Int.self, forKey: .speechMinTextCharacters) ?? d.speechMinTextCharacters
        truncationToleranceFraction =
            try c.decodeIfPresent(Double.self, forKey: .truncationToleranceFraction) ?? d.truncationToleranceFraction
    }

    /// The tolerance around an expected duration: the larger of the absolute and relative ones.
    public func durationTolerance(for expected: Double) -> Double {
        max(durationToleranceS, durationToleranceFraction * expected)
    }
}

extension MediaJobsError.Code {
    /// A zero-length file.
    public static let mediaEmpty = Self("media.empty")
    /// Text (an HTML error page, JSON) saved under a media name.
    public static let mediaNotMedia = Self("media.not_media")
    /// The content's container is not what the file's extension says.
    public static let mediaContainerMismatch = Self("media.container_mismatch")
    /// Larger or longer than the configured limits (refused before decoding).
    public static let mediaTooLarge = Self("media.too_large")
    /// The file ends before its header says it should.
    public static let mediaTruncated = Self("media.truncated")
    /// More decode errors than tolerated.
    public static let mediaCorrupt = Self("media.corrupt")
    /// Not the size, rate, duration or tracks that were asked for.
    public static let mediaMismatch = Self("media.mismatch")
    /// Audio that is silent from start to end.
    public static let mediaSilent = Self("media.silent")
    /// Video that is black from start to end.
    public static let mediaBlack = Self("media.black")
    /// Video whose picture never changes.
    public static let mediaFrozen = Self("media.frozen")
    /// An image of one flat colour.
    public static let mediaFlatImage = Self("media.flat_image")
    /// Speech too short or too long for the text it was made from.
    public static let mediaImplausibleLength = Self("media.implausible_length")
}
