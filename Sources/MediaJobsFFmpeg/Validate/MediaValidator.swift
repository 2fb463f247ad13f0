import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// Decodes every frame of every audio and video stream and checks the result against a `MediaExpectation`
/// and the configured `MediaLimits`.
///
/// Order: cheap checks first (empty, text body, declared size and length, extension, expected
/// shape), then one decoding pass that counts errors and feeds the content checks (peak level,
/// `blackdetect`/`freezedetect`, colour spread), then the measured duration against the header
/// (truncation) and the expectation.
struct MediaValidator {
    let file: URL
    let expectation: MediaExpectation
    let limits: MediaLimits
    let cancel: CancellationFlag
    var progress: MediaProgress? = nil

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
        var peak = 0.0
        var pictures: PictureAnalyzer?
        /// MPEG audio (MP1/2/3): the header word and size of the last packet, to tell a last frame cut short.
        var mpegAudio = false
        var lastHeader: UInt32 = 0
        var lastPacketSize = 0

        var typeName: String { MediaProbe.typeName(type) }

        var durationSeconds: Double {
            if type == AVMEDIA_TYPE_AUDIO {
                return sampleRate > 0 ? Double(samples) / Double(sampleRate) : 0
            }
            guard let firstPts, let endPts, endPts > firstPts else { return 0 }
            return Double(endPts - firstPts) * av_q2d(timeBase)
        }
    }

    /// The checks made before decoding, whose cost does not grow with the file's length: the first bytes, the
    /// declared size and length, the extension, the index against the file's size, the expected kind and shape.
    /// What `MediaEngine.inspect` answers with, and where `run` starts.
    func inspect() throws -> (input: InputFile, info: MediaInfo, checks: [MediaCheck]) {
        var checks: [MediaCheck] = []
        let bytes = try ContentSniffer.inspect(file, limits: limits)
        let input = try InputFile(opening: file, maxPixels: limits.maxPixels) { context in
            try checkDeclaredSize(context)
        }
        input.setInterrupt(cancel)
        try checkDeclaredSize(input.context)
        let info = MediaProbe.info(of: input)
        checks.append(MediaCheck(name: "open", detail: "opened as \(info.container) with \(info.streams.count) stream(s)" + (bytes > 0 ? ", \(bytes) bytes" : "")))
        if let matched = try ContentSniffer.checkExtension(file, info: info) { checks.append(MediaCheck(name: "extension", detail: matched)) }
        if bytes > 0 { checks.append(MediaCheck(name: "complete", detail: try checkComplete(input, bytes: bytes))) }
        try checkKind(info)
        checks += try checkShape(info)
        return (input, info, checks)
    }

    func run() throws -> MediaReport {
        let (input, info, inspected) = try inspect()
        var checks = inspected

        var tallies: [Int: StreamTally] = [:]
        let firstVideo = info.videoStreams.first?.index
        for stream in info.streams where stream.type == StreamInfo.audio || stream.type == StreamInfo.video {
            let avStream = input.stream(stream.index)
            let decoder = try mapFFmpegErrors(.mediaDecodeFailed, file, "stream \(stream.index) (\(stream.codec))") {
                try Decoder(for: avStream, maxPixels: limits.maxPixels)
            }
            var tally = StreamTally(
                index: stream.index, type: avStream.pointee.codecpar.pointee.codec_type, decoder: decoder,
                timeBase: avStream.pointee.time_base)
            tally.mpegAudio = [AV_CODEC_ID_MP3, AV_CODEC_ID_MP2, AV_CODEC_ID_MP1]
                .contains(avStream.pointee.codecpar.pointee.codec_id)
            if expectation.checkContent && stream.index == (firstVideo ?? info.streams.first { $0.type == StreamInfo.video }?.index) {
                tally.pictures = try PictureAnalyzer(limits: limits)
            }
            tallies[stream.index] = tally
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
            if let progress, let total = info.durationSeconds, total > 0, packet.pointer.pointee.pts != AVStatus.noTimestamp {
                progress(min(1, Double(packet.pointer.pointee.pts) * av_q2d(tally.timeBase) / total))
            }
            if tally.mpegAudio {
                let size = Int(packet.pointer.pointee.size)
                tally.lastHeader = MPEGAudioFrame.header(packet.pointer.pointee.data, size: size)
                tally.lastPacketSize = size
            }
            let decoder = tally.decoder
            let errors = try decoder.decode(packet.pointer) { frame in try tally.count(frame) }
            tally.record(errors)
            tallies[index] = tally
        }
        for index in tallies.keys.sorted() {
            var tally = tallies[index]!
            let decoder = tally.decoder
            let errors = try decoder.decode(nil) { frame in try tally.count(frame) }
            tally.record(errors)
            try mapFFmpegErrors(.mediaDecodeFailed, file, "analysing the picture") { try tally.pictures?.finish() }
            tallies[index] = tally
        }

        let ordered = tallies.keys.sorted().map { tallies[$0]! }
        let duration = ordered.map(\.durationSeconds).max() ?? 0
        let totalErrors = ordered.reduce(0) { $0 + $1.errors }
        let tolerated = expectation.maxDecodeErrors ?? limits.maxDecodeErrors
        if let demuxError {
            // The demuxer could not go on: a cut file reads to a premature end, a damaged one fails here.
            if let header = info.durationSeconds, duration < header * (1 - limits.truncationToleranceFraction) {
                throw truncated(measured: duration, header: header, reason: demuxError.message)
            }
            throw MediaJobsError.media(
                .mediaCorrupt, file, "cannot read past a damaged part after \(format(duration)) s: \(demuxError.message)",
                underlying: demuxError)
        }
        for tally in ordered where tally.mpegAudio {
            // A cut MP3 ends in a short packet that decodes without an error: its header says how long it should be.
            if let length = MPEGAudioFrame.declaredLength(header: tally.lastHeader), tally.lastPacketSize < length {
                throw MediaJobsError.media(
                    .mediaTruncated, file,
                    "cut short: the last \(tally.decoder.codecName) frame of stream \(tally.index) holds \(tally.lastPacketSize) of the \(length) bytes its header declares (the file ends mid-frame, after \(format(duration)) s)")
            }
        }
        if totalErrors > tolerated, let bad = ordered.first(where: { $0.errors > 0 }) {
            let reason = FFmpegError.message(for: bad.firstError ?? AVStatus.invalidData)
            throw MediaJobsError.media(
                .mediaCorrupt, file,
                "\(totalErrors) corrupt packet(s) (\(tolerated) tolerated), first in \(bad.typeName) stream \(bad.index) (\(bad.decoder.codecName)): \(reason)",
                underlying: FFmpegError("avcodec_receive_frame", status: bad.firstError ?? AVStatus.invalidData))
        }
        for tally in ordered {
            if tally.frames == 0 {
                throw MediaJobsError.media(
                    .mediaDecodeFailed, file,
                    "decoded no frames from \(tally.typeName) stream \(tally.index) (\(tally.decoder.codecName))")
            }
            checks.append(MediaCheck(
                name: "decode",
                detail: "decoded \(tally.frames) \(tally.typeName) frames from stream \(tally.index) (\(tally.decoder.codecName))"))
        }
        checks.append(MediaCheck(
            name: "decode", passed: totalErrors == 0,
            detail: totalErrors == 0 ? "no decode errors" : "\(totalErrors) decode error(s), \(tolerated) tolerated"))

        let hasAudio = ordered.contains { $0.type == AVMEDIA_TYPE_AUDIO }
        let isStill = expectation.kind == .image
            || (!hasAudio && ordered.allSatisfy { $0.frames <= 1 } && expectation.kind != .video)
        if isStill {
            checks.append(MediaCheck(name: "duration", detail: "still image: duration not checked"))
        } else {
            // A header duration guessed from the bitrate (MP3 without an index) is no promise.
            let estimated = input.context.pointee.duration_estimation_method == AVFMT_DURATION_FROM_BITRATE
            checks += try checkDuration(duration, header: totalErrors == 0 && !estimated ? info.durationSeconds : nil)
        }
        var report = MediaReport(
            info: info, decodedFrames: ordered.reduce(0) { $0 + $1.frames }, decodeErrors: totalErrors,
            durationSeconds: duration, results: checks)
        if expectation.checkContent {
            try checkContent(ordered, isStill: isStill, duration: duration, report: &report)
        }
        return report
    }

    // MARK: - Before decoding

    /// Refuses pictures and durations beyond the limits as the headers declare them.
    private func checkDeclaredSize(_ context: UnsafeMutablePointer<AVFormatContext>) throws {
        for index in 0..<Int(context.pointee.nb_streams) {
            guard let parameters = context.pointee.streams[index]?.pointee.codecpar?.pointee,
                parameters.codec_type == AVMEDIA_TYPE_VIDEO, parameters.width > 0, parameters.height > 0
            else { continue }
            try ContentSniffer.checkPicture(
                width: Int(parameters.width), height: Int(parameters.height), limits: limits, file: file,
                source: "header of stream \(index)")
        }
        let duration = context.pointee.duration
        if duration != AVStatus.noTimestamp && duration > 0 {
            let seconds = Double(duration) / Double(mj_av_time_base())
            if seconds > limits.maxDurationS {
                throw MediaJobsError.media(
                    .mediaTooLarge, file,
                    "the header declares \(format(seconds)) s, beyond the limit of \(format(limits.maxDurationS)) s: refused before decoding")
            }
        }
    }

    /// Whether the file holds everything its header and index announce: a WAV's data chunk, the
    /// packets an MP4 or Matroska index points to. A download cut short fails here, before decoding.
    private func checkComplete(_ input: InputFile, bytes: Int) throws -> String {
        if let (announced, present) = ContentSniffer.wavShortfall(file, size: bytes) {
            throw truncated(measured: present, header: announced, reason: "the data chunk runs past the end of the file")
        }
        var furthest: Int64 = 0
        var lastPresent = 0.0
        var lastListed = 0.0
        for index in 0..<input.streamCount {
            let stream = input.stream(index)
            let timeBase = av_q2d(stream.pointee.time_base)
            let count = avformat_index_get_entries_count(stream)
            for entry in 0..<count {
                guard let item = avformat_index_get_entry(stream, entry)?.pointee else { continue }
                let end = item.pos + Int64(item.size)
                furthest = max(furthest, end)
                let time = Double(item.timestamp) * timeBase
                lastListed = max(lastListed, time)
                if end <= Int64(bytes) { lastPresent = max(lastPresent, time) }
            }
        }
        if furthest > Int64(bytes) {
            throw truncated(
                measured: lastPresent, header: max(lastListed, Self.seconds(input.context.pointee.duration)),
                reason: "the index points \(furthest - Int64(bytes)) bytes past the end of the \(bytes)-byte file")
        }
        return furthest > 0 ? "every packet the index lists is in the file" : "\(bytes) bytes read"
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

    /// Size, frame rate, sound track and container against the expectation, from the headers.
    private func checkShape(_ info: MediaInfo) throws -> [MediaCheck] {
        var checks: [MediaCheck] = []
        let picture = info.videoStreams.first ?? info.streams.first { $0.type == StreamInfo.video }
        if let format = expectation.format {
            let names = info.container.split(separator: ",").map(String.init)
            let codecs = info.streams.map(\.codec)
            let aliases = ["m4a": "mp4", "jpg": "mjpeg", "jpeg": "mjpeg", "png": "png", "webp": "webp", "opus": "ogg",
                           "aac": "aac"]
            let wanted = aliases[format] ?? format
            guard names.contains(wanted) || codecs.contains(wanted) || names.contains(format) else {
                throw MediaJobsError.media(
                    .mediaMismatch, file, "expected \(format) but the file is \(info.container) (\(codecs.joined(separator: ", ")))")
            }
            checks.append(MediaCheck(name: "format", detail: "format \(format) as expected"))
        }
        if expectation.width != nil || expectation.height != nil {
            guard let picture, let width = picture.width, let height = picture.height else {
                throw MediaJobsError.media(.mediaMismatch, file, "expected a picture size but the file has no picture")
            }
            let wanted = "\(expectation.width.map(String.init) ?? "any")x\(expectation.height.map(String.init) ?? "any")"
            if let expected = expectation.width, expected != width {
                throw MediaJobsError.media(.mediaMismatch, file, "the picture is \(width)x\(height), not the \(wanted) asked for")
            }
            if let expected = expectation.height, expected != height {
                throw MediaJobsError.media(.mediaMismatch, file, "the picture is \(width)x\(height), not the \(wanted) asked for")
            }
            checks.append(MediaCheck(name: "size", detail: "size \(width)x\(height) as asked"))
        }
        if let expected = expectation.frameRate, let picture = info.videoStreams.first {
            let rate = picture.frameRate ?? 0
            guard abs(rate - expected) <= expected * limits.frameRateTolerance else {
                throw MediaJobsError.media(
                    .mediaMismatch, file, "the frame rate is \(format(rate)) fps, not the \(format(expected)) fps asked for")
            }
            checks.append(MediaCheck(name: "frame_rate", detail: "frame rate \(format(rate)) fps as asked"))
        }
        if let wanted = expectation.audioTrack, !info.videoStreams.isEmpty {
            let has = !info.audioStreams.isEmpty
            if wanted && !has {
                throw MediaJobsError.media(.mediaMismatch, file, "a sound track was asked for but the video has none")
            }
            if !wanted && has {
                throw MediaJobsError.media(.mediaMismatch, file, "a silent video was asked for but it has a sound track")
            }
            checks.append(MediaCheck(name: "audio_track", detail: has ? "sound track present as asked" : "no sound track, as asked"))
        }
        return checks
    }

    // MARK: - After decoding

    private func checkDuration(_ duration: Double, header: Double?) throws -> [MediaCheck] {
        var checks: [MediaCheck] = []
        if duration <= 0.0005 {
            throw MediaJobsError.media(
                .mediaZeroDuration, file, "decoded frames add up to no time (duration \(format(duration)) s)")
        }
        checks.append(MediaCheck(name: "duration", detail: "duration \(format(duration)) s > 0"))
        if let header, header - duration > max(0.5, header * limits.truncationToleranceFraction) {
            throw truncated(measured: duration, header: header, reason: nil)
        }
        if let minimum = expectation.minDurationSeconds {
            guard duration >= minimum else {
                throw MediaJobsError.media(
                    .mediaInvalidOutput, file, "duration \(format(duration)) s is shorter than the expected \(format(minimum)) s")
            }
            checks.append(MediaCheck(name: "duration", detail: "duration \(format(duration)) s ≥ \(format(minimum)) s"))
        }
        if let maximum = expectation.maxDurationSeconds {
            guard duration <= maximum else {
                throw MediaJobsError.media(
                    .mediaInvalidOutput, file, "duration \(format(duration)) s is longer than the allowed \(format(maximum)) s")
            }
            checks.append(MediaCheck(name: "duration", detail: "duration \(format(duration)) s ≤ \(format(maximum)) s"))
        }
        if let expected = expectation.durationSeconds {
            let tolerance = limits.durationTolerance(for: expected)
            guard abs(duration - expected) <= tolerance else {
                throw MediaJobsError.media(
                    .mediaMismatch, file,
                    "duration \(format(duration)) s is not the \(format(expected)) s asked for (± \(format(tolerance)) s)")
            }
            checks.append(MediaCheck(
                name: "duration", detail: "duration \(format(duration)) s within \(format(tolerance)) s of \(format(expected)) s"))
        }
        if let characters = expectation.spokenCharacters, characters >= limits.speechMinTextCharacters {
            let rate = Double(characters) / duration
            if rate > limits.speechMaxCharsPerSecond {
                throw MediaJobsError.media(
                    .mediaImplausibleLength, file,
                    "\(format(duration)) s of speech for \(characters) characters is \(format(rate)) characters/s, more than \(format(limits.speechMaxCharsPerSecond)): the end of the text was probably dropped")
            }
            if rate < limits.speechMinCharsPerSecond {
                throw MediaJobsError.media(
                    .mediaImplausibleLength, file,
                    "\(format(duration)) s of speech for \(characters) characters is \(format(rate)) characters/s, fewer than \(format(limits.speechMinCharsPerSecond)): far too long for its text")
            }
            checks.append(MediaCheck(
                name: "speech_rate",
                detail: "speech \(format(rate)) characters/s for \(characters) characters (plausible: \(format(limits.speechMinCharsPerSecond))–\(format(limits.speechMaxCharsPerSecond)))"))
        }
        return checks
    }

    private func checkContent(_ tallies: [StreamTally], isStill: Bool, duration: Double, report: inout MediaReport) throws {
        if let audio = tallies.first(where: { $0.type == AVMEDIA_TYPE_AUDIO }) {
            let peak = AudioLevel.decibels(tallies.filter { $0.type == AVMEDIA_TYPE_AUDIO }.map(\.peak).max() ?? 0)
            report.audioPeakDB = peak
            if peak < limits.silenceThresholdDb {
                throw MediaJobsError.media(
                    .mediaSilent, file,
                    "the audio is silent from start to end (peak \(peak <= -200 ? "-inf" : format(peak)) dBFS < \(format(limits.silenceThresholdDb)) dBFS, stream \(audio.index))")
            }
            report.add("silence", "audio peak \(format(peak)) dBFS, not silent")
        }
        guard let video = tallies.first(where: { $0.pictures != nil }), let pictures = video.pictures else { return }
        report.blackFrames = pictures.blackFrames
        report.videoFrames = pictures.frames
        if isStill {
            if let spread = pictures.colourSpread {
                if spread <= limits.flatImageTolerance {
                    throw MediaJobsError.media(
                        .mediaFlatImage, file,
                        "the image is one flat colour (every RGB channel spans \(spread) of 255 levels, at most \(limits.flatImageTolerance) allowed)")
                }
                report.add("flat_image", "image colours span \(spread) of 255 levels, not flat")
            }
            return
        }
        if pictures.isBlack {
            throw MediaJobsError.media(
                .mediaBlack, file, "the video is black from start to end (blackdetect: \(pictures.blackFrames) of \(pictures.frames) frames)")
        }
        report.add("black", "blackdetect: \(pictures.blackFrames) of \(pictures.frames) frames black, not all")
        if pictures.isFrozen {
            throw MediaJobsError.media(
                .mediaFrozen, file, "the video is frozen: the picture never changes over \(pictures.frames) frames (freezedetect)")
        }
        report.add("freeze", "freezedetect: the picture changes")
    }

    private func truncated(measured: Double, header: Double, reason: String?) -> MediaJobsError {
        MediaJobsError.media(
            .mediaTruncated, file,
            "cut short: holds \(format(measured)) s of the \(format(header)) s its header announces"
                + (reason.map { " (\($0))" } ?? ""))
    }

    private func format(_ seconds: Double) -> String { String(format: "%.2f", seconds) }

    /// A duration in AV_TIME_BASE units as seconds (0 when unknown).
    private static func seconds(_ duration: Int64) -> Double {
        duration == AVStatus.noTimestamp || duration <= 0 ? 0 : Double(duration) / Double(mj_av_time_base())
    }
}

