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
}
