import CMediaFFmpeg
import CMediaShims
import Foundation

/// An encoder feeding one stream of an `OutputFile`: owns its `AVCodecContext`, freed in deinit.
final class Encoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    let codec: UnsafePointer<AVCodec>
    let stream: UnsafeMutablePointer<AVStream>
    let name: String
    private let packet: Packet
    private unowned let file: OutputFile

    /// Finds encoder `name`, lets `configure` set its parameters, opens it with private `options`
    /// ("crf", "preset") and adds its stream to `file`.
    init(
        _ name: String, in file: OutputFile, options: [(String, String)] = [],
        configure: (UnsafeMutablePointer<AVCodecContext>, UnsafePointer<AVCodec>) throws -> Void
    ) throws {
        guard let codec = avcodec_find_encoder_by_name(name) else {
            throw FFmpegError("avcodec_find_encoder_by_name", message: "this FFmpeg has no \(name) encoder")
        }
        packet = try Packet()
        guard let stream = avformat_new_stream(file.context, nil) else {
            throw FFmpegError("avformat_new_stream", message: "out of memory")
        }
        guard let context = avcodec_alloc_context3(codec) else {
            throw FFmpegError("avcodec_alloc_context3", message: "out of memory")
        }
        self.codec = codec
        self.context = context
        self.stream = stream
        self.name = name
        self.file = file
        // From here on deinit frees the context.
        try configure(context, codec)
        if file.needsGlobalHeader {
            context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        try withDictionary(options) { dictionary in
            try check(avcodec_open2(context, codec, dictionary), "avcodec_open2(\(name))")
        }
        try check(avcodec_parameters_from_context(stream.pointee.codecpar, context), "avcodec_parameters_from_context")
        stream.pointee.time_base = context.pointee.time_base
    }

    deinit {
        var context: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&context)
    }

    /// Encodes `frame` (nil flushes) and writes every packet that is ready.
    func send(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        try check(avcodec_send_frame(context, frame), "avcodec_send_frame(\(name))")
        while true {
            let status = avcodec_receive_packet(context, packet.pointer)
            if status == AVStatus.tryAgain || status == AVStatus.endOfFile { return }
            try check(status, "avcodec_receive_packet(\(name))")
            packet.pointer.pointee.stream_index = stream.pointee.index
            av_packet_rescale_ts(packet.pointer, context.pointee.time_base, stream.pointee.time_base)
            try file.write(packet.pointer)
        }
    }

    /// Sample formats the encoder takes, in its order of preference.
    static func sampleFormats(of codec: UnsafePointer<AVCodec>) -> [AVSampleFormat] {
        guard let list = codec.pointee.sample_fmts else { return [] }
        var formats: [AVSampleFormat] = []
        var index = 0
        while list[index] != AV_SAMPLE_FMT_NONE {
            formats.append(list[index])
            index += 1
        }
        return formats
    }

    /// Sample rates the encoder takes; empty when it takes any.
    static func sampleRates(of codec: UnsafePointer<AVCodec>) -> [Int32] {
        guard let list = codec.pointee.supported_samplerates else { return [] }
        var rates: [Int32] = []
        var index = 0
        while list[index] != 0 {
            rates.append(list[index])
            index += 1
        }
        return rates
    }
}
