import CMediaFFmpeg

/// A video file format MediaJobs can write.
public enum VideoFormat: String, Sendable, Codable, CaseIterable {
    /// H.264 video and AAC audio in MP4, with the index at the front (`+faststart`).
    case mp4
    /// VP9 video and Opus audio in WebM.
    case webm

    public var fileExtension: String { rawValue }

    public var mime: String { self == .mp4 ? "video/mp4" : "video/webm" }

    var muxerName: String { rawValue }
    var videoEncoderName: String { self == .mp4 ? "libx264" : "libvpx-vp9" }
    var audioEncoderName: String { self == .mp4 ? "aac" : "libopus" }

    /// The codec names a probe of the written file reports.
    public var videoCodecName: String { self == .mp4 ? "h264" : "vp9" }
    public var audioCodecName: String { self == .mp4 ? "aac" : "opus" }
    /// The container name a probe of the written file reports.
    public var containerName: String { self == .mp4 ? "mov,mp4,m4a,3gp,3g2,mj2" : "matroska,webm" }

    /// The constant-quality value used when the caller names none (x264 CRF 0–51, VP9 CRF 0–63).
    public var defaultQuality: Int { self == .mp4 ? 23 : 32 }
    public var qualityRange: ClosedRange<Int> { self == .mp4 ? 0...51 : 0...63 }
    var defaultAudioBitrateKbps: Int { self == .mp4 ? 128 : 96 }
}

/// A still-image format MediaJobs can write.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case png, jpeg, webp

    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }

    public var mime: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .webp: "image/webp"
        }
    }

    var encoderName: String {
        switch self {
        case .png: "png"
        case .jpeg: "mjpeg"
        case .webp: "libwebp"
        }
    }

    /// The pixel format handed to the encoder.
    var pixelFormatName: String {
        switch self {
        case .png: "rgb24"
        case .jpeg: "yuvj420p"
        case .webp: "yuv420p"
        }
    }

    var pixelFormat: AVPixelFormat {
        switch self {
        case .png: AV_PIX_FMT_RGB24
        case .jpeg: AV_PIX_FMT_YUVJ420P
        case .webp: AV_PIX_FMT_YUV420P
        }
    }

    /// The codec name a probe of the written file reports.
    public var codecName: String {
        switch self {
        case .png: "png"
        case .jpeg: "mjpeg"
        case .webp: "webp"
        }
    }

    /// Accepts the usual spellings of each format's name (`jpg`).
    public init?(name: String) {
        switch name.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        case "webp": self = .webp
        default: return nil
        }
    }
}

/// How a video is written; nil keeps the input's value (or the format's default).
public struct VideoOutputOptions: Sendable, Codable, Equatable {
    public var format: VideoFormat
    /// Output height in pixels; the width follows the input's aspect ratio (rounded to even).
    public var height: Int?
    /// Output width; with `height` both are used as given, alone it sets the height from the aspect.
    public var width: Int?
    public var frameRate: Double?
    /// Constant quality: CRF (lower is better); `format.defaultQuality` when nil.
    public var quality: Int?
    /// Audio bitrate; the format's default when nil.
    public var audioBitrateKbps: Int?
    public var audioSampleRate: Int?
    public var audioChannels: Int?
    /// Encoder speed: true favours speed (x264 `veryfast`, VP9 realtime), false quality.
    public var fast: Bool
    /// For mp4: libx264's preset by name (`ultrafast` … `veryslow`), instead of the one `fast` picks.
    public var x264Preset: String?

    public init(
        format: VideoFormat, height: Int? = nil, width: Int? = nil, frameRate: Double? = nil, quality: Int? = nil,
        audioBitrateKbps: Int? = nil, audioSampleRate: Int? = nil, audioChannels: Int? = nil, fast: Bool = true,
        x264Preset: String? = nil
    ) {
        self.format = format
        self.height = height
        self.width = width
        self.frameRate = frameRate
        self.quality = quality
        self.audioBitrateKbps = audioBitrateKbps
        self.audioSampleRate = audioSampleRate
        self.audioChannels = audioChannels
        self.fast = fast
        self.x264Preset = x264Preset
    }
}

/// How a still image is written.
public struct ImageOutputOptions: Sendable, Codable, Equatable {
    public var format: ImageFormat
    public var width: Int?
    public var height: Int?
    /// 1–100, higher is better (jpeg, webp); png is lossless and ignores it.
    public var quality: Int?

    public init(format: ImageFormat, width: Int? = nil, height: Int? = nil, quality: Int? = nil) {
        self.format = format
        self.width = width
        self.height = height
        self.quality = quality
    }
}
