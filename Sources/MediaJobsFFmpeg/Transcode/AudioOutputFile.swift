import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// An audio file being written: owns the encoder and the muxer (`AVFormatContext` and its `AVIOContext`).
///
/// Frames given to `write` must already have `shape` (see `AudioConverter`); `finish` flushes the
/// encoder and writes the trailer. Without `finish` the partial file is left for the caller to delete.
final class AudioOutputFile {
    let url: URL
    let shape: AudioShape
    private let output: UnsafeMutablePointer<AVFormatContext>
    private let encoder: UnsafeMutablePointer<AVCodecContext>
    private let stream: UnsafeMutablePointer<AVStream>
    private let packet: Packet
    private var nextPts: Int64 = 0

    init(url: URL, options: AudioOutputOptions, inputSampleRate: Int32, inputChannels: Int32) throws {
        self.url = url
        let format = options.format
        guard let codec = avcodec_find_encoder_by_name(format.encoderName) else {
            throw FFmpegError("avcodec_find_encoder_by_name", message: "this FFmpeg has no \(format.encoderName) encoder")
        }
        packet = try Packet()

        var allocated: UnsafeMutablePointer<AVFormatContext>?
        try check(
            avformat_alloc_output_context2(&allocated, nil, format.muxerName, url.path), "avformat_alloc_output_context2")
        output = allocated!
        guard let encoder = avcodec_alloc_context3(codec) else {
            avformat_free_context(output)
            throw FFmpegError("avcodec_alloc_context3", message: "out of memory")
        }
        self.encoder = encoder
        guard let stream = avformat_new_stream(output, nil) else {
            var context: UnsafeMutablePointer<AVCodecContext>? = encoder
            avcodec_free_context(&context)
            avformat_free_context(output)
            throw FFmpegError("avformat_new_stream", message: "out of memory")
        }
        self.stream = stream

        let (sampleRate, channels) = Self.rateAndChannels(options, inputSampleRate, inputChannels, codec)
        let sampleFormat = Self.sampleFormat(for: codec)
        encoder.pointee.sample_rate = sampleRate
        encoder.pointee.sample_fmt = sampleFormat
        av_channel_layout_default(&encoder.pointee.ch_layout, channels)
        encoder.pointee.time_base = AVRational(num: 1, den: sampleRate)
        if let kbps = options.bitrateKbps ?? format.defaultBitrateKbps, !format.isLossless {
            encoder.pointee.bit_rate = Int64(kbps) * 1000
        }
        if output.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            encoder.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        // From here on deinit frees everything.
        try check(avcodec_open2(encoder, codec, nil), "avcodec_open2(\(format.encoderName))")
        try check(avcodec_parameters_from_context(stream.pointee.codecpar, encoder), "avcodec_parameters_from_context")
        stream.pointee.time_base = encoder.pointee.time_base

        let variable = codec.pointee.capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE != 0
        shape = AudioShape(
            sampleFormat: sampleFormat, sampleRate: sampleRate,
            channelLayout: ChannelLayout.name(of: encoder.pointee.ch_layout),
            frameSize: variable ? 0 : encoder.pointee.frame_size)

        if output.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            try check(avio_open(&output.pointee.pb, url.path, AVIO_FLAG_WRITE), "avio_open")
        }
        try check(avformat_write_header(output, nil), "avformat_write_header")
    }

    deinit {
        if output.pointee.pb != nil && output.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            avio_closep(&output.pointee.pb)
        }
        avformat_free_context(output)
        var encoder: UnsafeMutablePointer<AVCodecContext>? = encoder
        avcodec_free_context(&encoder)
    }

    /// Encodes one frame shaped like `shape`; timestamps count samples from the start.
    func write(_ frame: UnsafeMutablePointer<AVFrame>) throws {
        frame.pointee.pts = nextPts
        nextPts += Int64(frame.pointee.nb_samples)
        try check(avcodec_send_frame(encoder, frame), "avcodec_send_frame")
        try drain()
    }

    /// Flushes the encoder, writes the trailer and closes the file.
    func finish() throws {
        try check(avcodec_send_frame(encoder, nil), "avcodec_send_frame")
        try drain()
        try check(av_write_trailer(output), "av_write_trailer")
        if output.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            try check(avio_closep(&output.pointee.pb), "avio_closep")
        }
    }

    private func drain() throws {
        while true {
            let status = avcodec_receive_packet(encoder, packet.pointer)
            if status == AVStatus.tryAgain || status == AVStatus.endOfFile { return }
            try check(status, "avcodec_receive_packet")
            packet.pointer.pointee.stream_index = stream.pointee.index
            av_packet_rescale_ts(packet.pointer, encoder.pointee.time_base, stream.pointee.time_base)
            // av_interleaved_write_frame takes the packet's reference.
            try check(av_interleaved_write_frame(output, packet.pointer), "av_interleaved_write_frame")
        }
    }

    /// The sample rate and channel layout a file written with `options` from audio of `inputSampleRate` and
    /// `inputChannels` encodes, in `sampleFormat` and frames of any size: what to resample to once when the same
    /// audio feeds several such files.
    static func shape(
        options: AudioOutputOptions, inputSampleRate: Int32, inputChannels: Int32, sampleFormat: AVSampleFormat
    ) throws -> AudioShape {
        let format = options.format
        guard let codec = avcodec_find_encoder_by_name(format.encoderName) else {
            throw FFmpegError("avcodec_find_encoder_by_name", message: "this FFmpeg has no \(format.encoderName) encoder")
        }
        let (sampleRate, channels) = rateAndChannels(options, inputSampleRate, inputChannels, codec)
        return AudioShape(
            sampleFormat: sampleFormat, sampleRate: sampleRate, channelLayout: ChannelLayout.defaultName(channels: channels))
    }

    private static func rateAndChannels(
        _ options: AudioOutputOptions, _ inputSampleRate: Int32, _ inputChannels: Int32, _ codec: UnsafePointer<AVCodec>
    ) -> (Int32, Int32) {
        let format = options.format
        let sampleRate = Self.sampleRate(Int32(options.sampleRate ?? Int(inputSampleRate)), supportedBy: codec)
        let channels = Int32(options.channels ?? Int(format.isLossless ? inputChannels : min(inputChannels, 2)))
        return (sampleRate, channels)
    }

    /// `wanted` if the encoder takes it, else the closest rate it does take.
    private static func sampleRate(_ wanted: Int32, supportedBy codec: UnsafePointer<AVCodec>) -> Int32 {
        guard let list = codec.pointee.supported_samplerates else { return wanted }
        var rates: [Int32] = []
        var index = 0
        while list[index] != 0 {
            rates.append(list[index])
            index += 1
        }
        if rates.contains(wanted) { return wanted }
        return rates.min { abs($0 - wanted) < abs($1 - wanted) } ?? wanted
    }

    /// Signed 16-bit when the encoder takes it (packed or planar), else its first format.
    private static func sampleFormat(for codec: UnsafePointer<AVCodec>) -> AVSampleFormat {
        guard let list = codec.pointee.sample_fmts else { return AV_SAMPLE_FMT_S16 }
        var formats: [AVSampleFormat] = []
        var index = 0
        while list[index] != AV_SAMPLE_FMT_NONE {
            formats.append(list[index])
            index += 1
        }
        for preferred in [AV_SAMPLE_FMT_S16, AV_SAMPLE_FMT_S16P] where formats.contains(preferred) {
            return preferred
        }
        return formats.first ?? AV_SAMPLE_FMT_S16
    }
}
