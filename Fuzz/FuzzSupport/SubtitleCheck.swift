import MediaJobsCore

/// The shape every rendered subtitle file must have whatever the transcript held; a violation stops the
/// fuzzer with the reason (a player or a subtitle parser would misread such a file).
public enum SubtitleCheck {
    /// Renders `transcript` in every format (as the pipeline stores them) and checks the srt and vtt.
    public static func renderAndCheck(_ transcript: Transcript, maxLineWidth: Int = 42, linesPerCue: Int = 2) {
        for format in Transcript.Format.allCases {
            let text = transcript.rendered(as: format, maxLineWidth: maxLineWidth, linesPerCue: linesPerCue)
            switch format {
            case .srt: check(text, vtt: false)
            case .vtt: check(text, vtt: true)
            case .txt, .json: break
            }
        }
    }

    /// Checks cue blocks: index (srt), `start --> end` with start <= end, then non-empty text lines that hold
    /// no line break, no `-->`, and in vtt no unescaped `<` or `&`.
    public static func check(_ text: String, vtt: Bool) {
        var lines = Array(text.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        func fail(_ reason: String) -> Never {
            fatalError("\(vtt ? "vtt" : "srt"): \(reason) in:\n\(text.debugDescription)")
        }
        if vtt {
            guard lines.count >= 3, lines[0] == "WEBVTT", lines[1] == "" else { fail("no WEBVTT header") }
            lines.removeFirst(2)
        }
        if lines == [""] { return }  // no cues
        guard lines.last == "" else { fail("does not end with a line break") }
        lines.removeLast()
        var index = 0
        var cue = 0
        while index < lines.count {
            cue += 1
            if !vtt {
                guard lines[index] == String(cue) else { fail("cue \(cue) is numbered \(lines[index].debugDescription)") }
                index += 1
            }
            guard index < lines.count, let (start, end) = timing(lines[index], separator: vtt ? "." : ",") else {
                fail("cue \(cue) has no timing line")
            }
            guard start <= end else { fail("cue \(cue) ends before it starts") }
            index += 1
            var textLines = 0
            while index < lines.count, !lines[index].isEmpty {
                checkTextLine(lines[index], vtt: vtt, fail: fail)
                textLines += 1
                index += 1
            }
            guard textLines > 0 else { fail("cue \(cue) has no text") }
            if index < lines.count {
                index += 1  // the blank line between cues
                guard index < lines.count else { fail("a blank line after the last cue") }
            }
        }
    }

    private static func checkTextLine(_ line: String, vtt: Bool, fail: (String) -> Never) {
        if line.unicodeScalars.contains(where: { [0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029].contains($0.value) }) {
            fail("a line break inside text line \(line.debugDescription)")
        }
        if line.allSatisfy(\.isWhitespace) { fail("a blank text line \(line.debugDescription)") }
        // Parsers read bytes, not characters: look at scalars (`-->` followed by a combining mark is still an arrow).
        let scalars = Array(line.unicodeScalars)
        for index in scalars.indices where index >= 2 && scalars[index] == ">" {
            if scalars[index - 1] == "-" && scalars[index - 2] == "-" { fail("'-->' in text line \(line.debugDescription)") }
        }
        if vtt {
            if scalars.contains("<") { fail("an unescaped '<' in text line \(line.debugDescription)") }
            let utf8 = Array(line.utf8)
            for index in utf8.indices where utf8[index] == UInt8(ascii: "&") {
                let rest = utf8[index...]
                guard ["&amp;", "&lt;", "&gt;"].contains(where: { rest.starts(with: $0.utf8) }) else {
                    fail("an unescaped '&' in text line \(line.debugDescription)")
                }
            }
        }
    }

    /// `HH:MM:SS,mmm --> HH:MM:SS,mmm` as seconds.
    private static func timing(_ line: String, separator: Character) -> (Double, Double)? {
        let parts = line.components(separatedBy: " --> ")
        guard parts.count == 2, let start = stamp(parts[0], separator), let end = stamp(parts[1], separator) else {
            return nil
        }
        return (start, end)
    }

    private static func stamp(_ text: String, _ separator: Character) -> Double? {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0].count >= 2, fields[1].count == 2, fields[2].count == 6,
              fields[2][fields[2].index(fields[2].startIndex, offsetBy: 2)] == separator,
              let h = Int(fields[0]), let m = Int(fields[1]), m < 60,
              let s = Int(fields[2].prefix(2)), s < 60, let ms = Int(fields[2].suffix(3))
        else { return nil }
        guard fields.allSatisfy({ $0.allSatisfy { $0.isASCII && ($0.isNumber || $0 == separator) } }) else { return nil }
        return Double(h) * 3600 + Double(m) * 60 + Double(s) + Double(ms) / 1000
    }
}
