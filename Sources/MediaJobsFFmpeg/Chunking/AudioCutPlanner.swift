import Foundation
import MediaJobsCore

/// Chooses where to cut a recording from its window levels (`WindowLevels`): the arithmetic of
/// `MediaEngine.planAudioCuts`, apart from any decoding.
///
/// With `n` pieces, piece `k`'s owned part runs between cuts that are each within `searchSeconds` of their
/// targets `k·duration/n`, so it is at most `duration/n + 2·search` long, and with its overlaps
/// `duration/n + 2·search + 2·overlap`; `n` is the smallest count that keeps that within `maxPieceSeconds`.
struct AudioCutPlanner {
    var maxPieceSeconds: Double
    var overlapSeconds: Double
    var searchSeconds: Double
    var windowSeconds = 0.02

    /// The shortest owned part `maxPieceSeconds` must leave room for beyond the overlaps and the search slack.
    static let minimumOwnedSeconds = 10.0
    /// A window this far below the recording's speech level (its 95th percentile window)…
    static let silenceBelowSpeechDB: Float = 30
    /// …or below this absolute level is silent.
    static let silenceFloorDB: Float = -60
    /// The shortest run of silent windows to cut in (speech has shorter stops inside words).
    static let minimumSilenceSeconds = 0.1
    /// Within the search window a longer silence wins over a nearer one by up to this many seconds of
    /// distance per second of length, counted up to one second of length: sentence pauses beat short dips.
    static let lengthPreference = 2.0
    /// How far beyond the search window a silent run is followed to find its middle.
    static let runReachSeconds = 1.0
    /// No cut comes closer than this to the previous cut or to the end.
    static let minimumGapSeconds = 1.0

    /// Throws `input.invalid` naming the parameter that makes planning impossible.
    func validate() throws {
        for (name, value) in [
            ("maxPieceSeconds", maxPieceSeconds), ("overlapSeconds", overlapSeconds), ("searchSeconds", searchSeconds),
        ] where !value.isFinite || value < 0 {
            throw MediaJobsError.invalidInput(name, "must be a finite number of seconds, not negative (got \(value))")
        }
        let needed = 2 * overlapSeconds + 2 * searchSeconds + Self.minimumOwnedSeconds
        guard maxPieceSeconds > needed else {
            throw MediaJobsError.invalidInput(
                "maxPieceSeconds",
                "\(maxPieceSeconds) s leaves no room for a piece: it must be more than"
                    + " 2 × overlapSeconds (\(overlapSeconds)) + 2 × searchSeconds (\(searchSeconds)) + \(Int(Self.minimumOwnedSeconds)) s = \(needed) s")
        }
    }

    /// The number of pieces a recording of `duration` seconds needs.
    func pieceCount(duration: Double) -> Int {
        if duration <= maxPieceSeconds { return 1 }
        let perPiece = maxPieceSeconds - 2 * overlapSeconds - 2 * searchSeconds
        return max(2, Int((duration / perPiece).rounded(.up)))
    }

