/// An audio file format MediaJobs can write.
public enum AudioFormat: String, Sendable, Codable, CaseIterable {
    case wav, mp3, opus, flac, aac, m4a

    public var fileExtension: String { rawValue }

    public var mime: String {
        switch self {
        case .wav: "audio/wav"
        case .mp3: "audio/mpeg"
        case .opus: "audio/ogg"
        case .flac: "audio/flac"
        case .aac: "audio/aac"
        case .m4a: "audio/mp4"
        }
    }

    /// FFmpeg's encoder.
    var encoderName: String {
        switch self {
        case .wav: "pcm_s16le"
        case .mp3: "libmp3lame"
        case .opus: "libopus"
        case .flac: "flac"
        case .aac, .m4a: "aac"
        }
    }

    /// FFmpeg's muxer: ADTS for a bare .aac, the iPod flavour of MP4 for .m4a, Ogg for .opus.
    var muxerName: String {
        switch self {
        case .wav: "wav"
        case .mp3: "mp3"
        case .opus: "opus"
        case .flac: "flac"
        case .aac: "adts"
        case .m4a: "ipod"
        }
    }

    /// The codec name a probe of the written file reports.
    public var codecName: String {
        switch self {
        case .wav: "pcm_s16le"
        case .mp3: "mp3"
        case .opus: "opus"
        case .flac: "flac"
        case .aac, .m4a: "aac"
        }
    }

    /// The container name a probe of the written file reports.
    public var containerName: String {
        switch self {
        case .wav: "wav"
        case .mp3: "mp3"
        case .opus: "ogg"
        case .flac: "flac"
        case .aac: "aac"
        case .m4a: "mov,mp4,m4a,3gp,3g2,mj2"
        }
    }

    public var isLossless: Bool { self == .wav || self == .flac }

    /// The bitrate used when the caller names none (lossy formats only).
    public var defaultBitrateKbps: Int? {
        switch self {
        case .wav, .flac: nil
        case .mp3: 128
        case .opus: 64
        case .aac, .m4a: 128
        }
    }
}

/// How `transcodeAudio` should write its output; nil keeps the input's value (or the format's default).
public struct AudioOutputOptions: Sendable, Codable, Equatable {
    /// Speech made small for an upload: 16 kHz mono Opus at 24 kb/s (about 3,000 bytes a second), what recognisers
    /// hear well enough. A recording over an upload limit is re-encoded to it, and so are the pieces of one cut for a
    /// limit that lossless pieces would not fit.
    public static let compactSpeech = AudioOutputOptions(format: .opus, bitrateKbps: 24, sampleRate: 16_000, channels: 1)

    public var format: AudioFormat
    public var bitrateKbps: Int?
    public var sampleRate: Int?
    public var channels: Int?
    /// Normalise loudness to this integrated level (LUFS, e.g. -16) with libavfilter's `loudnorm`.
    public var loudnessLUFS: Double?

    public init(
        format: AudioFormat, bitrateKbps: Int? = nil, sampleRate: Int? = nil, channels: Int? = nil,
        loudnessLUFS: Double? = nil
    ) {
        self.format = format
        self.bitrateKbps = bitrateKbps
        self.sampleRate = sampleRate
        self.channels = channels
        self.loudnessLUFS = loudnessLUFS
    }
}
