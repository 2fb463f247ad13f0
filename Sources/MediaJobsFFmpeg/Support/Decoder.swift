import CMediaFFmpeg
import CMediaShims

/// A decoder for one stream: owns its `AVCodecContext`, freed in deinit.
final class Decoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    let codecName: String
    private let frame: Frame

    /// Opens the decoder for `stream`; throws `FFmpegError` when FFmpeg has none or cannot open it.
    init(for stream: UnsafeMutablePointer<AVStream>, maxPixels: Int? = nil) throws {
        let parameters = stream.pointee.codecpar!
        codecName = String(cString: avcodec_get_name(parameters.pointee.codec_id))
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw FFmpegError("avcodec_find_decoder", message: "this FFmpeg has no decoder for \(codecName)")
        }
        guard let context = avcodec_alloc_context3(codec) else {
            throw FFmpegError("avcodec_alloc_context3", message: "out of memory")
        }
        self.context = context
        frame = try Frame()
        try check(avcodec_parameters_to_context(context, parameters), "avcodec_parameters_to_context")
        context.pointee.pkt_timebase = stream.pointee.time_base
        if let maxPixels { context.pointee.max_pixels = Int64(maxPixels) }
        try check(avcodec_open2(context, codec, nil), "avcodec_open2(\(codecName))")
    }

    deinit {
        var context: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&context)
    }

    /// Sends `packet` (nil flushes) and hands each decoded frame to `body`; the frame is
    /// unreferenced after `body` returns. Returns the status codes of errors the decoder reported.
    @discardableResult
    func decode(_ packet: UnsafeMutablePointer<AVPacket>?, _ body: (UnsafeMutablePointer<AVFrame>) throws -> Void)
        throws -> [Int32]
    {
        var errors: [Int32] = []
        var sent = false
        var attempts = 0
        while !sent {
            let status = avcodec_send_packet(context, packet)
            attempts += 1
            if status == AVStatus.tryAgain && attempts < 3 {
                // The decoder's output is full: drain it, then send again.
                let before = errors.count
                try receive(&errors, body)
                if errors.count > before { return errors }
                continue
            }
            if status < 0 && status != AVStatus.endOfFile { errors.append(status) }
            sent = true
        }
        try receive(&errors, body)
        return errors
    }

    private func receive(_ errors: inout [Int32], _ body: (UnsafeMutablePointer<AVFrame>) throws -> Void) throws {
        while true {
            let status = avcodec_receive_frame(context, frame.pointer)
            if status == AVStatus.tryAgain || status == AVStatus.endOfFile { return }
            if status < 0 {
                errors.append(status)
                return
            }
            defer { frame.unref() }
            try body(frame.pointer)
        }
    }
}
