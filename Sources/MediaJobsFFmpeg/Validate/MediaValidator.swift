import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// Decodes every frame of every audio and video stream and checks the result against a `MediaExpectation`.
struct MediaValidator {
    let file: URL
    let expectation: MediaExpectation
    let cancel: CancellationFlag

    /// Per-stream tallies gathered while decoding.
    fileprivate struct StreamTally {
        let index: Int
        let type: AVMediaType
        let decoder: Decoder
        let timeBase: AVRational
        var frames = 0
        var samples = 0
        var sampleRate: Int32 = 0
        var errors = 0
        var firstError: Int32?
        var firstPts: Int64?
        var endPts: Int64?

        var typeName: String { MediaProbe.typeName(type) }

        var durationSeconds: Double {
            if type == AVMEDIA_TYPE_AUDIO {
                return sampleRate > 0 ? Double(samples) / Double(sampleRate) : 0
            }
            guard let firstPts, let endPts, endPts > firstPts else { return 0 }
            return Double(endPts - firstPts) * av_q2d(timeBase)
        }
    }

    func run() throws -> MediaReport {
        let input = try InputFile(opening: file)
        let info = MediaProbe.info(of: input)
        var checks = ["opened as \(info.container) with \(info.streams.count) stream(s)"]

        try checkKind(info)
        var tallies: [Int: StreamTally] = [:]
        for stream in info.streams where stream.type == StreamInfo.audio || stream.type == StreamInfo.video {
            let avStream = input.stream(stream.index)
            let decoder = try mapFFmpegErrors(.mediaDecodeFailed, file, "stream \(stream.index) (\(stream.codec))") {
                try Decoder(for: avStream)
            }
            tallies[stream.index] = StreamTally(
                index: stream.index, type: avStream.pointee.codecpar.pointee.codec_type, decoder: decoder,
                timeBase: avStream.pointee.time_base)
        }
        if tallies.isEmpty {
            let found = info.streams.map(\.type).joined(separator: ", ")
            throw MediaJobsError.media(
                .mediaNoStreams, file,
                "no audio or video stream (\(info.container) with \(found.isEmpty ? "no streams" : found))")
        }

        var demuxError: FFmpegError?
        let packet = try Packet()
        while true {
            try cancel.check(file)
            let more: Bool
            do {
                more = try input.read(into: packet)
            } catch let error as FFmpegError {
                demuxError = error
                break
            }
            if !more { break }
            defer { packet.unref() }
            let index = Int(packet.pointer.pointee.stream_index)
            guard var tally = tallies[index] else { continue }
            let decoder = tally.decoder
            let errors = try decoder.decode(packet.pointer) { frame in tally.count(frame) }
            tally.record(errors)
            tallies[index] = tally
        }
        for index in tallies.keys.sorted() {
            var tally = tallies[index]!
            let decoder = tally.decoder
            let errors = try decoder.decode(nil) { frame in tally.count(frame) }
            tally.record(errors)
            tallies[index] = tally
        }

        let ordered = tallies.keys.sorted().map { tallies[$0]! }
        let totalErrors = ordered.reduce(0) { $0 + $1.errors } + (demuxError == nil ? 0 : 1)
        if let demuxError {
            throw MediaJobsError.media(
                .mediaDecodeFailed, file, "cannot read past a damaged part: \(demuxError.message)", underlying: demuxError)
        }
        if totalErrors > expectation.maxDecodeErrors, let bad = ordered.first(where: { $0.errors > 0 }) {
            let reason = FFmpegError.message(for: bad.firstError ?? AVStatus.invalidData)
            throw MediaJobsError.media(
                .mediaDecodeFailed, file,
                "\(bad.errors) decode error(s) in \(bad.typeName) stream \(bad.index) (\(bad.decoder.codecName)): \(reason)",
                underlying: FFmpegError("avcodec_receive_frame", status: bad.firstError ?? AVStatus.invalidData))
        }
        for tally in ordered {
            if tally.frames == 0 {
                throw MediaJobsError.media(
                    .mediaDecodeFailed, file,
                    "decoded no frames from \(tally.typeName) stream \(tally.index) (\(tally.decoder.codecName))")
            }
            checks.append("decoded \(tally.frames) \(tally.typeName) frames from stream \(tally.index) (\(tally.decoder.codecName))")
        }
        checks.append(totalErrors == 0 ? "no decode errors" : "\(totalErrors) decode error(s), \(expectation.maxDecodeErrors) tolerated")

        let duration = ordered.map(\.durationSeconds).max() ?? 0
        let hasAudio = ordered.contains { $0.type == AVMEDIA_TYPE_AUDIO }
        let isStill = expectation.kind == .image
            || (!hasAudio && ordered.allSatisfy { $0.frames <= 1 } && expectation.kind != .video)
        if isStill {
            checks.append("still image: duration not checked")
        } else {
            if duration <= 0.0005 {
                throw MediaJobsError.media(
                    .mediaZeroDuration, file, "decoded frames add up to no time (duration \(format(duration)) s)")
            }
            checks.append("duration \(format(duration)) s > 0")
            if let minimum = expectation.minDurationSeconds {
                guard duration >= minimum else {
                    throw MediaJobsError.media(
                        .mediaInvalidOutput, file,
                        "duration \(format(duration)) s is shorter than the expected \(format(minimum)) s")
                }
                checks.append("duration \(format(duration)) s ≥ \(format(minimum)) s")
            }
            if let maximum = expectation.maxDurationSeconds {
                guard duration <= maximum else {
                    throw MediaJobsError.media(
                        .mediaInvalidOutput, file,
                        "duration \(format(duration)) s is longer than the allowed \(format(maximum)) s")
                }
                checks.append("duration \(format(duration)) s ≤ \(format(maximum)) s")
            }
        }
        return MediaReport(
            info: info, decodedFrames: ordered.reduce(0) { $0 + $1.frames }, decodeErrors: totalErrors,
            durationSeconds: duration, checks: checks)
    }

