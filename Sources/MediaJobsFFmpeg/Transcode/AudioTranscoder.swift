import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// Decodes the best audio stream of a file and writes it in another format.
struct AudioTranscoder {
    let input: URL
    let output: URL
    let options: AudioOutputOptions
    let cancel: CancellationFlag

    func run() throws {
        let file = try InputFile(opening: input)
        file.setInterrupt(cancel)
        guard let streamIndex = file.bestStream(AVMEDIA_TYPE_AUDIO) else {
            let found = MediaProbe.info(of: file).streams.map(\.type).joined(separator: ", ")
            throw MediaJobsError.media(.mediaNoStreams, input, "no audio stream to transcode (found \(found.isEmpty ? "none" : found))")
        }
        let decoder = try mapFFmpegErrors(.mediaDecodeFailed, input, "cannot decode audio") {
            try Decoder(for: file.stream(streamIndex))
        }
        do {
            try mapFFmpegErrors(.mediaTranscodeFailed, output, "cannot write \(options.format.rawValue) from \(input.path)") {
                let writer = try AudioWriter(url: output, options: options)
                let packet = try Packet()
                while try file.read(into: packet) {
                    defer { packet.unref() }
                    try cancel.check(input)
                    guard Int(packet.pointer.pointee.stream_index) == streamIndex else { continue }
                    try decoder.decode(packet.pointer) { try writer.write($0) }
                }
                try decoder.decode(nil) { try writer.write($0) }
                try writer.finish(source: input)
            }
        } catch {
            try? FileManager.default.removeItem(at: output)
            throw error
        }
    }
}

/// Writes decoded frames of any shape to an audio file, converting them on the way; the encoder
/// and converter are made when the first frame shows the input's shape.
final class AudioWriter {
    let url: URL
    let options: AudioOutputOptions
    private var file: AudioOutputFile?
    private var converter: AudioConverter?
    private let converted: Frame
    private(set) var samplesWritten = 0
    private var samplesRead: Int64 = 0
    /// The sample rate of the first frame written (0 before it).
    private(set) var inputSampleRate: Int32 = 0

    init(url: URL, options: AudioOutputOptions) throws {
        self.url = url
        self.options = options
        converted = try Frame()
    }

    func write(_ frame: UnsafeMutablePointer<AVFrame>) throws {
        if converter == nil {
            let file = try AudioOutputFile(
                url: url, options: options, inputSampleRate: frame.pointee.sample_rate,
                inputChannels: frame.pointee.ch_layout.nb_channels)
            converter = try AudioConverter(like: frame, to: file.shape, loudnessLUFS: options.loudnessLUFS)
            inputSampleRate = frame.pointee.sample_rate
            self.file = file
        }
        // Timestamps are renumbered from the samples seen, so inputs joined end to end stay in order.
        frame.pointee.pts = samplesRead
        samplesRead += Int64(frame.pointee.nb_samples)
        try converter!.push(frame)
        try pull()
    }

    /// Flushes everything; throws `media.zero_duration` (via the caller's mapping) if no audio came.
    func finish(source: URL) throws {
        guard let converter, let file else {
            throw MediaJobsError.media(.mediaZeroDuration, source, "decoded no audio to write")
        }
        try converter.push(nil)
        try pull()
        try file.finish()
    }

    private func pull() throws {
        guard let converter, let file else { return }
        try converter.drain(into: converted) { frame in
            samplesWritten += Int(frame.pointee.nb_samples)
            try file.write(frame)
        }
    }
}

extension MediaEngine {
    /// Writes the best audio stream of `input` to `output` as `options.format` (wav, mp3, opus, flac,
    /// ADTS aac or m4a), resampled and remixed with libswresample (through libavfilter's `aresample`).
    ///
    /// An unsupported sample rate becomes the nearest one the encoder takes (opus: 48, 24, 16, 12 or 8 kHz).
    /// On failure the partial `output` is deleted and `media.transcode_failed` (or the input's
    /// `media.open_failed`, `media.no_streams`, `media.decode_failed`) names the file and FFmpeg's reason.
    public func transcodeAudio(_ input: URL, to output: URL, options: AudioOutputOptions) async throws {
        try await run { cancel in
            try AudioTranscoder(input: input, output: output, options: options, cancel: cancel).run()
        }
    }
}
