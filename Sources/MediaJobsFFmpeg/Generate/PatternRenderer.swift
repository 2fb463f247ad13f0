import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// Draws a `TestPattern` with libavfilter sources and encodes it.
struct PatternRenderer {
    let pattern: TestPattern
    let output: URL
    let cancel: CancellationFlag
    let progress: MediaProgress?

    func renderVideo(options: VideoOutputOptions) throws {
        try validatePattern()
        do {
            try mapFFmpegErrors(.mediaTranscodeFailed, output, "cannot render a test pattern") {
                let rate = av_d2q(pattern.frameRate, 100_000)
                let pictures = try pictureGraph(pixelFormat: "yuv420p", rate: rate, duration: pattern.durationSeconds)
                let writer = try VideoOutputFile(
                    url: output, options: options, width: Int32(pattern.width), height: Int32(pattern.height),
                    frameRate: rate,
                    audio: pattern.sound == .none
                        ? nil : (Int32(pattern.audioSampleRate), Int32(pattern.audioChannels)))
                let sounds = try writer.audioShape.map { try soundGraph(shape: $0) }
                let frame = try Frame()
                var videoSeconds = 0.0
                var audioSeconds = 0.0
                var videoDone = false
                var audioDone = sounds == nil
                while !videoDone || !audioDone {
                    try cancel.check(output)
                    if !videoDone && (audioDone || videoSeconds <= audioSeconds) {
                        guard try pictures.pull(into: frame) else {
                            videoDone = true
                            continue
                        }
                        defer { frame.unref() }
                        frame.pointer.pointee.pts = av_rescale_q(
                            frame.pointer.pointee.pts, pictures.timeBase, writer.videoTimeBase)
                        videoSeconds = Double(frame.pointer.pointee.pts) * av_q2d(writer.videoTimeBase)
                        try writer.writeVideo(frame.pointer)
                        progress?(min(1, videoSeconds / pattern.durationSeconds))
                    } else if let sounds {
                        guard try sounds.pull(into: frame) else {
                            audioDone = true
                            continue
                        }
                        defer { frame.unref() }
                        let audioBase = writer.audio!.context.pointee.time_base
                        frame.pointer.pointee.pts = av_rescale_q(frame.pointer.pointee.pts, sounds.timeBase, audioBase)
                        audioSeconds = Double(frame.pointer.pointee.pts) * av_q2d(audioBase)
                        try writer.writeAudio(frame.pointer)
                    }
                }
                try writer.finish()
                progress?(1)
            }
        } catch {
            try? FileManager.default.removeItem(at: output)
            throw error
        }
    }

    func renderImage(options: ImageOutputOptions) throws {
        try validatePattern()
        do {
            try mapFFmpegErrors(.mediaTranscodeFailed, output, "cannot render a test image") {
                let pictures = try pictureGraph(
                    pixelFormat: options.format.pixelFormatName, rate: AVRational(num: 1, den: 1), duration: 1)
                let frame = try Frame()
                guard try pictures.pull(into: frame) else {
                    throw FFmpegError("av_buffersink_get_frame", message: "the pattern produced no picture")
                }
                defer { frame.unref() }
                let writer = try ImageOutputFile(
                    url: output, options: options, width: Int32(pattern.width), height: Int32(pattern.height))
                try writer.write(frame.pointer)
            }
        } catch {
            try? FileManager.default.removeItem(at: output)
            throw error
        }
    }

    private func validatePattern() throws {
        guard pattern.width >= 16, pattern.height >= 16, pattern.width <= 8192, pattern.height <= 8192,
            pattern.width % 2 == 0, pattern.height % 2 == 0
        else {
            throw MediaJobsError.invalidInput(
                "pattern.size", "\(pattern.width)x\(pattern.height) must be even numbers from 16 to 8192")
        }
        guard pattern.frameRate > 0, pattern.frameRate <= 240 else {
            throw MediaJobsError.invalidInput("pattern.frame_rate", "\(pattern.frameRate) must be in (0, 240]")
        }
        guard pattern.durationSeconds > 0, pattern.durationSeconds <= 24 * 3600 else {
            throw MediaJobsError.invalidInput("pattern.duration_s", "\(pattern.durationSeconds) must be in (0, 86400]")
        }
    }

