import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// What `MediaEngine.joinAudio` did.
public struct AudioJoinReport: Sendable, Equatable {
    /// Each input's decoded duration, in seconds.
    public var inputSeconds: [Double]
    /// The gain applied to each input, in dB.
    public var gainsDB: [Double]
    public var pauseSeconds: Double
    /// The decoded duration of the written file, in seconds.
    public var durationSeconds: Double

    public init(inputSeconds: [Double], gainsDB: [Double], pauseSeconds: Double, durationSeconds: Double) {
        self.inputSeconds = inputSeconds
        self.gainsDB = gainsDB
        self.pauseSeconds = pauseSeconds
        self.durationSeconds = durationSeconds
    }
}

/// The parts of `joinAudio` that run on the pool: measuring an input, and writing them all.
enum AudioJoiner {
    /// An input's decoded length, gated loudness and peak, in the shape it will be written in.
    struct Measure: Sendable {
        var seconds: Double
        var loudnessDB: Double?
        var peakDB: Double
    }

    /// The largest gain added or taken away.
    static let maxGainDB = 12.0
    /// A gain that raises an input never lifts its peak above this.
    static let peakCeilingDB = -1.0
    /// Silence is written in frames of at most this many samples.
    static let silenceFrameSamples = 4096

    /// The shape every input is converted to: `options`' rate and channels, else the first input's, as the
    /// encoder takes them; packed float, so gains are applied without clipping before the encoder's conversion.
    static func shape(first: URL, options: AudioOutputOptions, cancel: CancellationFlag) throws -> AudioShape {
        let reader = try AudioReader(opening: first, cancel: cancel)
        return try mapFFmpegErrors(.mediaTranscodeFailed, first, "cannot write \(options.format.rawValue)") {
            try AudioOutputFile.shape(
                options: options, inputSampleRate: reader.sampleRate, inputChannels: reader.channels,
                sampleFormat: AV_SAMPLE_FMT_FLT)
        }
    }

    static func measure(_ input: URL, as shape: AudioShape, cancel: CancellationFlag) throws -> Measure {
        let reader = try AudioReader(opening: input, cancel: cancel)
        var loudness = GatedLoudness(sampleRate: Int(shape.sampleRate), channels: Int(shape.channelCount))
        let samples = try reader.read(as: shape) { frame in
            loudness.add(UnsafeBufferPointer(SampleFrames.floats(frame)))
        }
        return Measure(
            seconds: Double(samples) / Double(shape.sampleRate), loudnessDB: loudness.loudnessDB, peakDB: loudness.peakDB)
    }

    /// Each input's gain: to the median loudness of the inputs that are not silent, within ±12 dB, and a rise
    /// cut back so the input's peak stays at or under −1 dBFS. A silent input gets 0 dB.
    static func gains(_ measures: [Measure]) -> [Double] {
        let levels = measures.compactMap(\.loudnessDB).sorted()
        guard !levels.isEmpty else { return measures.map { _ in 0 } }
        let middle = levels.count / 2
        let median = levels.count % 2 == 1 ? levels[middle] : (levels[middle - 1] + levels[middle]) / 2
        return measures.map { measure in
            guard let loudness = measure.loudnessDB else { return 0 }
            var gain = min(maxGainDB, max(-maxGainDB, median - loudness))
            if gain > 0 { gain = min(gain, max(0, peakCeilingDB - measure.peakDB)) }
            return gain
        }
    }

