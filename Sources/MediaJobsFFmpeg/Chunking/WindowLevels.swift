import Foundation

/// The RMS level (dBFS) of each short window of mono audio, accumulated as samples stream by: all that
/// planning cuts keeps of a recording (50 floats a second, 720 KB for an hour).
struct WindowLevels {
    let windowSamples: Int
    /// One level per window, in order; the last window may be shorter.
    private(set) var levels: [Float] = []
    private(set) var sampleCount = 0
    private var sum = 0.0
    private var filled = 0

    /// The level given to a window of digital silence.
    static let silenceDB: Float = -120

    init(windowSamples: Int) {
        self.windowSamples = max(1, windowSamples)
    }

    mutating func add(_ samples: UnsafeBufferPointer<Float>) {
        guard var sample = samples.baseAddress else { return }
        sampleCount += samples.count
        let stop = sample + samples.count
        while sample < stop {
            let value = Double(sample.pointee)
            sum += value * value
            filled += 1
            if filled == windowSamples { closeWindow() }
            sample += 1
        }
    }

    /// Closes the last, shorter window; call once after the last samples.
    mutating func finish() {
        if filled > 0 { closeWindow() }
    }

    private mutating func closeWindow() {
        let meanSquare = sum / Double(filled)
        levels.append(meanSquare > 0 ? max(Self.silenceDB, Float(10 * log10(meanSquare))) : Self.silenceDB)
        sum = 0
        filled = 0
    }
}