    /// The level below which a window is silent: 30 dB under the 95th percentile window, and never under −60 dBFS.
    static func silenceThreshold(_ levels: [Float]) -> Float {
        guard !levels.isEmpty else { return silenceFloorDB }
        let sorted = levels.sorted()
        let speech = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))]
        return max(silenceFloorDB, speech - silenceBelowSpeechDB)
    }

    func plan(levels: [Float], durationSeconds duration: Double) -> AudioCutPlan {
        let count = pieceCount(duration: duration)
        let threshold = Self.silenceThreshold(levels)
        var cuts: [(time: Double, silent: Bool)] = []
        var previous = 0.0
        for index in 1..<max(1, count) {
            let target = duration * Double(index) / Double(count)
            let low = max(target - searchSeconds, previous + Self.minimumGapSeconds)
            let high = min(target + searchSeconds, duration - Self.minimumGapSeconds)
            let cut = chooseCut(levels: levels, threshold: threshold, target: target, low: low, high: max(low, high))
            cuts.append(cut)
            previous = cut.time
        }
        var pieces: [AudioCutPlan.Piece] = []
        var ownStart = 0.0
        for index in 0..<count {
            let ownEnd = index < cuts.count ? cuts[index].time : duration
            pieces.append(
                AudioCutPlan.Piece(
                    start: max(0, ownStart - overlapSeconds), end: min(duration, ownEnd + overlapSeconds),
                    ownStart: ownStart, ownEnd: ownEnd, endsInSilence: index < cuts.count ? cuts[index].silent : true))
            ownStart = ownEnd
        }
        return AudioCutPlan(durationSeconds: duration, pieces: pieces)
    }

    /// The best cut in [low, high]: in the silent run nearest `target`, favouring longer runs, as near its middle as
    /// [low, high] allows; else the middle of the quietest 100 ms.
    ///
    /// A run reaching past [low, high] counts up to `runReachSeconds` beyond it, so a cut lands well inside a pause
    /// that the search window clips, and in a long silence covering the whole window it lands near the target.
    func chooseCut(levels: [Float], threshold: Float, target: Double, low: Double, high: Double)
        -> (time: Double, silent: Bool)
    {
        // Windows lying wholly inside [low, high].
        let first = max(0, Int((low / windowSeconds).rounded(.up)))
        let end = min(levels.count, Int((high / windowSeconds).rounded(.down)))
        guard first < end else {
            let window = min(levels.count - 1, max(0, Int(target / windowSeconds)))
            return (min(high, max(low, target)), levels.isEmpty ? false : levels[window] <= threshold)
        }
        let minimumRun = max(1, Int((Self.minimumSilenceSeconds / windowSeconds).rounded()))
        let reach = Int((Self.runReachSeconds / windowSeconds).rounded())
        let lowTime = Double(first) * windowSeconds
        let highTime = Double(end) * windowSeconds
        var best: (time: Double, cost: Double)?
        var index = first
        while index < end {
            guard levels[index] <= threshold else {
                index += 1
                continue
            }
            var runStart = index
            while runStart > max(0, first - reach), levels[runStart - 1] <= threshold { runStart -= 1 }
            var runEnd = index + 1
            while runEnd < min(levels.count, end + reach), levels[runEnd] <= threshold { runEnd += 1 }
            index = runEnd
            let length = runEnd - runStart
            guard length >= minimumRun else { continue }
            // The run's middle, or the point of the run inside [low, high] nearest it.
            let middle = Double(runStart + runEnd) / 2 * windowSeconds
            let earliest = max(lowTime, Double(runStart) * windowSeconds)
            let latest = min(highTime, Double(runEnd) * windowSeconds)
            let time = min(max(middle, earliest), latest)
            let cost = abs(time - target) - Self.lengthPreference * min(Double(length) * windowSeconds, 1)
            if best == nil || cost < best!.cost { best = (time, cost) }
        }
        if let best { return (best.time, true) }
        return (quietest(levels, first..<end, target: target), false)
    }

    /// The middle of the quietest stretch of about 100 ms within `windows`, nearest `target` among equals.
    private func quietest(_ levels: [Float], _ windows: Range<Int>, target: Double) -> Double {
        let span = min(windows.count, max(1, Int((Self.minimumSilenceSeconds / windowSeconds).rounded())))
        var best: (time: Double, power: Double, distance: Double)?
        var sum = 0.0
        for index in windows {
            sum += pow(10, Double(levels[index]) / 10)
            if index - windows.lowerBound >= span { sum -= pow(10, Double(levels[index - span]) / 10) }
            guard index - windows.lowerBound >= span - 1 else { continue }
            let time = Double(index + 1 - span + index + 1) / 2 * windowSeconds
            let distance = abs(time - target)
            // Relative slack, so rounding in the running sum does not decide between equal stretches.
            if let current = best,
                sum > current.power * (1 + 1e-9)
                    || (sum >= current.power * (1 - 1e-9) && distance >= current.distance)
            {
                continue
            }
            best = (time, sum, distance)
        }
        return best?.time ?? target
    }
}
