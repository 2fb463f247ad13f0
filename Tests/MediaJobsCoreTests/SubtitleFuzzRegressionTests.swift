import Foundation
import Testing
@testable import MediaJobsCore

/// The inputs FuzzSubtitles found (Fuzz/Regressions/FuzzSubtitles, see docs/FUZZING.md), read as the fuzzer reads
/// them: a transcript's JSON, with the layout beside it.
@Suite("Subtitle rendering: inputs found by fuzzing")
struct SubtitleFuzzRegressionTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/Regressions/FuzzSubtitles")

    struct Layout: Decodable {
        var maxLineWidth: Int?
        var maxLinesPerCue: Int?

        enum CodingKeys: String, CodingKey {
            case maxLineWidth = "max_line_width", maxLinesPerCue = "max_lines_per_cue"
        }
    }

    /// The srt and vtt that `name` renders to.
    func rendered(_ name: String) throws -> (srt: String, vtt: String) {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(name))
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let transcript = try decoder.decode(Transcript.self, from: data)
        let layout = (try? decoder.decode(Layout.self, from: data)) ?? Layout()
        let width = layout.maxLineWidth ?? 42, lines = layout.maxLinesPerCue ?? 2
        return (transcript.rendered(as: .srt, maxLineWidth: width, linesPerCue: lines),
                transcript.rendered(as: .vtt, maxLineWidth: width, linesPerCue: lines))
    }

    @Test("a start time past what a timestamp shows renders as 99:59:59.999 instead of trapping")
    func hugeStart() throws {
        let (srt, vtt) = try rendered("huge-start.json")
        let timings = srt.split(separator: "\n").filter { $0.contains(" --> ") }
        #expect(!timings.isEmpty)
        #expect(timings.allSatisfy { $0 == "99:59:59,999 --> 99:59:59,999" })
        #expect(vtt.contains("99:59:59.999 --> 99:59:59.999\n"))
        #expect(Transcript.timestamp(.infinity, separator: ",") == "99:59:59,999")
        #expect(Transcript.timestamp(-.infinity, separator: ",") == "00:00:00,000")
        #expect(Transcript.timestamp(.nan, separator: ".") == "00:00:00.000")
    }

    @Test("a segment that ends before it starts gives a cue that ends where it starts")
    func endBeforeStart() throws {
        let (srt, _) = try rendered("end-before-start.json")
        #expect(srt == "1\n00:00:09,000 --> 00:00:09,000\nT\n")
    }

    @Test("'-->' in text is written as an arrow in srt and escaped in vtt, so no text line reads as a timing line")
    func arrowInText() throws {
        let (srt, vtt) = try rendered("arrow-in-text.json")
        #expect(srt == "1\n00:00:00,000 --> 00:00:05,000\n\u{2192}\n")
        #expect(vtt == "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n--&gt;\n")
        #expect(Transcript.srtText("a --> b ---> c -- >") == "a \u{2192} b -\u{2192} c -- >")
    }

    @Test("a word whose text is only a line break (\\n, U+0085) makes no cue, and never a blank or broken line",
          arguments: ["newline-in-word.json", "line-break-in-word.json"])
    func lineBreakWord(_ name: String) throws {
        let (srt, vtt) = try rendered(name)
        #expect(srt == "")
        #expect(vtt == "WEBVTT\n\n")
        let words = Transcript(segments: [], words: [.init(text: "two\nlines", start: 0, end: 1), .init(text: "x", start: 1, end: 2)])
        #expect(words.rendered(as: .srt) == "1\n00:00:00,000 --> 00:00:02,000\ntwo lines x\n")
    }

    @Test("vtt escapes '&' and '<' (and '>') in cue text; srt keeps them")
    func vttEscaping() throws {
        let ampersand = try rendered("vtt-ampersand.json")
        #expect(ampersand.vtt.contains("\nThe qu&amp;amp\n"))
        #expect(ampersand.srt.contains("\nThe qu&amp\n"))
        let angle = try rendered("vtt-angle-bracket.json")
        #expect(angle.vtt == "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n&lt;\n")
        #expect(angle.srt == "1\n00:00:00,000 --> 00:00:05,000\n<\n")
    }
}