    private func checkKind(_ info: MediaInfo) throws {
        let found = info.streams.isEmpty ? "no streams" : info.streams.map { "\($0.type) (\($0.codec))" }.joined(separator: ", ")
        switch expectation.kind {
        case .audio where info.audioStreams.isEmpty:
            throw MediaJobsError.media(.mediaNoStreams, file, "expected audio but found \(found)")
        case .video where info.videoStreams.isEmpty:
            throw MediaJobsError.media(.mediaNoStreams, file, "expected video but found \(found)")
        case .image where info.streams.allSatisfy({ $0.type != StreamInfo.video }):
            throw MediaJobsError.media(.mediaNoStreams, file, "expected an image but found \(found)")
        default:
            break
        }
    }

    private func format(_ seconds: Double) -> String { String(format: "%.2f", seconds) }
}

extension MediaValidator.StreamTally {
    fileprivate mutating func count(_ frame: UnsafeMutablePointer<AVFrame>) {
        frames += 1
        if type == AVMEDIA_TYPE_AUDIO {
            samples += Int(frame.pointee.nb_samples)
            sampleRate = frame.pointee.sample_rate
        }
        let pts = frame.pointee.best_effort_timestamp
        if pts != AVStatus.noTimestamp {
            if firstPts == nil || pts < firstPts! { firstPts = pts }
            let duration = frame.pointee.pkt_duration > 0 ? frame.pointee.pkt_duration : 0
            if endPts == nil || pts + duration > endPts! { endPts = pts + duration }
        }
    }

    fileprivate mutating func record(_ errors: [Int32]) {
        if firstError == nil { firstError = errors.first }
        self.errors += errors.count
    }
}

extension MediaEngine {
    /// Decodes every frame of every audio and video stream of `file` and checks it against `expecting`.
    ///
    /// Throws `MediaJobsError` naming the file and FFmpeg's reason: `media.open_failed` (missing, empty,
    /// not media), `media.no_streams`, `media.decode_failed`, `media.zero_duration`, `media.invalid_output`
    /// (outside the expected duration).
    public func validate(_ file: URL, expecting: MediaExpectation = MediaExpectation()) async throws -> MediaReport {
        try await run { cancel in
            try MediaValidator(file: file, expectation: expecting, cancel: cancel).run()
        }
    }
}
