import Foundation
import MediaJobsCore

/// Reads every provider's transcription answer into the one `Transcript` model; txt, json, srt and vtt are
/// then rendered by MediaJobs whatever the provider can return.
public enum TranscriptDecoding {
    /// OpenAI-style JSON: `verbose_json` (segments with times, and `words` when word timestamps were asked for)
    /// or `json` (text only, spanning `audioSeconds`). Replicate's whisper output (`segments`, each with `words`
    /// when `word_timestamps` was set, and `transcription`) and fal's (`text` and timed `chunks`) are read too.
    public static func transcript(fromJSON object: [String: Any], audioSeconds: Double?) -> Transcript? {
        let language = (object["language"] as? String) ?? (object["detected_language"] as? String)
        let rawSegments = object["segments"] as? [[String: Any]] ?? []
        var words = (object["words"] as? [[String: Any]] ?? []).compactMap(word)
        if words.isEmpty { words = rawSegments.flatMap { ($0["words"] as? [[String: Any]] ?? []).compactMap(word) } }
        let parsed = rawSegments.compactMap { segment -> Transcript.Segment? in
            guard let text = segment["text"] as? String else { return nil }
            let start = number(segment["start"]) ?? 0
            let end = number(segment["end"]) ?? start
            return Transcript.Segment(start: start, end: max(start, end), text: text.trimmingCharacters(in: .whitespaces))
        }
        if !parsed.isEmpty { return Transcript(segments: parsed, words: words, language: language) }
        if let chunks = object["chunks"] as? [[String: Any]], !chunks.isEmpty {
            let timed = chunks.compactMap { chunk -> Transcript.Segment? in
                guard let text = chunk["text"] as? String, let times = chunk["timestamp"] as? [Any], times.count == 2,
                      let start = number(times[0])
                else { return nil }
                let end = number(times[1]) ?? start
                return Transcript.Segment(start: start, end: max(start, end), text: text.trimmingCharacters(in: .whitespaces))
            }
            if !timed.isEmpty { return Transcript(segments: timed, words: words, language: language) }
        }
        guard let text = (object["text"] as? String) ?? (object["transcription"] as? String) else { return nil }
        let duration = number(object["duration"]) ?? audioSeconds ?? 0
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return Transcript(segments: trimmed.isEmpty ? [] : [Transcript.Segment(start: 0, end: duration, text: trimmed)],
                          words: words, language: language)
    }

    /// `{"word": "fox", "start": 1.2, "end": 1.5}` (also `text` for `word`).
    private static func word(_ object: [String: Any]) -> Transcript.Word? {
        guard let text = (object["word"] as? String) ?? (object["text"] as? String),
              let start = number(object["start"])
        else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        return Transcript.Word(text: trimmed, start: start, end: max(start, number(object["end"]) ?? start))
    }

    private static func number(_ value: Any?) -> Double? {
        (value as? NSNumber)?.doubleValue
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
