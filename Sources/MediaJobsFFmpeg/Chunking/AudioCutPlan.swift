import CMediaFFmpeg
import Foundation
import MediaJobsCore

/// Where to cut a long recording into pieces a provider accepts (`MediaEngine.planAudioCuts`), and what
/// `MediaEngine.cutAudio` writes.
///
/// Each piece owns `[ownStart, ownEnd)`; the owned parts tile `[0, durationSeconds)` exactly, so a transcript
/// merged from the pieces keeps, from each, what was said in its owned part. `start`/`end` add the overlap
/// around each cut, so words at a cut are heard whole by at least one piece.
public struct AudioCutPlan: Sendable, Equatable, Codable {
    public struct Piece: Sendable, Equatable, Codable {
        /// Seconds in the source where this piece's audio starts and ends (overlap included).
        public var start: Double
        public var end: Double
        /// The part of the source this piece owns: [ownStart, ownEnd). Pieces' owned parts tile [0, duration)
        /// exactly, with no gap and no overlap; ownStart/ownEnd are the cut points.
        public var ownStart: Double
        public var ownEnd: Double
        /// Whether the cut at ownEnd lies in a silence (false: no silence was found near the target, cut at the
        /// quietest point). True for the last piece, whose end is the end of the recording, not a cut.
        public var endsInSilence: Bool

        public init(start: Double, end: Double, ownStart: Double, ownEnd: Double, endsInSilence: Bool) {
            self.start = start
            self.end = end
            self.ownStart = ownStart
            self.ownEnd = ownEnd
            self.endsInSilence = endsInSilence
        }
    }

    /// The decoded length of the source in seconds.
    public var durationSeconds: Double
    public var pieces: [Piece]

    public init(durationSeconds: Double, pieces: [Piece]) {
        self.durationSeconds = durationSeconds
        self.pieces = pieces
    }
}

extension MediaEngine {
    /// Decodes the best audio stream of `input` once and chooses where to cut it into pieces of at most
    /// `maxPieceSeconds`, each counting its overlaps.
    ///
    /// The number of pieces is the smallest that fits `maxPieceSeconds` even when both cuts of a piece move
    /// `searchSeconds` outwards and it has `overlapSeconds` on both sides. Cut targets are evenly spaced
    /// (k·duration/n); each moves to the best silence within ±`searchSeconds` of its target: a run of at least
    /// 100 ms of 20 ms windows 30 dB below the recording's speech level (its 95th percentile window; never below
    /// −60 dBFS), the nearest one with longer runs preferred, cut at its middle (or as near it as the search window
    /// allows). Where there is none, the cut goes in the quietest 100 ms and the piece's `endsInSilence` is false.
    /// A recording no longer than `maxPieceSeconds` is one piece. Memory stays flat: the audio is decoded to 16 kHz
    /// mono as it streams and only a level per 20 ms window is kept.
    ///
    /// Throws `input.invalid` naming the parameter when `maxPieceSeconds` is not more than
    /// 2·`overlapSeconds` + 2·`searchSeconds` + 10 s (or any value is negative), and a media error naming the file
    /// when it is missing, not media, has no audio or cannot be decoded.
    public func planAudioCuts(
        _ input: URL, maxPieceSeconds: Double, overlapSeconds: Double = 1.0, searchSeconds: Double = 5
    ) async throws -> AudioCutPlan {
        let planner = AudioCutPlanner(
            maxPieceSeconds: maxPieceSeconds, overlapSeconds: overlapSeconds, searchSeconds: searchSeconds)
        try planner.validate()
        return try await run { cancel in
            let rate: Int32 = 16000
            let reader = try AudioReader(opening: input, cancel: cancel)
            var levels = WindowLevels(windowSamples: Int(Double(rate) * planner.windowSeconds))
            let shape = AudioShape(sampleFormat: AV_SAMPLE_FMT_FLT, sampleRate: rate, channelLayout: "mono")
            try reader.read(as: shape) { frame in levels.add(UnsafeBufferPointer(SampleFrames.floats(frame))) }
            levels.finish()
            return planner.plan(levels: levels.levels, durationSeconds: Double(levels.sampleCount) / Double(rate))
        }
    }

    /// Writes each piece `[start, end)` of `plan` from the best audio stream of `input` to its own file in
    /// `directory` (created if missing), encoded as `options` says, and returns the files in plan order:
    /// `piece-001.ogg` for Opus (the container's name, which upload APIs accept), `piece-001.mp3`,
    /// `piece-001.wav`… (more digits past 999 pieces). Existing files of those names are replaced.
    ///
    /// One decoding pass writes every piece; neighbours overlap, so two files are open at once near a cut. The
    /// audio is resampled once to the encoder's rate and each file starts and ends at the sample nearest its
    /// `start` and `end` (a piece ending at the plan's `durationSeconds` runs to the end of the source).
    ///
    /// Throws `input.invalid` for a plan with no pieces or a piece that does not start before it ends, or a plan
    /// whose `durationSeconds` is not the source's (within 50 ms: a plan of another file); media errors naming the
    /// input (missing, not media, undecodable) or the piece file that could not be written
    /// (`media.transcode_failed`), or `media.canceled`. On failure no piece file is left.
    public func cutAudio(_ input: URL, plan: AudioCutPlan, into directory: URL, options: AudioOutputOptions)
        async throws -> [URL]
    {
        let outputs = try AudioCutter.outputs(for: plan, in: directory, format: options.format)
        try await run { cancel in
            try AudioCutter(input: input, plan: plan, outputs: outputs, options: options, cancel: cancel).run()
        }
        return outputs
    }
}
