import ArgumentParser
import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsStore

/// The `media` section of the home folder's config.json (limits and thresholds of validation).
private func mediaLimits(_ global: GlobalOptions) throws -> MediaLimits {
    let home = MediaJobsHome.resolve(explicit: global.home, environment: ProcessInfo.processInfo.environment)
    return try Configuration.load(from: home.configURL).section(MediaLimits.self)
}

private func existingFile(_ path: String, field: String) throws -> URL {
    let url = URL(fileURLWithPath: path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
        throw MediaJobsError(.fileNotFound, "\(field): no file at \(url.path)")
    }
    return url
}

struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a media file holds (container, streams, duration), without decoding it.",
        discussion: """
            mediajobs probe Samples/clip.mp4
            mediajobs probe Samples/speech.wav --json
            """)

    @Argument(help: "The media file.") var file: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let info = try await MediaEngine.shared.probe(try existingFile(file, field: "FILE"))
        if global.json {
            try Terminal.writeJSON(info)
            return
        }
        let duration = info.durationSeconds.map { String(format: "%.2f s", $0) } ?? "unknown duration"
        Terminal.write("\(file): \(info.container), \(duration)" + (info.bitRate.map { ", \($0 / 1000) kb/s" } ?? ""))
        for stream in info.streams {
            var parts = ["#\(stream.index) \(stream.type) \(stream.codec)"]
            if let width = stream.width, let height = stream.height { parts.append("\(width)x\(height)") }
            if let rate = stream.frameRate { parts.append(String(format: "%.3g fps", rate)) }
            if let rate = stream.sampleRate { parts.append("\(rate) Hz") }
            if let layout = stream.channelLayout ?? stream.channels.map({ "\($0) ch" }) { parts.append(layout) }
            if let bitRate = stream.bitRate { parts.append("\(bitRate / 1000) kb/s") }
            if stream.isAttachedPicture { parts.append("cover art") }
            Terminal.write("  " + parts.joined(separator: ", "))
        }
    }
}

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode a whole media file and check it is real media of the expected shape.",
        discussion: """
            Exits 0 when every check passes, 1 naming the failure (media.truncated, media.corrupt,
            media.black, media.silent, …). Limits come from the `media` section of config.json.

              mediajobs validate Samples/speech.wav --expect audio
              mediajobs validate Samples/clip.mp4 --expect video --width 160 --height 120 --fps 10 --duration 2 --audio
              mediajobs validate speech.mp3 --expect audio --text "The text it was made from."
            """)

    @Argument(help: "The media file.") var file: String
    @Option(help: "What the file must be: audio, video, image or any.") var expect: MediaExpectation.Kind = .any
    @Option(help: "The duration asked for, in seconds (± the larger of 0.5 s or 10 %).") var duration: Double?
    @Option(help: "The picture width asked for.") var width: Int?
    @Option(help: "The picture height asked for.") var height: Int?
    @Option(help: "The frame rate asked for.") var fps: Double?
    @Flag(inversion: .prefixedNo, help: "Whether a video must have a sound track.") var audio: Bool?
    @Option(help: "The text the speech was made from, to check its length is plausible.") var text: String?
    @Option(help: "Decode errors to tolerate (default: the configured max_decode_errors).") var maxDecodeErrors: Int?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let url = try existingFile(file, field: "FILE")
        let limits = try mediaLimits(global)
        let expectation = MediaExpectation(
            kind: expect, maxDecodeErrors: maxDecodeErrors, durationSeconds: duration, width: width, height: height,
            frameRate: fps, audioTrack: audio, spokenCharacters: text?.count)
        do {
            let report = try await MediaEngine.shared.validate(url, expecting: expectation, limits: limits)
            if global.json {
                try Terminal.writeJSON(ValidationOutput(ok: true, report: report))
            } else {
                Terminal.write("\(file): ok")
                for check in report.checks { Terminal.write("  ✓ \(check)") }
            }
        } catch let error as MediaJobsError where global.json {
            try Terminal.writeJSON(ValidationOutput(ok: false, code: error.code.rawValue, message: error.message))
            throw JobEndedBadly(code: error.exitCode)
        }
    }

    struct ValidationOutput: Encodable {
        var ok: Bool
        var report: MediaReport?
        var code: String?
        var message: String?
    }
}

extension MediaExpectation.Kind: ExpressibleByArgument {}

struct Convert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a media file: audio, video, image, or a poster frame from a video.",
        discussion: """
            The format comes from --format or OUT's extension: mp3 opus aac flac wav m4a (audio),
            mp4 webm (video), png jpeg webp (image). A file that already matches is copied; a video
            whose codecs fit is remuxed without re-encoding.

              mediajobs convert Samples/speech.wav speech.opus --bitrate-kbps 48 --sample-rate 48000
              mediajobs convert Samples/speech.wav loud.mp3 --loudness -16
              mediajobs convert Samples/clip.mp4 small.webm --height 72 --fps 5
              mediajobs convert Samples/clip.mp4 poster.jpg --at 1 --width 320
              mediajobs convert Samples/image.png image.webp --quality 80
            """)

    @Argument(help: "The input file.") var input: String
    @Argument(help: "The output file.") var output: String
    @Option(help: "The output format (default: OUT's extension).") var format: String?
    @OptionGroup var settings: ConversionOptions
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let source = try existingFile(input, field: "IN")
        let destination = URL(fileURLWithPath: output)
        let conversion = try settings.conversion(format: format ?? destination.pathExtension).resolved()
        let engine = MediaEngine.shared
        var progress: MediaProgress?
        if case .video = conversion, Terminal.stderrIsTerminal && !global.json {
            progress = { @Sendable fraction in
                Terminal.progress(String(format: "converting… %3.0f%%", fraction * 100))
            }
        }
        let action = try await engine.convert(source, to: destination, conversion, progress: progress)
        Terminal.endProgress()
        let info = try await engine.probe(destination)
        if global.json {
            try Terminal.writeJSON(ConversionOutput(action: action, output: destination.path, info: info))
        } else {
            let streams = info.streams.map(\.codec).joined(separator: "+")
            Terminal.write("\(output): \(action.rawValue) (\(info.container), \(streams))")
        }
    }

    struct ConversionOutput: Encodable {
        var action: ConversionAction
        var output: String
        var info: MediaInfo
    }
}

/// The settings of a conversion, shared by `convert` and `batch convert`; nil keeps the input's value.
struct ConversionOptions: ParsableArguments {
    @Option(help: "Audio bitrate in kb/s.") var bitrateKbps: Int?
    @Option(help: "Audio sample rate in Hz.") var sampleRate: Int?
    @Option(help: "Audio channels.") var channels: Int?
    @Option(help: "Normalise loudness to this level in LUFS (e.g. -16).") var loudness: Double?
    @Option(help: "Picture height (the width follows the aspect unless --width is given).") var height: Int?
    @Option(help: "Picture width.") var width: Int?
    @Option(help: "Video frame rate.") var fps: Double?
    @Option(help: "Quality: video CRF (lower is better), image 1–100 (higher is better).") var quality: Int?
    @Option(help: "For a picture from a video: the time of the frame, in seconds.") var at: Double?

    func conversion(format: String) -> MediaConversion {
        MediaConversion(
            format: format, bitrateKbps: bitrateKbps, sampleRate: sampleRate, channels: channels, loudnessLUFS: loudness,
            width: width, height: height, frameRate: fps, quality: quality, atSeconds: at)
    }
}
