import Foundation

/// A synthetic picture (and sound) that `renderTestPattern` and `renderTestImage` draw with
/// libavfilter's sources: real, decodable media of a chosen shape, made in process.
public struct TestPattern: Sendable, Codable, Equatable {
    /// What the picture shows.
    public enum Picture: String, Sendable, Codable, CaseIterable {
        /// `testsrc2`: colour bars and a moving counter; every frame differs.
        case moving
        /// Black from start to end (what `blackdetect` catches).
        case black
        /// One flat colour that never changes (frozen video, a flat image).
        case still
    }

    /// What the soundtrack is.
    public enum Sound: String, Sendable, Codable, CaseIterable {
        case none
        /// A 440 Hz sine tone.
        case tone
        /// Digital silence.
        case silence
    }

    public var width: Int
    public var height: Int
    public var frameRate: Double
    public var durationSeconds: Double
    public var picture: Picture
    public var sound: Sound
    /// Drawn in the middle of the picture with `drawtext` when libavfilter has it (and a font).
    public var text: String?
    public var audioSampleRate: Int
    public var audioChannels: Int

    public init(
        width: Int = 320, height: Int = 240, frameRate: Double = 25, durationSeconds: Double = 2,
        picture: Picture = .moving, sound: Sound = .tone, text: String? = nil, audioSampleRate: Int = 48000,
        audioChannels: Int = 2
    ) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.durationSeconds = durationSeconds
        self.picture = picture
        self.sound = sound
        self.text = text
        self.audioSampleRate = audioSampleRate
        self.audioChannels = audioChannels
    }
}

extension MediaEngine {
    /// Renders `pattern` as a video file at `output` (H.264 + AAC in MP4, or VP9 + Opus in WebM),
    /// entirely in process, and returns the probe of what was written.
    ///
    /// `options.format` picks the container; `quality` and `fast` apply, the size and rate come from
    /// `pattern`. `progress` receives the fraction done (0…1). Cancelling the task stops at the next
    /// frame, deletes the partial file and throws `media.canceled`.
    @discardableResult
    public func renderTestPattern(
        _ pattern: TestPattern, to output: URL, options: VideoOutputOptions = VideoOutputOptions(format: .mp4),
        progress: MediaProgress? = nil
    ) async throws -> MediaInfo {
        try await run { cancel in
            try PatternRenderer(pattern: pattern, output: output, cancel: cancel, progress: progress)
                .renderVideo(options: options)
            return MediaProbe.info(of: try InputFile(opening: output))
        }
    }

    /// Renders the first frame of `pattern` as a still image (png, jpeg or webp) of
    /// `pattern.width`×`pattern.height` and returns the probe of what was written.
    @discardableResult
    public func renderTestImage(_ pattern: TestPattern, to output: URL, options: ImageOutputOptions) async throws
        -> MediaInfo
    {
        try await run { cancel in
            try PatternRenderer(pattern: pattern, output: output, cancel: cancel, progress: nil)
                .renderImage(options: options)
            return MediaProbe.info(of: try InputFile(opening: output))
        }
    }
}

/// Receives the fraction of a long operation done so far (0…1), from the media thread pool.
public typealias MediaProgress = @Sendable (Double) -> Void
