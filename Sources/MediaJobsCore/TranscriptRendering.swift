import Foundation

extension Transcript {
    /// The formats a transcript is delivered in.
    public enum Format: String, Sendable, CaseIterable {
        case txt, json, srt, vtt
    }

    /// Renders the transcript. Subtitles wrap cue text at `maxLineWidth` characters,
    /// at most `linesPerCue` lines a cue (a longer segment is split into several cues).
    public func rendered(as format: Format, maxLineWidth: Int = 42, linesPerCue: Int = 2) -> String {
        switch format {
        case .txt:
            return text.isEmpty ? "" : text + "\n"
        case .json:
            return renderJSON()
        case .srt:
            return cues(maxLineWidth: maxLineWidth, linesPerCue: linesPerCue).enumerated().map { index, cue in
                "\(index + 1)\n\(Transcript.timestamp(cue.start, separator: ","))"
                    + " --> \(Transcript.timestamp(cue.end, separator: ","))\n\(cue.lines.joined(separator: "\n"))\n"
            }.joined(separator: "\n")
        case .vtt:
            let body = cues(maxLineWidth: maxLineWidth, linesPerCue: linesPerCue).map { cue in
                "\(Transcript.timestamp(cue.start, separator: ".")) --> "
                    + "\(Transcript.timestamp(cue.end, separator: "."))\n\(cue.lines.joined(separator: "\n"))\n"
            }.joined(separator: "\n")
            return "WEBVTT\n\n" + body
        }
    }

    private func renderJSON() -> String {
        struct Document: Encodable {
            var text: String
            var language: String?
            var segments: [Segment]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document = Document(text: text, language: language, segments: segments)
        guard let data = try? encoder.encode(document), let json = String(data: data, encoding: .utf8) else {
            return "{}\n"
        }
        return json + "\n"
    }

    struct Cue {
        var start: Double
        var end: Double
        var lines: [String]
    }

    /// Splits segments into cues of at most `linesPerCue` wrapped lines, sharing each segment's time
    /// among its cues in proportion to their length.
    func cues(maxLineWidth: Int, linesPerCue: Int) -> [Cue] {
        var cues: [Cue] = []
        for segment in segments {
            let lines = Transcript.wrap(segment.text, width: max(8, maxLineWidth))
            guard !lines.isEmpty else { continue }
            let groups = stride(from: 0, to: lines.count, by: max(1, linesPerCue)).map {
                Array(lines[$0..<min(lines.count, $0 + max(1, linesPerCue))])
            }
            let total = Double(groups.reduce(0) { $0 + $1.joined().count })
            var start = segment.start
            let span = max(0, segment.end - segment.start)
            for group in groups {
                let share = total > 0 ? Double(group.joined().count) / total : 1
                let end = min(segment.end, start + span * share)
                cues.append(Cue(start: start, end: end, lines: group))
                start = end
            }
        }
        return cues
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(whereSeparator: \.isWhitespace) {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = String(word)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// `HH:MM:SS,mmm` (srt) or `HH:MM:SS.mmm` (vtt).
    static func timestamp(_ seconds: Double, separator: Character) -> String {
        let millis = Int((max(0, seconds) * 1000).rounded())
        let h = millis / 3_600_000, m = millis / 60_000 % 60, s = millis / 1000 % 60, ms = millis % 1000
        func pad(_ n: Int, _ width: Int) -> String {
            let text = String(n)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2))\(separator)\(pad(ms, 3))"
    }
}
