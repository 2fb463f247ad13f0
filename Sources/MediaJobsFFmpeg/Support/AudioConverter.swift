import CMediaFFmpeg
import CMediaShims

/// The sample format, rate and channel layout audio should have.
struct AudioShape: Equatable {
    var sampleFormat: AVSampleFormat
    var sampleRate: Int32
    var channelLayout: String
    /// Samples per output frame; 0 for whatever sizes come.
    var frameSize: Int32 = 0

    static let speech16k = AudioShape(sampleFormat: AV_SAMPLE_FMT_S16, sampleRate: 16000, channelLayout: "mono")
}

/// Converts decoded audio frames to an `AudioShape` with libavfilter
/// (`abuffer → aresample (libswresample) → aformat → abuffersink`).
final class AudioConverter {
    private let graph: FilterGraph
    private let source: FilterGraph.Filter
    private let sink: FilterGraph.Filter
    let output: AudioShape

    /// A converter for frames shaped like `first`.
    /// `loudnessLUFS` adds `loudnorm` (EBU R128, single pass) before the resampler.
    init(like first: UnsafePointer<AVFrame>, to output: AudioShape, loudnessLUFS: Double? = nil) throws {
        self.output = output
        graph = try FilterGraph()
        let inputFormat = AVSampleFormat(rawValue: first.pointee.format)
        source = try graph.add(
            "abuffer", name: "in",
            options: [
                ("time_base", "1/\(first.pointee.sample_rate)"),
                ("sample_rate", "\(first.pointee.sample_rate)"),
                ("sample_fmt", SampleFormat.name(inputFormat)),
                ("channel_layout", ChannelLayout.name(of: first.pointee.ch_layout)),
            ])
        let resample = try graph.add("aresample", name: "resample", options: [("out_sample_rate", "\(output.sampleRate)")])
        let format = try graph.add(
            "aformat", name: "format",
            options: [
                ("sample_fmts", SampleFormat.name(output.sampleFormat)),
                ("sample_rates", "\(output.sampleRate)"),
                ("channel_layouts", output.channelLayout),
            ])
        sink = try graph.add("abuffersink", name: "out")
        var chain = [source]
        if let loudnessLUFS {
            chain.append(try graph.add(
                "loudnorm", name: "loudness", options: [("I", "\(loudnessLUFS)"), ("TP", "-1.5"), ("LRA", "11")]))
        }
        try graph.chain(chain + [resample, format, sink])
        try graph.configure()
        if output.frameSize > 0 {
            av_buffersink_set_frame_size(sink, UInt32(output.frameSize))
        }
    }

    var timeBase: AVRational { av_buffersink_get_time_base(sink) }

    /// Feeds one frame (nil: end of input); the converter takes the frame's data reference.
    func push(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        try check(av_buffersrc_add_frame_flags(source, frame, 0), "av_buffersrc_add_frame")
    }

    /// Hands every frame that is ready to `body`.
    func drain(into frame: Frame, _ body: (UnsafeMutablePointer<AVFrame>) throws -> Void) throws {
        while true {
            let status = av_buffersink_get_frame(sink, frame.pointer)
            if status == AVStatus.tryAgain || status == AVStatus.endOfFile { return }
            try check(status, "av_buffersink_get_frame")
            defer { frame.unref() }
            try body(frame.pointer)
        }
    }
}
