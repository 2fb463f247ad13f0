import Foundation

extension Transcript {
    /// The formats a transcript is delivered in.
    public enum Format: String, Sendable, CaseIterable {
        case txt, json, srt, vtt
    }

    /// Renders the transcript with the subtitle layout of `settings`.
    public func rendered(as format: Format, settings: TranscriptSettings) -> String {
        rendered(as: format, maxLineWidth: settings.maxLineWidth, linesPerCue: settings.maxLinesPerCue)
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
                    + " --> \(Transcript.timestamp(cue.end, separator: ","))\n"
                    + "\(cue.lines.map(Transcript.srtText).joined(separator: "\n"))\n"
            }.joined(separator: "\n")
        case .vtt:
            let body = cues(maxLineWidth: maxLineWidth, linesPerCue: linesPerCue).map { cue in
                "\(Transcript.timestamp(cue.start, separator: ".")) --> "
                    + "\(Transcript.timestamp(cue.end, separator: "."))\n"
                    + "\(cue.lines.map(Transcript.vttText).joined(separator: "\n"))\n"
            }.joined(separator: "\n")
            return "WEBVTT\n\n" + body
        }
    }

    private func renderJSON() -> String {
        struct Document: Encodable {
            var text: String
            var language: String?
            var segments: [Segment]
            var words: [Word]?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document = Document(text: text, language: language, segments: segments, words: words.isEmpty ? nil : words)
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

    /// Splits segments into cues of at most `linesPerCue` lines of at most `maxLineWidth` characters.
    ///
    /// Where the segment's words have their own times, a cue starts when its first word starts and ends when
    /// its last word ends; otherwise the segment's time is shared among its cues in proportion to their length.
    func cues(maxLineWidth: Int, linesPerCue: Int) -> [Cue] {
        let width = max(8, maxLineWidth)
        let perCue = max(1, linesPerCue)
        let timed: [(Segment, [Word])] = segments.isEmpty && !words.isEmpty
            ? [(Segment(start: words[0].start, end: words[words.count - 1].end, text: text), words)]
            : segments.map { ($0, timedWords(in: $0)) }
        var cues: [Cue] = []
        for (segment, segmentWords) in timed {
            if let wordCues = Transcript.wordTimedCues(segment, words: segmentWords, width: width, linesPerCue: perCue) {
                cues += wordCues
            } else {
                cues += Transcript.proportionalCues(segment, width: width, linesPerCue: perCue)
            }
        }
        // Times come from providers as they are: a cue never starts before 0, past the largest time a
        // timestamp shows, or after it ends (NaN counts as 0).
        return cues.map { cue in
            let start = Transcript.cueTime(cue.start)
            return Cue(start: start, end: max(start, Transcript.cueTime(cue.end)), lines: cue.lines)
        }
    }

    /// The latest time a subtitle timestamp shows: 99:59:59.999.
    static let latestCueTime = 359_999.999

    private static func cueTime(_ seconds: Double) -> Double {
        seconds.isNaN ? 0 : min(max(0, seconds), latestCueTime)
    }

    /// The words whose middle falls within `segment`.
    private func timedWords(in segment: Segment) -> [Word] {
        words.filter { word in
            let middle = (word.start + word.end) / 2
            return middle >= segment.start && middle <= segment.end
        }
    }

    /// Cues timed by `words`; nil when there are none. The segment's own spelling (with its punctuation) is kept
    /// when it has as many words as were timed.
    private static func wordTimedCues(_ segment: Segment, words: [Word], width: Int, linesPerCue: Int) -> [Cue]? {
        guard !words.isEmpty else { return nil }
        let spelled = segment.text.split(whereSeparator: \.isWhitespace).map(String.init)
        // A word's own text may hold line breaks or spaces: a cue line never does.
        let texts = spelled.count == words.count
            ? spelled : words.map { $0.text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        var cues: [Cue] = []
        var lines: [String] = []
        var line = ""
        var first: Int?
        var last = 0
        func closeCue() {
            if !line.isEmpty { lines.append(line) }
            if let start = first, !lines.isEmpty {
                cues.append(Cue(start: words[start].start, end: max(words[start].start, words[last].end), lines: lines))
            }
            lines = []
            line = ""
            first = nil
        }
        for (index, text) in texts.enumerated() where !text.isEmpty {
            if line.isEmpty {
                line = text
            } else if line.count + 1 + text.count <= width {
                line += " " + text
            } else {
                lines.append(line)
                line = text
                if lines.count == linesPerCue {
                    // The cue is full: the word that did not fit starts the next one.
                    let carried = line
                    line = ""
                    closeCue()
                    line = carried
                }
            }
            if first == nil { first = index }
            last = index
        }
        closeCue()
        return cues
    }

    /// Cues that share the segment's time in proportion to their length.
    private static func proportionalCues(_ segment: Segment, width: Int, linesPerCue: Int) -> [Cue] {
        let lines = Transcript.wrap(segment.text, width: width)
        guard !lines.isEmpty else { return [] }
        let groups = stride(from: 0, to: lines.count, by: linesPerCue).map {
            Array(lines[$0..<min(lines.count, $0 + linesPerCue)])
        }
        let total = Double(groups.reduce(0) { $0 + $1.joined().count })
        var start = segment.start
        // A segment that ends before it starts (as a provider may say) lasts no time.
        let segmentEnd = max(segment.start, segment.end)
        let span = segmentEnd - segment.start
        var cues: [Cue] = []
        for group in groups {
            let share = total > 0 ? Double(group.joined().count) / total : 1
            let end = min(segmentEnd, start + span * share)
            cues.append(Cue(start: start, end: end, lines: group))
            start = end
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

    /// A cue's text line for srt: an arrow `-->` (which starts a timing line) is written `→`.
    static func srtText(_ line: String) -> String {
        var scalars: [Unicode.Scalar] = []
        for scalar in line.unicodeScalars {
            if scalar == ">", scalars.count >= 2, scalars[scalars.count - 2] == "-", scalars[scalars.count - 1] == "-" {
                scalars.removeLast(2)
                scalars.append("\u{2192}")
            } else {
                scalars.append(scalar)
            }
        }
        return String(String.UnicodeScalarView(scalars))
    }

    /// A cue's text line for WebVTT, which reads `&`, `<` and `>` as markup: they are escaped.
    static func vttText(_ line: String) -> String {
        var text = ""
        for scalar in line.unicodeScalars {
            switch scalar {
            case "&": text += "&amp;"
            case "<": text += "&lt;"
            case ">": text += "&gt;"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text
    }

    /// `HH:MM:SS,mmm` (srt) or `HH:MM:SS.mmm` (vtt), from 0 to 99:59:59.999 (NaN reads as 0).
    static func timestamp(_ seconds: Double, separator: Character) -> String {
        let millis = Int((cueTime(seconds) * 1000).rounded())
        let h = millis / 3_600_000, m = millis / 60_000 % 60, s = millis / 1000 % 60, ms = millis % 1000
        func pad(_ n: Int, _ width: Int) -> String {
            let text = String(n)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2))\(separator)\(pad(ms, 3))"
    }
}