extension MediaValidator.StreamTally {
    fileprivate mutating func count(_ frame: UnsafeMutablePointer<AVFrame>) throws {
        frames += 1
        if type == AVMEDIA_TYPE_AUDIO {
            samples += Int(frame.pointee.nb_samples)
            sampleRate = frame.pointee.sample_rate
            if peak < 1 { peak = max(peak, AudioLevel.peak(of: frame)) }
        }
        let pts = frame.pointee.best_effort_timestamp
        if pts != AVStatus.noTimestamp {
            if firstPts == nil || pts < firstPts! { firstPts = pts }
            let duration = frame.pointee.pkt_duration > 0 ? frame.pointee.pkt_duration : 0
            if endPts == nil || pts + duration > endPts! { endPts = pts + duration }
        }
        if let pictures {
            if pts != AVStatus.noTimestamp { frame.pointee.pts = pts }
            try pictures.add(frame, timeBase: timeBase)
        }
    }

    fileprivate mutating func record(_ errors: [Int32]) {
        if firstError == nil { firstError = errors.first }
        self.errors += errors.count
    }
}

extension MediaEngine {
    /// Decodes every frame of every audio and video stream of `file` and checks it against `expecting`
    /// within `limits` (the `media` section of the configuration).
    ///
    /// Throws `MediaJobsError` naming the file and the failure: `media.empty`, `media.not_media` (a text
    /// or HTML body), `media.too_large` (refused before decoding), `media.container_mismatch`,
    /// `media.open_failed`, `media.no_streams`, `media.mismatch` (size, rate, sound track, duration),
    /// `media.truncated`, `media.corrupt` (decode errors, counted), `media.zero_duration`,
    /// `media.silent`, `media.black`, `media.frozen`, `media.flat_image`, `media.implausible_length`,
    /// `media.invalid_output` (outside the min/max duration). `progress` receives the fraction read.
    public func validate(
        _ file: URL, expecting: MediaExpectation = MediaExpectation(), limits: MediaLimits = .defaults,
        progress: MediaProgress? = nil
    ) async throws -> MediaReport {
        try await run { cancel in
            try MediaValidator(
                file: file, expectation: expecting, limits: limits, cancel: cancel, progress: progress
            ).run()
        }
    }

