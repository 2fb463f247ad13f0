import Foundation
import MediaJobsCore

/// A conversion asked for by the name of its format and a flat set of settings, as people give them
/// on a command line (`--format webm --height 240`): whichever kind of media the format is.
///
/// `resolved()` checks the format and settings and answers the audio, video or image options the
/// engine takes; `MediaEngine.convert` runs it.
public struct MediaConversion: Sendable, Codable, Equatable {
    public var format: String
    /// Audio bitrate in kb/s (audio, and the sound track of a video).
    public var bitrateKbps: Int?
    public var sampleRate: Int?
    public var channels: Int?
    /// Integrated loudness target in LUFS (audio only).
    public var loudnessLUFS: Double?
    public var width: Int?
    public var height: Int?
    public var frameRate: Double?
    /// Video CRF (lower is better) or image quality 1–100 (higher is better).
    public var quality: Int?
    /// For a picture from a video: the time of the frame.
    public var atSeconds: Double?

    public init(
        format: String, bitrateKbps: Int? = nil, sampleRate: Int? = nil, channels: Int? = nil,
        loudnessLUFS: Double? = nil, width: Int? = nil, height: Int? = nil, frameRate: Double? = nil,
        quality: Int? = nil, atSeconds: Double? = nil
    ) {
        self.format = format.lowercased()
        self.bitrateKbps = bitrateKbps
        self.sampleRate = sampleRate
        self.channels = channels
        self.loudnessLUFS = loudnessLUFS
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.quality = quality
        self.atSeconds = atSeconds
    }

    /// The engine's options for this conversion.
    public enum Resolved: Sendable, Equatable {
        case audio(AudioOutputOptions)
        case video(VideoOutputOptions)
        case image(ImageOutputOptions, atSeconds: Double?)

        /// What the output must be, for validating it.
        public var expectationKind: MediaExpectation.Kind {
            switch self {
            case .audio: .audio
            case .video: .video
            case .image: .image
            }
        }

        /// The extension of a file in this format (`jpg` for jpeg).
        public var fileExtension: String {
            switch self {
            case .audio(let options): options.format.fileExtension
            case .video(let options): options.format.fileExtension
            case .image(let options, _): options.format.fileExtension
            }
        }
    }

    /// Every format MediaJobs writes, for messages.
    public static let formatNames = "mp3 opus aac flac wav m4a mp4 webm png jpeg webp"

    /// Checks the format and the settings, naming the option at fault (`--format`, `--quality`, …).
    public func resolved() throws -> Resolved {
        func positive(_ value: Int?, _ option: String) throws {
            if let value, value <= 0 { throw MediaJobsError.invalidInput(option, "\(value) must be above 0") }
        }
        try positive(bitrateKbps, "--bitrate-kbps")
        try positive(sampleRate, "--sample-rate")
        try positive(channels, "--channels")
        try positive(width, "--width")
        try positive(height, "--height")
        if let frameRate, !(frameRate > 0 && frameRate <= 240) {
            throw MediaJobsError.invalidInput("--fps", "\(frameRate) is outside (0, 240]")
        }
        if let atSeconds, !(atSeconds >= 0) {
            throw MediaJobsError.invalidInput("--at", "\(atSeconds) must be 0 or more seconds")
        }
        if let audio = AudioFormat(rawValue: format) {
            if let loudnessLUFS, !(-70 ... -5).contains(loudnessLUFS) {
                throw MediaJobsError.invalidInput("--loudness", "\(loudnessLUFS) LUFS is outside -70 to -5")
            }
            return .audio(AudioOutputOptions(
                format: audio, bitrateKbps: bitrateKbps, sampleRate: sampleRate, channels: channels,
                loudnessLUFS: loudnessLUFS))
        }
        if loudnessLUFS != nil {
            throw MediaJobsError.invalidInput("--loudness", "applies to audio formats only, not \(format)")
        }
        if let video = VideoFormat(rawValue: format) {
            if let quality, !video.qualityRange.contains(quality) {
                throw MediaJobsError.invalidInput("--quality", "\(quality) is outside \(video.rawValue)'s CRF range \(video.qualityRange)")
            }
            return .video(VideoOutputOptions(
                format: video, height: height, width: width, frameRate: frameRate, quality: quality,
                audioBitrateKbps: bitrateKbps, audioSampleRate: sampleRate, audioChannels: channels))
        }
        if let image = ImageFormat(name: format) {
            if let quality, !(1...100).contains(quality) {
                throw MediaJobsError.invalidInput("--quality", "\(quality) is outside 1–100 for an image")
            }
            return .image(ImageOutputOptions(format: image, width: width, height: height, quality: quality),
                          atSeconds: atSeconds)
        }
        throw MediaJobsError.invalidInput("--format", "'\(format)' is not a format MediaJobs writes (\(Self.formatNames))")
    }
}

extension MediaEngine {
    /// Converts `input` to `output` as `conversion` says (see `convertAudio`, `convertVideo`, `convertImage`).
    @discardableResult
    public func convert(
        _ input: URL, to output: URL, _ conversion: MediaConversion.Resolved, progress: MediaProgress? = nil
    ) async throws -> ConversionAction {
        switch conversion {
        case .audio(let options): try await convertAudio(input, to: output, options: options)
        case .video(let options): try await convertVideo(input, to: output, options: options, progress: progress)
        case .image(let options, let at): try await convertImage(input, to: output, options: options, atSeconds: at)
        }
    }
}
