import Foundation

/// Cuts mono speech into utterance-sized pieces at its pauses.
///
/// Pauses are found by RMS energy per 20 ms window of the decoded samples (not with
/// `silencedetect`): a window is voiced when it is louder than 15 dB above the recording's
/// quietest tenth, bounded to -50…-30 dBFS. Each piece ends in the longest pause of at
/// least `minPauseSeconds` between `minPieceSeconds` and `targetPieceSeconds` from its start,
/// else in the longest one before `maxPieceSeconds`, or is cut hard at `maxPieceSeconds` when there
/// is none. Pieces with no voiced window are dropped.
///
/// Continuous speech (one reader, no long breaks) has sentence pauses of about 0.2–0.4 s, too
/// short for pocketsphinx to end an utterance by itself, so cutting there is what keeps its
/// utterances short; pieces of 3–8 s keep both cores busy to the end with little padding.
struct SpeechSegmenter {
    var sampleRate = 16000
    var windowSeconds = 0.02
    var maxPieceSeconds = 15.0
    var targetPieceSeconds = 8.0
    var minPieceSeconds = 3.0
    var minPauseSeconds = 0.2

    var windowSamples: Int { max(1, Int(Double(sampleRate) * windowSeconds)) }

    /// Which 20 ms windows of `samples` hold sound.
    func voicedWindows(_ samples: [Int16]) -> [Bool] {
        let size = windowSamples
        let count = (samples.count + size - 1) / size
        var levels = [Double](repeating: -120, count: count)
        samples.withUnsafeBufferPointer { buffer in
            for window in 0..<count {
                let range = (window * size)..<min(buffer.count, (window + 1) * size)
                var sum = 0.0
                for index in range {
                    let value = Double(buffer[index])
                    sum += value * value
                }
                let rms = (sum / Double(range.count)).squareRoot()
                levels[window] = rms > 0 ? 20 * log10(rms / 32768) : -120
            }
        }
        guard !levels.isEmpty else { return [] }
        let floor = levels.sorted()[levels.count / 10]
        let threshold = min(-30, max(-50, floor + 15))
        return levels.map { $0 > threshold }
    }

    /// Sample ranges of the pieces to recognize, in order.
    func pieces(voiced: [Bool], sampleCount: Int) -> [Range<Int>] {
        let size = windowSamples
        let maxWindows = Int(maxPieceSeconds / windowSeconds)
        let minWindows = Int(minPieceSeconds / windowSeconds)
        let targetWindows = Int(targetPieceSeconds / windowSeconds)
        let minPause = Int((minPauseSeconds / windowSeconds).rounded())

        // Runs of silent windows long enough to cut in: (first window, length).
        var pauses: [(start: Int, length: Int)] = []
        var runStart: Int?
        for index in 0...voiced.count {
            let isVoiced = index == voiced.count || voiced[index]
            if !isVoiced {
                if runStart == nil { runStart = index }
            } else if let start = runStart {
                if index - start >= minPause { pauses.append((start, index - start)) }
                runStart = nil
            }
        }

        var cuts: [Int] = []
        var position = 0
        while voiced.count - position > targetWindows {
            func longest(upTo limit: Int) -> (start: Int, length: Int)? {
                pauses.filter {
                    let middle = $0.start + $0.length / 2
                    return middle > position + minWindows && middle <= position + limit
                }.max { $0.length < $1.length || ($0.length == $1.length && $0.start < $1.start) }
            }
            let best = longest(upTo: targetWindows) ?? longest(upTo: maxWindows)
            if best == nil && voiced.count - position <= maxWindows { break }
            position = best.map { $0.start + $0.length / 2 } ?? position + maxWindows
            cuts.append(position)
        }

        var ranges: [Range<Int>] = []
        var start = 0
        for cut in cuts + [voiced.count] {
            if voiced[start..<cut].contains(true) {
                ranges.append((start * size)..<min(sampleCount, cut * size))
            }
            start = cut
        }
        return ranges
    }
}
