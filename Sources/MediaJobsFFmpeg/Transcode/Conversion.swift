import CMediaFFmpeg
import Foundation
import MediaJobsCore

/// What a conversion did to produce its output.
public enum ConversionAction: String, Sendable, Codable {
    /// The input already was what was asked for: copied as it is.
    case copied
    /// The codecs fit; the streams were copied into the requested container without re-encoding.
    case remuxed
    /// Decoded and encoded again.
    case transcoded
}

extension MediaEngine {
    /// Writes `input` as a video in `options.format`: copied when it already matches, remuxed when
    /// only the container differs, transcoded otherwise (scaled to `height` keeping the aspect,
    /// re-timed to `frameRate`, at `quality`).
    ///
    /// `progress` receives the fraction done. Cancelling the task stops at the next packet (blocking
    /// reads through FFmpeg's interrupt callback), deletes the partial output and throws `media.canceled`.
    @discardableResult
    public func convertVideo(
        _ input: URL, to output: URL, options: VideoOutputOptions, progress: MediaProgress? = nil
    ) async throws -> ConversionAction {
        try await run { cancel in
            let info = MediaProbe.info(of: try InputFile(opening: input))
            switch Self.videoFit(info, input: input, options: options) {
            case .copied:
                try Self.copy(input, to: output)
                return .copied
            case .remuxed:
                try Remuxer(
                    input: input, output: output, muxer: options.format.muxerName,
                    muxerOptions: options.format == .mp4 ? [("movflags", "+faststart")] : [], cancel: cancel
                ).run()
                return .remuxed
            case .transcoded:
                try VideoTranscoder(input: input, output: output, options: options, cancel: cancel, progress: progress)
                    .run()
                return .transcoded
            }
        }
    }

    /// Writes one picture of `input` (an image, or the frame of a video at `atSeconds`: a poster
    /// frame) as `options.format`, resized to `width`/`height` (one side keeps the aspect).
    /// An image that already matches is copied.
    @discardableResult
    public func convertImage(_ input: URL, to output: URL, options: ImageOutputOptions, atSeconds: Double? = nil)
        async throws -> ConversionAction
    {
        try await run { cancel in
            let info = MediaProbe.info(of: try InputFile(opening: input))
            if atSeconds == nil, Self.imageFits(info, options: options) {
                try Self.copy(input, to: output)
                return .copied
            }
            try ImageConverter(input: input, output: output, options: options, atSeconds: atSeconds, cancel: cancel).run()
            return .transcoded
        }
    }

    /// A poster frame: the picture of `video` at `atSeconds` (default 1 s, or the first frame of a
    /// shorter video), written as `options.format`.
    public func posterFrame(_ video: URL, to output: URL, options: ImageOutputOptions, atSeconds: Double = 1)
        async throws
    {
        _ = try await run { cancel in
            try ImageConverter(input: video, output: output, options: options, atSeconds: atSeconds, cancel: cancel).run()
        }
    }

    /// Writes `input` as audio in `options.format`, copying it when it already matches (same
    /// container, codec, rate and channels, no bitrate or loudness asked for).
    @discardableResult
    public func convertAudio(_ input: URL, to output: URL, options: AudioOutputOptions) async throws
        -> ConversionAction
    {
        let info = try await probe(input)
        if let audio = info.audioStreams.first, info.videoStreams.isEmpty, options.loudnessLUFS == nil,
            options.bitrateKbps == nil, info.container == options.format.containerName,
            audio.codec == options.format.codecName,
            options.sampleRate == nil || options.sampleRate == audio.sampleRate,
            options.channels == nil || options.channels == audio.channels
        {
            try Self.copy(input, to: output)
            return .copied
        }
        try await transcodeAudio(input, to: output, options: options)
        return .transcoded
    }

    /// Whether the probed image already is what `options` asks for (format, size, no quality asked): then
    /// `convertImage` only copies it, and a caller holding the file may skip the conversion.
    public static func imageFits(_ info: MediaInfo, options: ImageOutputOptions) -> Bool {
        guard options.quality == nil, info.videoStreams.count == 1, let picture = info.videoStreams.first,
            picture.codec == options.format.codecName,
            (info.durationSeconds ?? 0) == 0 || picture.frameRate == nil || info.container.hasSuffix("_pipe")
        else { return false }
        return (options.width == nil || options.width == picture.width)
            && (options.height == nil || options.height == picture.height)
    }

    /// What `convertVideo` would do with the probed `input`: copy it (it already is what `options` asks for),
    /// remux it (only the container differs) or transcode it.
    public static func videoFit(_ info: MediaInfo, input: URL, options: VideoOutputOptions) -> ConversionAction {
        guard let video = info.videoStreams.first, video.codec == options.format.videoCodecName,
            options.quality == nil,
            options.height == nil || options.height == video.height,
            options.width == nil || options.width == video.width,
            options.frameRate == nil || abs((video.frameRate ?? 0) - options.frameRate!) < 0.01
        else { return .transcoded }
        if let audio = info.audioStreams.first {
            guard audio.codec == options.format.audioCodecName,
                options.audioSampleRate == nil || options.audioSampleRate == audio.sampleRate,
                options.audioChannels == nil || options.audioChannels == audio.channels,
                options.audioBitrateKbps == nil
            else { return .transcoded }
        }
        let sameContainer = info.container == options.format.containerName
            && (info.container != "matroska,webm" || input.pathExtension.lowercased() == "webm")
        return sameContainer && info.streams.count == (info.audioStreams.isEmpty ? 1 : 2) ? .copied : .remuxed
    }

    static func copy(_ input: URL, to output: URL) throws {
        guard input.standardizedFileURL != output.standardizedFileURL else { return }
        do {
            try? FileManager.default.removeItem(at: output)
            try FileManager.default.copyItem(at: input, to: output)
        } catch {
            throw MediaJobsError.media(.mediaTranscodeFailed, output, "cannot copy \(input.path): \(error.localizedDescription)", underlying: error)
        }
    }
}
