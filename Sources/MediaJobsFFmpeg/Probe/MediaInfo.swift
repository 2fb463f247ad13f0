/// What a media file holds, as its container describes it (nothing decoded).
public struct MediaInfo: Sendable, Codable, Equatable {
    /// The demuxer's short name: "mp3", "wav", "ogg", "mov,mp4,m4a,3gp,3g2,mj2".
    public var container: String
    public var durationSeconds: Double?
    /// Bits per second of the whole file, when the container knows or can estimate it.
    public var bitRate: Int?
    public var streams: [StreamInfo]

    public init(container: String, durationSeconds: Double?, bitRate: Int?, streams: [StreamInfo]) {
        self.container = container
        self.durationSeconds = durationSeconds
        self.bitRate = bitRate
        self.streams = streams
    }

    public var audioStreams: [StreamInfo] { streams.filter { $0.type == StreamInfo.audio } }
    /// Video streams that are moving pictures (not cover art).
    public var videoStreams: [StreamInfo] { streams.filter { $0.type == StreamInfo.video && !$0.isAttachedPicture } }
}

/// One stream of a media file.
public struct StreamInfo: Sendable, Codable, Equatable {
    public static let audio = "audio"
    public static let video = "video"

    public var index: Int
    /// "audio", "video", "subtitle", "data", "attachment" or "unknown".
    public var type: String
    /// FFmpeg's codec name: "mp3", "aac", "opus", "pcm_s16le", "h264".
    public var codec: String
    public var sampleRate: Int?
    public var channels: Int?
    /// "mono", "stereo", "5.1(side)".
    public var channelLayout: String?
    public var width: Int?
    public var height: Int?
    /// Frames per second (average when known).
    public var frameRate: Double?
    public var bitRate: Int?
    public var durationSeconds: Double?
    /// Cover art stored as a video stream of one picture.
    public var isAttachedPicture: Bool

    public init(
        index: Int, type: String, codec: String, sampleRate: Int? = nil, channels: Int? = nil,
        channelLayout: String? = nil, width: Int? = nil, height: Int? = nil, frameRate: Double? = nil,
        bitRate: Int? = nil, durationSeconds: Double? = nil, isAttachedPicture: Bool = false
    ) {
        self.index = index
        self.type = type
        self.codec = codec
        self.sampleRate = sampleRate
        self.channels = channels
        self.channelLayout = channelLayout
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.bitRate = bitRate
        self.durationSeconds = durationSeconds
        self.isAttachedPicture = isAttachedPicture
    }
}
