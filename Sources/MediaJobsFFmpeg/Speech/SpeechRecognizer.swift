import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore
import Synchronization

/// Recognizes speech with libavfilter's `asr` filter (pocketsphinx) in utterance-sized pieces.
///
/// Pocketsphinx slows down and garbles on long stretches of continuous audio, so the input is
/// decoded once to 16 kHz mono, cut at pauses into pieces of at most 15 s (`SpeechSegmenter`), and
/// the pieces are recognized in parallel, one loaded recognizer per core (`AsrSessionPool`).
enum SpeechRecognizer {
    /// Silence fed after each piece so `asr` publishes the piece's last utterance.
    ///
    /// Pocketsphinx ends an utterance after 0.5 s without speech (its `vad_postspeech`, which `asr`
    /// does not expose); 0.4 s loses the last utterance, 0.55 s was enough when measured: 0.75 s.
    static let trailingSilence = Int(AsrSession.sampleRate) * 3 / 4

    /// What a piece of the recording is and what was heard in it.
    struct Piece: Sendable {
        var range: Range<Int>
        var utterances: [Heard] = []
    }

    struct Heard: Sendable {
        var endSample: Int
        var text: String
    }

    static func checkAvailable(_ model: PocketsphinxModel) throws {
        guard FilterGraph.isAvailable("asr") else {
            throw MediaJobsError(
                .mediaFilterUnavailable,
                "libavfilter has no asr filter: install an FFmpeg built with --enable-pocketsphinx (Debian 12: apt install libavfilter8 libpocketsphinx3)")
        }
        let missing = model.missingFiles
        guard missing.isEmpty else {
            throw MediaJobsError(
                .mediaFilterUnavailable,
                "the pocketsphinx model is missing \(missing.joined(separator: ", ")) (Debian: apt install pocketsphinx-en-us)")
        }
    }

    /// Decodes the best audio stream of `file` to 16 kHz mono signed 16-bit samples.
    static func decodeSpeech(_ file: URL, cancel: CancellationFlag) throws -> [Int16] {
        let input = try InputFile(opening: file)
        guard let streamIndex = input.bestStream(AVMEDIA_TYPE_AUDIO) else {
            throw MediaJobsError.media(.mediaNoStreams, file, "no audio stream to recognize speech in")
        }
        return try mapFFmpegErrors(.mediaDecodeFailed, file, "cannot decode audio for recognition") {
            let decoder = try Decoder(for: input.stream(streamIndex))
            var converter: AudioConverter?
            let converted = try Frame()
            var samples: [Int16] = []
            func append(_ frame: UnsafeMutablePointer<AVFrame>) {
                let count = Int(frame.pointee.nb_samples)
                let data = UnsafeRawPointer(mj_frame_data(frame, 0)!).assumingMemoryBound(to: Int16.self)
                samples.append(contentsOf: UnsafeBufferPointer(start: data, count: count))
            }
            func push(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
                if converter == nil, let frame { converter = try AudioConverter(like: frame, to: .speech16k) }
                guard let converter else { return }
                try converter.push(frame)
                try converter.drain(into: converted, append)
            }
            let packet = try Packet()
            while try input.read(into: packet) {
                defer { packet.unref() }
                try cancel.check(file)
                guard Int(packet.pointer.pointee.stream_index) == streamIndex else { continue }
                try decoder.decode(packet.pointer) { try push($0) }
            }
            try decoder.decode(nil) { try push($0) }
            try push(nil)
            return samples
        }
    }

