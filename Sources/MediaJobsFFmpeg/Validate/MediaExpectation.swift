import MediaJobsCore

/// What a caller expects a media file to be; `validate` checks the file against it.
///
/// Every field but `kind` is optional: nil means "not checked". `MediaExpectation(for:)` in the
/// worker builds one from a job spec (the requested duration, size, frame rate, audio, text).
public struct MediaExpectation: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// At least one audio stream.
        case audio
        /// At least one video stream that is not cover art.
        case video
        /// A still picture: a video stream of one frame; duration is not checked.
        case image
        /// Any audio or video.
        case any
    }

    public var kind: Kind
    public var minDurationSeconds: Double?
    public var maxDurationSeconds: Double?
    /// Decode errors tolerated before the file is refused; nil uses `MediaLimits.maxDecodeErrors`.
    public var maxDecodeErrors: Int?
    /// The duration asked for; the file must be within ± the larger of 0.5 s or 10 % (`MediaLimits`).
    public var durationSeconds: Double?
    /// The picture size asked for.
    public var width: Int?
    public var height: Int?
    /// The frame rate asked for.
    public var frameRate: Double?
    /// true: a video must have a sound track; false: it must not; nil: not checked.
    public var audioTrack: Bool?
    /// The characters of the text the speech was made from (tts), to check its length is plausible.
    public var spokenCharacters: Int?
    /// The container expected ("mp4", "webm", "png", "mp3"); checked against what FFmpeg found.
    public var format: String?
    /// Whether to look at the content (silence, black, frozen, flat colour); true by default.
    public var checkContent: Bool

    public init(
        kind: Kind = .any, minDurationSeconds: Double? = nil, maxDurationSeconds: Double? = nil,
        maxDecodeErrors: Int? = nil, durationSeconds: Double? = nil, width: Int? = nil, height: Int? = nil,
        frameRate: Double? = nil, audioTrack: Bool? = nil, spokenCharacters: Int? = nil, format: String? = nil,
        checkContent: Bool = true
    ) {
        self.kind = kind
        self.minDurationSeconds = minDurationSeconds
        self.maxDurationSeconds = maxDurationSeconds
        self.maxDecodeErrors = maxDecodeErrors
        self.durationSeconds = durationSeconds
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.audioTrack = audioTrack
        self.spokenCharacters = spokenCharacters
        self.format = format
        self.checkContent = checkContent
    }
}

/// What `validate` found by decoding a whole file.
public struct MediaReport: Sendable, Codable, Equatable {
    public var info: MediaInfo
    /// Frames decoded across all audio and video streams.
    public var decodedFrames: Int
    public var decodeErrors: Int
    /// Seconds of media measured from the decoded frames (the longest stream).
    public var durationSeconds: Double
    /// What was checked, for people: "decoded 42 audio frames from stream 0 (mp3)", "duration 2.31 s > 0".
    public var checks: [String]
    /// The same checks, each with its name (`decode`, `duration`, `silence`…) and whether it passed cleanly.
    public var results: [MediaCheck]
    /// The loudest audio sample in dBFS, when there is audio.
    public var audioPeakDB: Double?
    /// Frames `blackdetect` called black, of `videoFrames`, in the first video stream.
    public var blackFrames: Int?
    public var videoFrames: Int?

    public init(
        info: MediaInfo, decodedFrames: Int, decodeErrors: Int, durationSeconds: Double, results: [MediaCheck],
        audioPeakDB: Double? = nil, blackFrames: Int? = nil, videoFrames: Int? = nil
    ) {
        self.info = info
        self.decodedFrames = decodedFrames
        self.decodeErrors = decodeErrors
        self.durationSeconds = durationSeconds
        self.checks = results.map(\.detail)
        self.results = results
        self.audioPeakDB = audioPeakDB
        self.blackFrames = blackFrames
        self.videoFrames = videoFrames
    }

    /// Adds one more check (made after decoding).
    mutating func add(_ name: String, _ detail: String) {
        results.append(MediaCheck(name: name, detail: detail))
        checks.append(detail)
    }
}
