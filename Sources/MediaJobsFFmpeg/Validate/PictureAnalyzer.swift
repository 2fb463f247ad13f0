import CMediaFFmpeg
import CMediaShims
import Foundation

/// Watches the decoded frames of one video stream through libavfilter's `blackdetect` and
/// `freezedetect` (`buffer → blackdetect → freezedetect → buffersink`), and measures the colour
/// spread of the first picture (for still images). Built when the first frame shows the stream's shape.
final class PictureAnalyzer {
    private let limits: MediaLimits
    private var graph: FilterGraph?
    private var source: FilterGraph.Filter?
    private var sink: FilterGraph.Filter?
    private let filtered: Frame
    private(set) var frames = 0
    private(set) var blackFrames = 0
    private var inBlack = false
    /// Set when freezedetect reported a freeze starting at the first frame that never ended.
    private var frozenFromStart = false
    private var frozen = false
    private var firstTime: Double?
    /// The largest span of any RGB channel over the first picture (0…255).
    private(set) var colourSpread: Int?

    init(limits: MediaLimits) throws {
        self.limits = limits
        filtered = try Frame()
    }

    /// Whether every frame was black.
    var isBlack: Bool { frames > 0 && blackFrames == frames }
    /// Whether the picture never changed (a freeze from the first frame to the last).
    var isFrozen: Bool { frames > 1 && frozenFromStart && frozen }

    func add(_ frame: UnsafeMutablePointer<AVFrame>, timeBase: AVRational) throws {
        if graph == nil {
            try build(like: frame, timeBase: timeBase)
            colourSpread = try Self.spread(of: frame, timeBase: timeBase)
        }
        try check(av_buffersrc_add_frame_flags(source, frame, Int32(AV_BUFFERSRC_FLAG_KEEP_REF)), "av_buffersrc_add_frame")
        try drain()
    }

    func finish() throws {
        guard graph != nil else { return }
        try check(av_buffersrc_add_frame_flags(source, nil, 0), "av_buffersrc_add_frame")
        try drain()
    }

    private func drain() throws {
        while true {
            let status = av_buffersink_get_frame(sink, filtered.pointer)
            if status == AVStatus.tryAgain || status == AVStatus.endOfFile { return }
            try check(status, "av_buffersink_get_frame")
            defer { filtered.unref() }
            frames += 1
            let time = Double(filtered.pointer.pointee.pts) * av_q2d(av_buffersink_get_time_base(sink))
            if firstTime == nil { firstTime = time }
            if filtered.metadata("lavfi.black_start") != nil { inBlack = true }
            if filtered.metadata("lavfi.black_end") != nil { inBlack = false }
            if inBlack { blackFrames += 1 }
            if let start = filtered.metadata("lavfi.freezedetect.freeze_start").flatMap(Double.init) {
                frozen = true
                frozenFromStart = firstTime.map { abs(start - $0) < 0.001 } ?? false
            }
            if filtered.metadata("lavfi.freezedetect.freeze_end") != nil {
                frozen = false
                frozenFromStart = false
            }
        }
    }

    private func build(like frame: UnsafeMutablePointer<AVFrame>, timeBase: AVRational) throws {
        let graph = try FilterGraph()
        let source = try graph.add("buffer", name: "in", options: Self.bufferOptions(frame, timeBase))
        let black = try graph.add(
            "blackdetect", name: "black",
            options: [("d", "0"), ("pic_th", "\(limits.blackPictureRatio)"), ("pix_th", "\(limits.blackPixelThreshold)")])
        let noise = pow(10, limits.freezeNoiseDb / 20)
        let freeze = try graph.add("freezedetect", name: "freeze", options: [("n", "\(noise)"), ("d", "0")])
        let sink = try graph.add("buffersink", name: "out")
        try graph.chain([source, black, freeze, sink])
        try graph.configure()
        self.graph = graph
        self.source = source
        self.sink = sink
    }

    static func bufferOptions(_ frame: UnsafePointer<AVFrame>, _ timeBase: AVRational) -> [(String, String)] {
        let aspect = frame.pointee.sample_aspect_ratio.num > 0 ? frame.pointee.sample_aspect_ratio : AVRational(num: 1, den: 1)
        return [
            ("width", "\(frame.pointee.width)"), ("height", "\(frame.pointee.height)"),
            ("pix_fmt", "\(frame.pointee.format)"),
            ("time_base", "\(timeBase.num)/\(max(1, timeBase.den))"),
            ("sar", "\(aspect.num)/\(aspect.den)"),
        ]
    }

    /// The largest span of any RGB channel over `frame` (converted to rgb24 with libswscale).
    static func spread(of frame: UnsafeMutablePointer<AVFrame>, timeBase: AVRational) throws -> Int {
        let graph = try FilterGraph()
        let source = try graph.add("buffer", name: "in", options: bufferOptions(frame, timeBase))
        let format = try graph.add("format", name: "rgb", options: [("pix_fmts", "rgb24")])
        let sink = try graph.add("buffersink", name: "out")
        try graph.chain([source, format, sink])
        try graph.configure()
        try check(av_buffersrc_add_frame_flags(source, frame, Int32(AV_BUFFERSRC_FLAG_KEEP_REF)), "av_buffersrc_add_frame")
        try check(av_buffersrc_add_frame_flags(source, nil, 0), "av_buffersrc_add_frame")
        let rgb = try Frame()
        try check(av_buffersink_get_frame(sink, rgb.pointer), "av_buffersink_get_frame")
        let width = Int(rgb.pointer.pointee.width)
        let height = Int(rgb.pointer.pointee.height)
        let stride = Int(mj_frame_linesize(rgb.pointer, 0))
        guard let data = mj_frame_data(rgb.pointer, 0) else { return 255 }
        var low: [UInt8] = [255, 255, 255]
        var high: [UInt8] = [0, 0, 0]
        for row in 0..<height {
            let line = data + row * stride
            for column in 0..<width {
                for channel in 0..<3 {
                    let value = line[column * 3 + channel]
                    if value < low[channel] { low[channel] = value }
                    if value > high[channel] { high[channel] = value }
                }
            }
        }
        return (0..<3).map { Int(high[$0]) - Int(low[$0]) }.max() ?? 0
    }
}
