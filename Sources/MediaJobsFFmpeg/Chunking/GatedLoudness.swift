import Foundation

/// The loudness of speech as EBU R128 gates it, without its K-weighting filter, and the peak sample.
///
/// Power is the mean square of all samples of all channels. Blocks of 400 ms, overlapping by 75 % (a new block
/// every 100 ms), are gated twice: those under −70 dBFS are dropped (absolute gate), then those more than 10 dB
/// under the mean power of the rest (relative gate); the loudness is the mean power of the blocks left, in dB
/// relative to full scale. Pauses and breaths so weigh nothing, and two readings of one text by one voice
/// measure alike whatever their pauses. Audio shorter than one block is one block.
struct GatedLoudness {
    let channels: Int
    let stepSamples: Int
    /// The summed squares of each complete 100 ms step (all channels): ten numbers a second.
    private var steps: [Double] = []
    private var sum = 0.0
    private var filled = 0
    private(set) var samples = 0
    /// The largest absolute sample value, 0…1 of full scale.
    private(set) var peak = 0.0

    static let absoluteGateDB = -70.0
    static let relativeGateDB = -10.0
    static let stepsPerBlock = 4

    init(sampleRate: Int, channels: Int) {
        self.channels = max(1, channels)
        stepSamples = max(1, sampleRate / 10)
    }

    /// Adds interleaved samples (a whole number of sample frames).
    mutating func add(_ interleaved: UnsafeBufferPointer<Float>) {
        guard let base = interleaved.baseAddress else { return }
        var index = 0
        while index < interleaved.count {
            let take = min(interleaved.count - index, (stepSamples - filled) * channels)
            var squares = 0.0
            var loudest: Float = 0
            // Plain pointer loops: fast enough in debug builds too (a slice's iterator is not).
            var sample = base + index
            let stop = sample + take
            while sample < stop {
                let value = sample.pointee
                squares += Double(value * value)
                if abs(value) > loudest { loudest = abs(value) }
                sample += 1
            }
            sum += squares
            peak = max(peak, Double(loudest))
            filled += take / channels
            samples += take / channels
            index += take
            if filled == stepSamples {
                steps.append(sum)
                sum = 0
                filled = 0
            }
        }
    }

    /// The gated loudness in dBFS, or nil when no block is above the absolute gate (silence).
    var loudnessDB: Double? {
        var blocks: [Double] = []
        if steps.count < Self.stepsPerBlock {
            let count = (steps.count * stepSamples + filled) * channels
            if count > 0 { blocks.append((steps.reduce(0, +) + sum) / Double(count)) }
        } else {
            let blockCount = Double(Self.stepsPerBlock * stepSamples * channels)
            var window = steps[0..<Self.stepsPerBlock].reduce(0, +)
            blocks.append(window / blockCount)
            for end in Self.stepsPerBlock..<steps.count {
                window += steps[end] - steps[end - Self.stepsPerBlock]
                blocks.append(max(0, window) / blockCount)
            }
        }
        let absolute = Self.power(Self.absoluteGateDB)
        let loud = blocks.filter { $0 > absolute }
        guard !loud.isEmpty else { return nil }
        let relative = loud.reduce(0, +) / Double(loud.count) * Self.power(Self.relativeGateDB)
        let kept = loud.filter { $0 > relative }
        return 10 * log10(kept.reduce(0, +) / Double(kept.count))
    }

    /// The peak in dBFS (−200 for digital silence).
    var peakDB: Double { AudioLevel.decibels(peak) }

    private static func power(_ decibels: Double) -> Double { pow(10, decibels / 10) }
}
