import CMediaFFmpeg
import CMediaShims
import Foundation

/// Making and changing frames of decoded audio: a part of a frame, silence, a constant gain.
enum SampleFrames {
    /// Fills `target` with `count` samples of `frame` from sample `offset` on (a copy, in its own buffers).
    static func slice(_ frame: UnsafePointer<AVFrame>, from offset: Int, count: Int, into target: Frame) throws {
        let pointer = target.pointer
        target.unref()
        pointer.pointee.format = frame.pointee.format
        pointer.pointee.sample_rate = frame.pointee.sample_rate
        // A shallow copy of the struct to point at; av_channel_layout_copy makes the deep one.
        var layout = frame.pointee.ch_layout
        try check(av_channel_layout_copy(&pointer.pointee.ch_layout, &layout), "av_channel_layout_copy")
        pointer.pointee.nb_samples = Int32(count)
        try check(av_frame_get_buffer(pointer, 0), "av_frame_get_buffer")
        try check(
            av_samples_copy(
                pointer.pointee.extended_data, frame.pointee.extended_data, 0, Int32(offset), Int32(count),
                frame.pointee.ch_layout.nb_channels, AVSampleFormat(rawValue: frame.pointee.format)),
            "av_samples_copy")
    }

    /// Fills `target` with `count` samples of digital silence shaped like `shape` (its frame size ignored).
    static func silence(_ shape: AudioShape, count: Int, into target: Frame) throws {
        let pointer = target.pointer
        target.unref()
        pointer.pointee.format = shape.sampleFormat.rawValue
        pointer.pointee.sample_rate = shape.sampleRate
        try check(av_channel_layout_from_string(&pointer.pointee.ch_layout, shape.channelLayout),
                  "av_channel_layout_from_string(\(shape.channelLayout))")
        pointer.pointee.nb_samples = Int32(count)
        try check(av_frame_get_buffer(pointer, 0), "av_frame_get_buffer")
        try check(
            av_samples_set_silence(
                pointer.pointee.extended_data, 0, Int32(count), pointer.pointee.ch_layout.nb_channels, shape.sampleFormat),
            "av_samples_set_silence")
    }

    /// The samples of a frame of packed 32-bit float audio, all channels interleaved.
    static func floats(_ frame: UnsafePointer<AVFrame>) -> UnsafeMutableBufferPointer<Float> {
        precondition(frame.pointee.format == AV_SAMPLE_FMT_FLT.rawValue, "packed float audio expected")
        let count = Int(frame.pointee.nb_samples) * Int(frame.pointee.ch_layout.nb_channels)
        guard count > 0, let data = mj_frame_data(frame, 0) else { return UnsafeMutableBufferPointer(start: nil, count: 0) }
        return UnsafeMutableBufferPointer(
            start: UnsafeMutableRawPointer(data).assumingMemoryBound(to: Float.self), count: count)
    }

    /// Multiplies every sample of a packed-float `frame` by 10^(`decibels`/20), in a buffer of its own.
    static func applyGain(_ decibels: Double, to frame: UnsafeMutablePointer<AVFrame>) throws {
        guard decibels != 0 else { return }
        // The buffer may be shared with the decoder or a filter: make it this frame's own first.
        try check(av_frame_make_writable(frame), "av_frame_make_writable")
        let factor = Float(pow(10, decibels / 20))
        let samples = floats(frame)
        guard var sample = samples.baseAddress else { return }
        let stop = sample + samples.count
        while sample < stop {
            sample.pointee *= factor
            sample += 1
        }
    }
}
