import Foundation
import MediaJobsCore

/// Reads every provider's transcription answer into the one `Transcript` model; txt, json, srt and vtt are
/// then rendered by MediaJobs whatever the provider can return.
public enum TranscriptDecoding {
    /// OpenAI-style JSON: `verbose_json` (segments with times) or `json` (text only, spanning `audioSeconds`).
    /// Replicate's whisper output (`segments`, `transcription`) has the same fields.
    public static func transcript(fromJSON object: [String: Any], audioSeconds: Double?) -> Transcript? {
        let language = object["language"] as? String
        if let segments = object["segments"] as? [[String: Any]], !segments.isEmpty {
            let parsed = segments.compactMap { segment -> Transcript.Segment? in
                guard let text = segment["text"] as? String else { return nil }
                let start = (segment["start"] as? NSNumber)?.doubleValue ?? 0
                let end = (segment["end"] as? NSNumber)?.doubleValue ?? start
                return Transcript.Segment(start: start, end: max(start, end), text: text.trimmingCharacters(in: .whitespaces))
            }
            if !parsed.isEmpty { return Transcript(segments: parsed, language: language) }
        }
        guard let text = (object["text"] as? String) ?? (object["transcription"] as? String) else { return nil }
        let duration = (object["duration"] as? NSNumber)?.doubleValue ?? audioSeconds ?? 0
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return Transcript(segments: trimmed.isEmpty ? [] : [Transcript.Segment(start: 0, end: duration, text: trimmed)],
                          language: language)
    }

    /// SRT or WebVTT cues (`00:00:01,000 --> 00:00:02,500`) as segments.
    public static func transcript(fromCues text: String) -> Transcript {
        var segments: [Transcript.Segment] = []
        let blocks = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
        for block in blocks {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            guard let timing = lines.firstIndex(where: { $0.contains("-->") }) else { continue }
            let parts = lines[timing].components(separatedBy: "-->")
            guard parts.count == 2, let start = seconds(parts[0]), let end = seconds(parts[1]) else { continue }
            let words = lines[(timing + 1)...].joined(separator: " ").trimmingCharacters(in: .whitespaces)
            if !words.isEmpty { segments.append(Transcript.Segment(start: start, end: end, text: words)) }
        }
        return Transcript(segments: segments)
    }

    static func seconds(_ stamp: String) -> Double? {
        let clean = stamp.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
        let fields = clean.replacingOccurrences(of: ",", with: ".").split(separator: ":").map { Double($0) }
        guard !fields.isEmpty, fields.allSatisfy({ $0 != nil }) else { return nil }
        return fields.reduce(0) { $0 * 60 + $1! }
    }
}
