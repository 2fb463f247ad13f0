import Foundation
import Testing
@testable import MediaJobsCore

@Suite("Transcript rendering")
struct TranscriptTests {
    let transcript = Transcript(segments: [
        .init(start: 0, end: 2.5, text: "the quick brown fox"),
        .init(start: 3, end: 65.25, text: "jumps over the lazy dog"),
    ])

    @Test("txt joins the segments")
    func txt() {
        #expect(transcript.rendered(as: .txt) == "the quick brown fox jumps over the lazy dog\n")
    }

    @Test("srt numbers cues and uses commas in times")
    func srt() {
        #expect(transcript.rendered(as: .srt) == """
            1
            00:00:00,000 --> 00:00:02,500
            the quick brown fox

            2
            00:00:03,000 --> 00:01:05,250
            jumps over the lazy dog

            """)
    }

    @Test("vtt starts with its header and uses dots in times")
    func vtt() {
        let vtt = transcript.rendered(as: .vtt)
        #expect(vtt.hasPrefix("WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nthe quick brown fox\n"))
    }

    @Test("long segments wrap and split into cues that share the segment's time")
    func wrapping() {
        let long = Transcript(segments: [.init(start: 0, end: 10, text: String(repeating: "word ", count: 40))])
        let cues = long.cues(maxLineWidth: 20, linesPerCue: 2)
        #expect(cues.count > 1)
        #expect(cues.allSatisfy { $0.lines.count <= 2 && $0.lines.allSatisfy { $0.count <= 20 } })
        #expect(cues.first?.start == 0)
        #expect(abs((cues.last?.end ?? 0) - 10) < 0.001)
    }

    @Test("json carries the text and the segments")
    func json() {
        let json = transcript.rendered(as: .json)
        #expect(json.contains("\"text\" : \"the quick brown fox jumps over the lazy dog\""))
        #expect(json.contains("\"segments\""))
    }

    /// "the quick brown fox jumps over the lazy dog." said over 0–4.5 s, each word timed.
    private let timed = Transcript(
        segments: [.init(start: 0, end: 4.5, text: "The quick brown fox jumps over the lazy dog.")],
        words: [
            .init(text: "The", start: 0.0, end: 0.3), .init(text: "quick", start: 0.3, end: 0.8),
            .init(text: "brown", start: 0.8, end: 1.2), .init(text: "fox", start: 1.2, end: 1.9),
            .init(text: "jumps", start: 2.4, end: 2.9), .init(text: "over", start: 2.9, end: 3.2),
            .init(text: "the", start: 3.2, end: 3.4), .init(text: "lazy", start: 3.4, end: 3.9),
            .init(text: "dog", start: 3.9, end: 4.5),
        ])

    @Test("with word timings, each cue starts at its first word and ends at its last, keeping the segment's spelling")
    func wordTimedCues() {
        let srt = timed.rendered(as: .srt, settings: TranscriptSettings(maxLineWidth: 10, maxLinesPerCue: 1))
        #expect(srt == """
            1
            00:00:00,000 --> 00:00:00,800
            The quick

            2
            00:00:00,800 --> 00:00:01,900
            brown fox

            3
            00:00:02,400 --> 00:00:03,200
            jumps over

            4
            00:00:03,200 --> 00:00:03,900
            the lazy

            5
            00:00:03,900 --> 00:00:04,500
            dog.

            """)
        let twoLines = timed.cues(maxLineWidth: 10, linesPerCue: 2)
        #expect(twoLines.map(\.lines) == [["The quick", "brown fox"], ["jumps over", "the lazy"], ["dog."]])
        #expect(twoLines.map(\.start) == [0.0, 2.4, 3.9])
        #expect(twoLines.map(\.end) == [1.9, 3.9, 4.5])
    }

    @Test("without word timings a long segment is split proportionally, within the width and line count")
    func proportionalCues() {
        let untimed = Transcript(segments: timed.segments)
        let cues = untimed.cues(maxLineWidth: 10, linesPerCue: 2)
        #expect(cues.map(\.lines) == [["The quick", "brown fox"], ["jumps over", "the lazy"], ["dog."]])
        // 18, 18 and 4 characters of 40 share 4.5 s.
        #expect(abs(cues[1].start - 4.5 * 18 / 40) < 0.001)
        #expect(abs(cues[2].end - 4.5) < 0.001)
    }

    @Test("the default layout is 42 characters and 2 lines a cue")
    func defaultLayout() {
        let long = Transcript(segments: [.init(start: 0, end: 30, text: String(repeating: "talking ", count: 40))])
        let cues = long.cues(maxLineWidth: TranscriptSettings.defaults.maxLineWidth,
                             linesPerCue: TranscriptSettings.defaults.maxLinesPerCue)
        #expect(cues.allSatisfy { $0.lines.count <= 2 && $0.lines.allSatisfy { $0.count <= 42 } })
        #expect(cues.first?.lines.first?.count == 39)
        #expect(long.rendered(as: .vtt) == long.rendered(as: .vtt, settings: .defaults))
    }

    @Test("json carries the words when there are any")
    func jsonWords() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(timed.rendered(as: .json).utf8)) as? [String: Any])
        let words = try #require(object["words"] as? [[String: Any]])
        #expect(words.count == 9)
        #expect(words[3]["text"] as? String == "fox")
        #expect(words[3]["start"] as? Double == 1.2)
        #expect(!transcript.rendered(as: .json).contains("\"words\""))
    }

    @Test("the transcripts section of config.json sets the layout and names a wrong field")
    func settingsSection() throws {
        let settings = try Configuration(json: Data(#"{"transcripts": {"max_line_width": 32, "max_lines_per_cue": 1}}"#.utf8))
            .section(TranscriptSettings.self)
        #expect(settings == TranscriptSettings(maxLineWidth: 32, maxLinesPerCue: 1))
        #expect(try Configuration.empty.section(TranscriptSettings.self) == TranscriptSettings(maxLineWidth: 42, maxLinesPerCue: 2))
        #expect(throws: MediaJobsError.self) {
            try Configuration(json: Data(#"{"transcripts": {"max_line_width": 3}}"#.utf8)).section(TranscriptSettings.self)
        }
        do {
            _ = try Configuration(json: Data(#"{"transcripts": {"max_lines_per_cue": 0}}"#.utf8)).section(TranscriptSettings.self)
            Issue.record("0 lines a cue was accepted")
        } catch let error as MediaJobsError {
            #expect(error.message == "config.json: transcripts.max_lines_per_cue: must be 1–10 lines")
        }
    }
}