    /// Recognizes pieces taken in turn from `next` with one pooled session until none is left.
    static func recognizePieces(
        _ samples: [Int16], pieces: [Range<Int>], order: [Int], next: PieceQueue, model: PocketsphinxModel,
        cancel: CancellationFlag, file: URL
    ) throws -> [Int: [Heard]] {
        var results: [Int: [Heard]] = [:]
        let pool = AsrSessionPool.shared
        let session = try mapFFmpegErrors(.mediaFilterUnavailable, file, "cannot load the pocketsphinx model") {
            try pool.checkOut(model: model)
        }
        do {
            while true {
                let position = next.take()
                guard position < order.count else { break }
                let index = order[position]
                let heard = try mapFFmpegErrors(.mediaDecodeFailed, file, "speech recognition failed") {
                    try session.recognize(
                        samples[pieces[index]], trailingSilence: trailingSilence, cancel: cancel, file: file)
                }
                results[index] = heard.map { Heard(endSample: $0.endSample, text: $0.text) }
            }
        } catch {
            pool.retire(session)
            throw error
        }
        pool.checkIn(session)
        return results
    }

    /// Times each utterance by the voiced windows around the point `asr` published it.
    static func transcript(pieces: [Range<Int>], heard: [Int: [Heard]], voiced: [Bool], windowSamples: Int)
        -> Transcript
    {
        let rate = Double(AsrSession.sampleRate)
        var segments: [Transcript.Segment] = []
        for (index, range) in pieces.enumerated() {
            var from = range.lowerBound
            for utterance in heard[index] ?? [] {
                let reported = min(range.upperBound, range.lowerBound + max(0, utterance.endSample))
                var startWindow = from / windowSamples
                while startWindow < voiced.count, startWindow * windowSamples < reported, !voiced[startWindow] {
                    startWindow += 1
                }
                var endWindow = max(startWindow, (reported - 1) / windowSamples)
                while endWindow > startWindow, endWindow < voiced.count, !voiced[endWindow] { endWindow -= 1 }
                let start = max(from, min(reported, startWindow * windowSamples))
                let end = max(start, min(reported, (endWindow + 1) * windowSamples))
                segments.append(Transcript.Segment(start: Double(start) / rate, end: Double(end) / rate, text: utterance.text))
                from = end
            }
        }
        return Transcript(segments: segments, language: "en")
    }
}

extension MediaEngine {
    /// Recognizes English speech in the best audio stream of `input` with pocketsphinx (libavfilter
    /// `asr`); segments are timed in seconds from the start of the recording.
    ///
    /// Throws `media.filter_unavailable` when libavfilter lacks `asr` or the model files are missing.
    public func recognizeSpeech(in input: URL) async throws -> Transcript {
        try await recognizeSpeech(in: input, model: .debianEnglish)
    }

    public func recognizeSpeech(in input: URL, model: PocketsphinxModel) async throws -> Transcript {
        try SpeechRecognizer.checkAvailable(model)
        let segmenter = SpeechSegmenter(sampleRate: Int(AsrSession.sampleRate))
        let (samples, voiced, pieces) = try await run { cancel in
            let samples = try SpeechRecognizer.decodeSpeech(input, cancel: cancel)
            let voiced = segmenter.voicedWindows(samples)
            return (samples, voiced, segmenter.pieces(voiced: voiced, sampleCount: samples.count))
        }
        if pieces.isEmpty { return Transcript(segments: [], language: "en") }
        // Longest first, so that the last pieces to finish are short ones and both cores stay busy.
        let order = pieces.indices.sorted { pieces[$0].count > pieces[$1].count }
        let next = PieceQueue()
        let workers = min(threads, AsrSessionPool.shared.capacity, pieces.count)
        let heard = try await withThrowingTaskGroup(of: [Int: [SpeechRecognizer.Heard]].self) { group in
            for _ in 0..<workers {
                group.addTask {
                    try await run { cancel in
                        try SpeechRecognizer.recognizePieces(
                            samples, pieces: pieces, order: order, next: next, model: model, cancel: cancel, file: input)
                    }
                }
            }
            var all: [Int: [SpeechRecognizer.Heard]] = [:]
            for try await part in group { all.merge(part) { first, _ in first } }
            return all
        }
        return SpeechRecognizer.transcript(
            pieces: pieces, heard: heard, voiced: voiced, windowSamples: segmenter.windowSamples)
    }
}

/// Hands out positions 0, 1, 2… in the order of pieces to the workers of one recognition.
final class PieceQueue: Sendable {
    private let counter = Mutex(0)

    func take() -> Int {
        counter.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}
