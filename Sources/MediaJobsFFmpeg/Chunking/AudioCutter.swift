import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// Writes the pieces of an `AudioCutPlan` in one decoding pass (`MediaEngine.cutAudio`).
///
/// The source is resampled once to the shape the encoder will take, so a piece's bounds are sample counts at the
/// output's rate; each decoded frame is copied, in part or whole, to every piece open at that point. A piece's
/// file is opened at its first sample and finished at its last, so only pieces that overlap are open together.
struct AudioCutter {
    let input: URL
    let plan: AudioCutPlan
    let outputs: [URL]
    let options: AudioOutputOptions
    let cancel: CancellationFlag

    /// A piece being written: its bounds in samples at the output's rate, and its writer while open.
    private final class Piece {
        let index: Int
        let url: URL
        let start: Int
        /// `Int.max`: to the end of the source.
        let end: Int
        var writer: AudioWriter?
        /// Whether its file was (or may have been) created.
        var touched = false
        var finished = false

        init(index: Int, url: URL, start: Int, end: Int) {
            self.index = index
            self.url = url
            self.start = start
            self.end = end
        }

        /// FFmpeg's failures while writing this piece, as `media.transcode_failed` naming its file.
        func mapErrors(_ options: AudioOutputOptions, _ body: () throws -> Void) throws {
            let what = "cannot write \(options.format.rawValue) piece \(index + 1)"
            try mapFFmpegErrors(.mediaTranscodeFailed, url, what, body)
        }
    }

    /// How far the source's decoded length may be from the plan's (rates other than the plan's 16 kHz round
    /// differently) before the plan is taken to be another file's.
    static let durationTolerance = 0.05

    /// The files `cutAudio` writes for `plan` in `directory`, after checking the plan's pieces.
    static func outputs(for plan: AudioCutPlan, in directory: URL, format: AudioFormat) throws -> [URL] {
        guard !plan.pieces.isEmpty else { throw MediaJobsError.invalidInput("plan.pieces", "the plan has no pieces") }
        for (index, piece) in plan.pieces.enumerated() {
            guard piece.start.isFinite, piece.end.isFinite, piece.start >= 0, piece.start < piece.end else {
                throw MediaJobsError.invalidInput(
                    "plan.pieces[\(index)]",
                    "a piece must start at 0 s or later and before it ends (start \(piece.start), end \(piece.end))")
            }
        }
        // Opus goes in Ogg; upload APIs take `.ogg` and some refuse `.opus`.
        let fileExtension = format == .opus ? "ogg" : format.fileExtension
        let digits = max(3, String(plan.pieces.count).count)
        return plan.pieces.indices.map { index in
            let number = String(index + 1)
            let padded = String(repeating: "0", count: max(0, digits - number.count)) + number
            return directory.appendingPathComponent("piece-\(padded).\(fileExtension)")
        }
    }

    func run() throws {
        do {
            try FileManager.default.createDirectory(
                at: outputs[0].deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw MediaJobsError.media(
                .mediaTranscodeFailed, outputs[0].deletingLastPathComponent(), "cannot create the folder for the pieces",
                underlying: error)
        }
        var pieces: [Piece] = []
        do {
            let reader = try AudioReader(opening: input, cancel: cancel)
            let shape = try mapFFmpegErrors(.mediaTranscodeFailed, outputs[0], "cannot write \(options.format.rawValue)") {
                try AudioOutputFile.shape(
                    options: options, inputSampleRate: reader.sampleRate, inputChannels: reader.channels,
                    sampleFormat: AV_SAMPLE_FMT_FLT)
            }
            let rate = Double(shape.sampleRate)
            pieces = plan.pieces.enumerated().map { index, piece in
                Piece(
                    index: index, url: outputs[index], start: Int((piece.start * rate).rounded()),
                    end: piece.end >= plan.durationSeconds ? Int.max : Int((piece.end * rate).rounded()))
            }
            try write(reader, as: shape, pieces: pieces)
        } catch {
            for piece in pieces where piece.touched {
                try? FileManager.default.removeItem(at: piece.url)
            }
            throw error
        }
    }

    private func write(_ reader: AudioReader, as shape: AudioShape, pieces: [Piece]) throws {
        // Pieces by start; `next` is the first not yet opened, `open` those being written.
        let byStart = pieces.sorted { $0.start < $1.start }
        var next = 0
        var open: [Piece] = []
        var position = 0
        let slice = try Frame()
        let total = try reader.read(as: shape) { frame in
            let count = Int(frame.pointee.nb_samples)
            let frameEnd = position + count
            while next < byStart.count && byStart[next].start < frameEnd {
                open.append(byStart[next])
                next += 1
            }
            for piece in open {
                let from = max(position, piece.start)
                let to = min(frameEnd, piece.end)
                guard from < to else { continue }
                try piece.mapErrors(options) {
                    if piece.writer == nil {
                        piece.touched = true
                        piece.writer = try AudioWriter(url: piece.url, options: options)
                    }
                    try SampleFrames.slice(frame, from: from - position, count: to - from, into: slice)
                    try piece.writer!.write(slice.pointer)
                }
                if to == piece.end { try finish(piece) }
            }
            open.removeAll { $0.finished }
            position = frameEnd
        }
        for piece in open { try finish(piece) }
        let seconds = Double(total) / Double(shape.sampleRate)
        if abs(seconds - plan.durationSeconds) > Self.durationTolerance {
            throw MediaJobsError.invalidInput(
                "plan.durationSeconds",
                "the plan is for \(plan.durationSeconds) s of audio, but \(input.path) decodes to \(seconds) s")
        }
        if let unopened = pieces.first(where: { !$0.finished }) {
            throw MediaJobsError.invalidInput(
                "plan.pieces[\(unopened.index)]",
                "starts at \(plan.pieces[unopened.index].start) s, at or after the end of \(input.path) (\(seconds) s)")
        }
    }

    private func finish(_ piece: Piece) throws {
        guard let writer = piece.writer else { return }
        try piece.mapErrors(options) { try writer.finish(source: input) }
        piece.writer = nil
        piece.finished = true
    }
}
