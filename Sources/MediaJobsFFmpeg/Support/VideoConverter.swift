import CMediaFFmpeg
import CMediaShims

/// Converts decoded video frames to a size, frame rate and pixel format with libavfilter
/// (`buffer → scale (libswscale) → fps → format → buffersink`).
final class VideoConverter {
    private let graph: FilterGraph
    private let source: FilterGraph.Filter
    private let sink: FilterGraph.Filter

    /// A converter for frames shaped like `first` with timestamps in `timeBase`; `frameRate` nil keeps
    /// the input's timing.
    init(
        like first: UnsafePointer<AVFrame>, timeBase: AVRational, width: Int32, height: Int32,
        frameRate: AVRational?, pixelFormat: String
    ) throws {
        graph = try FilterGraph()
        source = try graph.add("buffer", name: "in", options: PictureAnalyzer.bufferOptions(first, timeBase))
        var chain = [source]
        if first.pointee.width != width || first.pointee.height != height {
            chain.append(try graph.add(
                "scale", name: "scale", options: [("w", "\(width)"), ("h", "\(height)"), ("flags", "bicubic")]))
        }
        if let frameRate {
            chain.append(try graph.add("fps", name: "fps", options: [("fps", "\(frameRate.num)/\(frameRate.den)")]))
        }
        chain.append(try graph.add("setsar", name: "sar", options: [("sar", "1")]))
        chain.append(try graph.add("format", name: "format", options: [("pix_fmts", pixelFormat)]))
        sink = try graph.add("buffersink", name: "out")
        chain.append(sink)
        try graph.chain(chain)
        try graph.configure()
    }

    var timeBase: AVRational { av_buffersink_get_time_base(sink) }

    /// Feeds one frame (nil: end of input); the frame keeps its own reference.
    func push(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        try check(
            av_buffersrc_add_frame_flags(source, frame, frame == nil ? 0 : Int32(AV_BUFFERSRC_FLAG_KEEP_REF)),
            "av_buffersrc_add_frame")
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

    /// The output size for an input of `width`×`height` (sample aspect `sar`) asked to be
    /// `wantedWidth`×`wantedHeight`: one side given keeps the aspect; results are even (for yuv420p) unless
    /// `evenDimensions` is false.
    static func size(
        width: Int32, height: Int32, sar: AVRational, wantedWidth: Int?, wantedHeight: Int?, evenDimensions: Bool = true
    ) -> (Int32, Int32) {
        let aspect = Double(width) * (sar.num > 0 && sar.den > 0 ? av_q2d(sar) : 1) / Double(max(1, height))
        func even(_ value: Double) -> Int32 {
            evenDimensions ? Int32(max(2, (value / 2).rounded() * 2)) : Int32(max(1, value.rounded()))
        }
        switch (wantedWidth, wantedHeight) {
        case let (w?, h?): return (even(Double(w)), even(Double(h)))
        case let (nil, h?): return (even(Double(h) * aspect), even(Double(h)))
        case let (w?, nil): return (even(Double(w)), even(Double(w) / aspect))
        case (nil, nil): return (even(Double(height) * aspect), even(Double(height)))
        }
    }
}