    /// Writes the inputs in order with their gains and `pauseSeconds` of silence between them, and returns the
    /// decoded duration of the file written. On failure the partial output is deleted.
    static func write(
        _ inputs: [URL], gains: [Double], as shape: AudioShape, pauseSeconds: Double, to output: URL,
        options: AudioOutputOptions, cancel: CancellationFlag
    ) throws -> Double {
        do {
            let writer = try AudioWriter(url: output, options: options)
            let frame = try Frame()
            let pause = Int((pauseSeconds * Double(shape.sampleRate)).rounded())
            for (index, input) in inputs.enumerated() {
                if index > 0 {
                    var left = pause
                    while left > 0 {
                        let count = min(left, silenceFrameSamples)
                        try mapErrors(output, options) {
                            try SampleFrames.silence(shape, count: count, into: frame)
                            try writer.write(frame.pointer)
                        }
                        left -= count
                    }
                }
                let reader = try AudioReader(opening: input, cancel: cancel)
                try reader.read(as: shape) { samples in
                    try mapErrors(output, options) {
                        try SampleFrames.applyGain(gains[index], to: samples)
                        try writer.write(samples)
                    }
                }
            }
            try mapErrors(output, options) { try writer.finish(source: output) }
            return try AudioReader(opening: output, cancel: cancel).decodedSeconds()
        } catch {
            try? FileManager.default.removeItem(at: output)
            throw error
        }
    }

    private static func mapErrors(_ output: URL, _ options: AudioOutputOptions, _ body: () throws -> Void) throws {
        try mapFFmpegErrors(.mediaTranscodeFailed, output, "cannot write \(options.format.rawValue)", body)
    }
}

extension AudioShape {
    var channelCount: Int32 {
        var layout = AVChannelLayout()
        defer { av_channel_layout_uninit(&layout) }
        return av_channel_layout_from_string(&layout, channelLayout) < 0 ? 1 : layout.nb_channels
    }
}

extension MediaEngine {
    /// Joins `inputs` end to end into one file at `output`, encoded as `options` says (any `AudioFormat`), with
    /// `pauseSeconds` of digital silence between consecutive inputs (none before the first or after the last).
    ///
    /// Inputs may differ in format, rate and channels; all are converted to `options.sampleRate`/`channels`, else
    /// to the first input's (as the encoder takes them). Each gets one constant gain so that its speech loudness
    /// (`GatedLoudness`: the EBU R128 gating of 400 ms blocks, unweighted) matches the median of the inputs',
    /// within ±12 dB, a rise cut back where it would lift the input's peak above −1 dBFS; a silent input gets
    /// 0 dB. Streams: the inputs are measured in parallel on the pool, then decoded again one at a time to write,
    /// so memory does not grow with their length. The reported duration is decoded from the written file.
    ///
    /// Throws `input.invalid` for no inputs or a negative pause; a media error naming the input that is missing,
    /// not media or undecodable, or the output that cannot be written (the partial output is then deleted).
    public func joinAudio(_ inputs: [URL], pauseSeconds: Double, to output: URL, options: AudioOutputOptions)
        async throws -> AudioJoinReport
    {
        guard let first = inputs.first else {
            throw MediaJobsError.invalidInput("inputs", "there is nothing to join")
        }
        guard pauseSeconds.isFinite, pauseSeconds >= 0 else {
            throw MediaJobsError.invalidInput(
                "pauseSeconds", "must be a finite number of seconds, not negative (got \(pauseSeconds))")
        }
        let shape = try await run { cancel in try AudioJoiner.shape(first: first, options: options, cancel: cancel) }
        let measures = try await withThrowingTaskGroup(of: (Int, AudioJoiner.Measure).self) { group in
            for (index, input) in inputs.enumerated() {
                group.addTask {
                    (index, try await run { cancel in try AudioJoiner.measure(input, as: shape, cancel: cancel) })
                }
            }
            var measures = [AudioJoiner.Measure?](repeating: nil, count: inputs.count)
            for try await (index, measure) in group { measures[index] = measure }
            return measures.map { $0! }
        }
        let gains = AudioJoiner.gains(measures)
        let duration = try await run { cancel in
            try AudioJoiner.write(
                inputs, gains: gains, as: shape, pauseSeconds: pauseSeconds, to: output, options: options, cancel: cancel)
        }
        return AudioJoinReport(
            inputSeconds: measures.map(\.seconds), gainsDB: gains, pauseSeconds: pauseSeconds, durationSeconds: duration)
    }
}