    /// The checks `validate` makes before decoding (see `MediaValidator.inspect`), for a quick answer about a file
    /// of any length: the headers, the declared duration and streams, and the index against the file's size. Nothing
    /// is decoded, so a damaged part past the headers is only found by `validate`. Gives up after `timeout`
    /// seconds with `media.canceled`.
    public func inspect(
        _ file: URL, expecting: MediaExpectation = MediaExpectation(), limits: MediaLimits = .defaults,
        timeout: TimeInterval = 10
    ) async throws -> MediaInspection {
        let flag = CancellationFlag()
        return try await withThrowingTaskGroup(of: MediaInspection?.self) { group in
            group.addTask {
                try await self.run { _ in
                    let (input, info, checks) = try MediaValidator(
                        file: file, expectation: expecting, limits: limits, cancel: flag).inspect()
                    let estimated = input.context.pointee.duration_estimation_method == AVFMT_DURATION_FROM_BITRATE
                    return MediaInspection(info: info, checks: checks, durationIsEstimate: estimated)
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeout))
                if !Task.isCancelled { flag.cancel() }
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let inspection = next { return inspection }
            }
            throw MediaJobsError.media(.mediaCanceled, file, "reading the headers took longer than \(Int(timeout)) s")
        }
    }
}

/// What the headers of a file say, checked before decoding (`MediaEngine.inspect`).
public struct MediaInspection: Sendable {
    public var info: MediaInfo
    public var checks: [MediaCheck]
    /// Whether the declared duration is only a guess from the bitrate (an MP3 without an index, say).
    public var durationIsEstimate: Bool
}