    /// testsrc2 or color → drawtext (if text and available) → format → buffersink.
    private func pictureGraph(pixelFormat: String, rate: AVRational, duration: Double) throws -> SourceGraph {
        let graph = try FilterGraph()
        let size = "\(pattern.width)x\(pattern.height)"
        let common = [("size", size), ("rate", "\(rate.num)/\(rate.den)"), ("duration", "\(duration)")]
        let source: FilterGraph.Filter
        switch pattern.picture {
        case .moving: source = try graph.add("testsrc2", name: "pattern", options: common)
        case .black: source = try graph.add("color", name: "pattern", options: [("color", "black")] + common)
        case .still: source = try graph.add("color", name: "pattern", options: [("color", "0x3366cc")] + common)
        }
        var chain = [source]
        if let text = pattern.text, !text.isEmpty, FilterGraph.isAvailable("drawtext") {
            // The text is an option value (never parsed as a graph) and `expansion=none` keeps
            // drawtext from reading %{…} sequences in it. Without a usable font the pattern has no text.
            if let draw = try? graph.add(
                "drawtext", name: "text",
                options: [
                    ("text", text), ("expansion", "none"), ("fontcolor", "white"),
                    ("fontsize", "\(max(8, pattern.height / 12))"), ("box", "1"), ("boxcolor", "black@0.6"),
                    ("boxborderw", "4"), ("x", "(w-text_w)/2"), ("y", "(h-text_h)/2"),
                ])
            {
                chain.append(draw)
            }
        }
        chain.append(try graph.add("format", name: "format", options: [("pix_fmts", pixelFormat)]))
        let sink = try graph.add("buffersink", name: "out")
        chain.append(sink)
        try graph.chain(chain)
        try graph.configure()
        return SourceGraph(graph: graph, sink: sink)
    }

    /// sine or anullsrc → aformat → abuffersink, in frames the encoder takes.
    private func soundGraph(shape: AudioShape) throws -> SourceGraph {
        let graph = try FilterGraph()
        let source: FilterGraph.Filter
        let duration = "\(pattern.durationSeconds)"
        if pattern.sound == .tone {
            source = try graph.add(
                "sine", name: "tone",
                options: [("frequency", "440"), ("sample_rate", "\(shape.sampleRate)"), ("duration", duration)])
        } else {
            source = try graph.add(
                "anullsrc", name: "silence",
                options: [("sample_rate", "\(shape.sampleRate)"), ("channel_layout", shape.channelLayout),
                          ("duration", duration)])
        }
        let format = try graph.add(
            "aformat", name: "format",
            options: [
                ("sample_fmts", SampleFormat.name(shape.sampleFormat)), ("sample_rates", "\(shape.sampleRate)"),
                ("channel_layouts", shape.channelLayout),
            ])
        let sink = try graph.add("abuffersink", name: "out")
        try graph.chain([source, format, sink])
        try graph.configure()
        if shape.frameSize > 0 {
            av_buffersink_set_frame_size(sink, UInt32(shape.frameSize))
        }
        return SourceGraph(graph: graph, sink: sink)
    }
}

/// A filter graph whose only output is `sink`; frames are pulled from it.
final class SourceGraph {
    let graph: FilterGraph
    let sink: FilterGraph.Filter

    init(graph: FilterGraph, sink: FilterGraph.Filter) {
        self.graph = graph
        self.sink = sink
    }

    var timeBase: AVRational { av_buffersink_get_time_base(sink) }

    /// Fills `frame` with the next frame; false at the end.
    func pull(into frame: Frame) throws -> Bool {
        let status = av_buffersink_get_frame(sink, frame.pointer)
        if status == AVStatus.endOfFile { return false }
        try check(status, "av_buffersink_get_frame")
        return true
    }
}
