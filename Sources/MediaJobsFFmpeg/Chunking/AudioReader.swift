import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// Decodes the best audio stream of a file in one pass and hands each frame on, nothing kept: the streaming
/// core of planning cuts, cutting and joining, whose memory does not grow with the file's length.
///
/// Errors name the file: `media.empty`, `media.not_media` (a text body), `media.open_failed` (missing, not
/// media), `media.no_streams`, `media.decode_failed`, `media.zero_duration`, `media.canceled`. Errors a
/// frame's consumer throws pass through unchanged, so a consumer maps its own (naming its own file).
final class AudioReader {
    let url: URL
    private let input: InputFile
    private let streamIndex: Int
    private let decoder: Decoder
    private let cancel: CancellationFlag
    /// The stream's sample rate and channel count, as its headers say (a decoded frame may differ).
    let sampleRate: Int32
    let channels: Int32

    init(opening url: URL, cancel: CancellationFlag) throws {
        self.url = url
        self.cancel = cancel
        _ = try ContentSniffer.inspect(url, limits: .defaults)
        input = try InputFile(opening: url)
        input.setInterrupt(cancel)
        guard let streamIndex = input.bestStream(AVMEDIA_TYPE_AUDIO) else {
            let found = MediaProbe.info(of: input).streams.map(\.type).joined(separator: ", ")
            throw MediaJobsError.media(.mediaNoStreams, url, "no audio stream (found \(found.isEmpty ? "none" : found))")
        }
        self.streamIndex = streamIndex
        let stream = input.stream(streamIndex)
        decoder = try mapFFmpegErrors(.mediaDecodeFailed, url, "cannot decode audio") { try Decoder(for: stream) }
        sampleRate = stream.pointee.codecpar.pointee.sample_rate
        channels = stream.pointee.codecpar.pointee.ch_layout.nb_channels
        guard sampleRate > 0, channels > 0 else {
            throw MediaJobsError.media(.mediaDecodeFailed, url, "the audio stream declares no sample rate or channels")
        }
    }

    /// Decodes to the end, converts every frame to `shape` (frames of any size) and hands each to `body`, which
    /// must not keep it. Returns the samples (per channel) handed over; throws `media.zero_duration` for none.
    @discardableResult
    func read(as shape: AudioShape, _ body: (UnsafeMutablePointer<AVFrame>) throws -> Void) throws -> Int {
        var converter: AudioConverter?
        let converted = try Frame()
        var samplesIn: Int64 = 0
        var samplesOut = 0
        try decodeAll { frame in
            if converter == nil {
                converter = try AudioConverter(like: frame, to: shape)
            }
            // Numbered by the samples seen: the stream's own timestamps are in another time base.
            frame.pointee.pts = samplesIn
            samplesIn += Int64(frame.pointee.nb_samples)
            try converter!.push(frame)
            try converter!.drain(into: converted) { out in
                samplesOut += Int(out.pointee.nb_samples)
                try body(out)
            }
        } atEnd: {
            guard let converter else { return }
            try converter.push(nil)
            try converter.drain(into: converted) { out in
                samplesOut += Int(out.pointee.nb_samples)
                try body(out)
            }
        }
        if samplesOut == 0 { throw MediaJobsError.media(.mediaZeroDuration, url, "decoded no audio") }
        return samplesOut
    }

    /// Decodes to the end without converting and returns the decoded duration in seconds (samples over the rate).
    func decodedSeconds() throws -> Double {
        var seconds = 0.0
        try decodeAll({ frame in
            if frame.pointee.sample_rate > 0 {
                seconds += Double(frame.pointee.nb_samples) / Double(frame.pointee.sample_rate)
            }
        }, atEnd: {})
        return seconds
    }

    /// Hands every decoded frame to `body`, then calls `atEnd`; FFmpeg's failures become `media.decode_failed`.
    private func decodeAll(
        _ body: (UnsafeMutablePointer<AVFrame>) throws -> Void, atEnd: () throws -> Void
    ) throws {
        do {
            try mapFFmpegErrors(.mediaDecodeFailed, url, "cannot decode audio") {
                let packet = try Packet()
                while try input.read(into: packet) {
                    defer { packet.unref() }
                    try cancel.check(url)
                    guard Int(packet.pointer.pointee.stream_index) == streamIndex else { continue }
                    // A packet the decoder refuses is skipped, as the transcoder does; a file of nothing else
                    // ends as media.zero_duration.
                    try decoder.decode(packet.pointer, body)
                }
                try decoder.decode(nil, body)
                try atEnd()
            }
        } catch let error as MediaJobsError where cancel.isCanceled && error.code != .mediaCanceled {
            // A read interrupted by cancellation fails as an FFmpeg error; say what happened.
            throw MediaJobsError.media(.mediaCanceled, url, "canceled", underlying: error)
        }
    }
}
