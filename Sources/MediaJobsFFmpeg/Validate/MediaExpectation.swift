/// What a caller expects a media file to be; `validate` checks the file against it.
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
    /// Decode errors tolerated before the file is refused (0: any error refuses it).
    public var maxDecodeErrors: Int

    public init(
        kind: Kind = .any, minDurationSeconds: Double? = nil, maxDurationSeconds: Double? = nil,
        maxDecodeErrors: Int = 0
    ) {
        self.kind = kind
        self.minDurationSeconds = minDurationSeconds
        self.maxDurationSeconds = maxDurationSeconds
        self.maxDecodeErrors = maxDecodeErrors
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

    public init(info: MediaInfo, decodedFrames: Int, decodeErrors: Int, durationSeconds: Double, checks: [String]) {
        self.info = info
        self.decodedFrames = decodedFrames
        self.decodeErrors = decodeErrors
        self.durationSeconds = durationSeconds
        self.checks = checks
    }
}
