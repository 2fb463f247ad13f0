import Foundation
import MediaJobsCore

/// The transcript shapes OpenAI and OpenRouter share (verbose_json segments and words).
enum TranscriptJSON {
    static func segments(_ transcript: Transcript) -> [[String: Any]] {
        transcript.segments.enumerated().map { index, segment in
            [
                "id": index, "seek": 0, "start": segment.start, "end": segment.end, "text": " " + segment.text,
                "tokens": [Int](), "temperature": 0.0, "avg_logprob": -0.25, "compression_ratio": 1.2,
                "no_speech_prob": 0.01,
            ]
        }
    }

    /// Word timings spread evenly over each segment (the recogniser gives segment times only).
    static func words(_ transcript: Transcript) -> [[String: Any]] {
        var words: [[String: Any]] = []
        for segment in transcript.segments {
            let pieces = segment.text.split(separator: " ").map(String.init)
            guard !pieces.isEmpty else { continue }
            let step = (segment.end - segment.start) / Double(pieces.count)
            for (index, word) in pieces.enumerated() {
                let start = segment.start + Double(index) * step
                words.append(["word": word, "start": start, "end": start + step])
            }
        }
        return words
    }
}
