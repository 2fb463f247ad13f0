import CMediaFFmpeg
import CMediaShims
import Foundation

/// A video file being written: the muxer, a video encoder (H.264 or VP9) and, when asked, an
/// audio encoder (AAC or Opus). Owns all three through `OutputFile` and `Encoder`.
///
/// Video frames must be yuv420p at `width`×`height` with timestamps in `videoTimeBase`; audio
/// frames must have `audioShape` with timestamps counting samples.
final class VideoOutputFile {
    let file: OutputFile
    let video: Encoder
    let audio: Encoder?
    let audioShape: AudioShape?

    var videoTimeBase: AVRational { video.context.pointee.time_base }

    /// `audio` is the sample rate and channel count wanted, nil for a silent video.
    init(
        url: URL, options: VideoOutputOptions, width: Int32, height: Int32, frameRate: AVRational,
        audio: (sampleRate: Int32, channels: Int32)?
    ) throws {
        let format = options.format
        file = try OutputFile(url: url, muxer: format.muxerName)
        let quality = options.quality ?? format.defaultQuality
        var encoderOptions: [(String, String)] = [("crf", "\(quality)")]
        if format == .mp4 {
            encoderOptions.append(("preset", options.x264Preset ?? (options.fast ? "veryfast" : "medium")))
        } else {
            encoderOptions += [
                ("deadline", options.fast ? "realtime" : "good"), ("cpu-used", options.fast ? "8" : "2"),
                ("row-mt", "1"),
            ]
        }
        video = try Encoder(format.videoEncoderName, in: file, options: encoderOptions) { context, _ in
            context.pointee.width = width
            context.pointee.height = height
            context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            context.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
            context.pointee.framerate = frameRate
            context.pointee.time_base = av_inv_q(frameRate)
            context.pointee.bit_rate = 0
            // Automatic threads, as the ffmpeg program sets (libavcodec's default is one).
            context.pointee.thread_count = 0
        }
        video.stream.pointee.avg_frame_rate = frameRate
        if let audio {
            let encoder = try Encoder(format.audioEncoderName, in: file) { context, codec in
                let rates = Encoder.sampleRates(of: codec)
                let rate = rates.isEmpty || rates.contains(audio.sampleRate)
                    ? audio.sampleRate : rates.min { abs($0 - audio.sampleRate) < abs($1 - audio.sampleRate) }!
                let formats = Encoder.sampleFormats(of: codec)
                context.pointee.sample_rate = rate
                context.pointee.sample_fmt = formats.first { $0 == AV_SAMPLE_FMT_FLTP || $0 == AV_SAMPLE_FMT_FLT }
                    ?? formats.first ?? AV_SAMPLE_FMT_FLTP
                av_channel_layout_default(&context.pointee.ch_layout, audio.channels)
                context.pointee.time_base = AVRational(num: 1, den: rate)
                context.pointee.bit_rate = Int64(options.audioBitrateKbps ?? format.defaultAudioBitrateKbps) * 1000
            }
            let variable = encoder.codec.pointee.capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE != 0
            audioShape = AudioShape(
                sampleFormat: encoder.context.pointee.sample_fmt, sampleRate: encoder.context.pointee.sample_rate,
                channelLayout: ChannelLayout.name(of: encoder.context.pointee.ch_layout),
                frameSize: variable ? 0 : encoder.context.pointee.frame_size)
            self.audio = encoder
        } else {
            self.audio = nil
            audioShape = nil
        }
        try file.open(options: format == .mp4 ? [("movflags", "+faststart")] : [])
    }

    func writeVideo(_ frame: UnsafeMutablePointer<AVFrame>) throws {
        try video.send(frame)
    }

    func writeAudio(_ frame: UnsafeMutablePointer<AVFrame>) throws {
        try audio?.send(frame)
    }

    /// Flushes both encoders and writes the trailer.
    func finish() throws {
        try video.send(nil)
        try audio?.send(nil)
        try file.finish()
    }
}

/// A still image being written (png, jpeg or webp) through the `image2` muxer.
final class ImageOutputFile {
    let file: OutputFile
    let encoder: Encoder

    /// Frames must be `width`×`height` in `options.format.pixelFormatName`.
    init(url: URL, options: ImageOutputOptions, width: Int32, height: Int32) throws {
        file = try OutputFile(url: url, muxer: "image2")
        let format = options.format
        var encoderOptions: [(String, String)] = []
        if format == .webp {
            encoderOptions.append(("quality", "\(options.quality ?? 80)"))
        }
        encoder = try Encoder(format.encoderName, in: file, options: encoderOptions) { context, _ in
            context.pointee.width = width
            context.pointee.height = height
            context.pointee.pix_fmt = format.pixelFormat
            context.pointee.time_base = AVRational(num: 1, den: 1)
            context.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
            if format == .jpeg {
                context.pointee.color_range = AVCOL_RANGE_JPEG
                // JPEG quality 1–100 onto MJPEG's quantiser scale 31 (worst) … 2 (best).
                let quality = max(1, min(100, options.quality ?? 85))
                let qscale = 31 - (quality - 1) * 29 / 99
                context.pointee.flags |= AV_CODEC_FLAG_QSCALE
                context.pointee.global_quality = Int32(qscale) * FF_QP2LAMBDA
            }
        }
        try file.open(options: [("update", "1")])
    }

    /// Encodes the one picture and closes the file.
    func write(_ frame: UnsafeMutablePointer<AVFrame>) throws {
        frame.pointee.pts = 0
        if encoder.context.pointee.codec_id == AV_CODEC_ID_MJPEG {
            frame.pointee.quality = encoder.context.pointee.global_quality
        }
        try encoder.send(frame)
        try encoder.send(nil)
        try file.finish()
    }
}
