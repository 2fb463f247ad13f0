import Foundation
import MediaJobsCore
import Testing

@Suite("Transcripts of a recording's pieces merged into one")
struct TranscriptMergerTests {
    typealias Segment = Transcript.Segment
    typealias Word = Transcript.Word

    /// A piece's transcript with one word per segment: word `text` said from `start` to `end` (piece time).
    static func piece(_ words: [(String, Double, Double)], offset: Double, own: Range<Double>, withWords: Bool = true)
        -> TranscriptMerger.Piece {
        TranscriptMerger.Piece(
            transcript: Transcript(segments: words.map { Segment(start: $0.1, end: $0.2, text: $0.0) },
                                   words: withWords ? words.map { Word(text: $0.0, start: $0.1, end: $0.2) } : []),
            offset: offset, ownStart: own.lowerBound, ownEnd: own.upperBound)
    }

    @Test("times move by each piece's offset, and a word heard by both pieces of an overlap is kept once")
    func overlapKeptOnce() {
        // Source: "alpha" 1-2, "bravo" 9.4-10.4 (across the cut at 10), "charlie" 14-15. Pieces overlap by 1 s.
        let first = Self.piece([("alpha", 1, 2), ("bravo", 9.4, 10.4)], offset: 0, own: 0..<10)
        let second = Self.piece([("bravo", 0.4, 1.4), ("charlie", 5, 6)], offset: 9, own: 10..<20)
        let merged = TranscriptMerger.merge([first, second], sourceSeconds: 20)
        #expect(merged.words.map(\.text) == ["alpha", "bravo", "charlie"])
        #expect(merged.segments.map(\.text) == ["alpha", "bravo", "charlie"])
        #expect(merged.segments.map(\.start) == [1, 9.4, 14])
        #expect(merged.words.last?.end == 15)
    }

    @Test("a word whose middle is past the cut is taken from the next piece, which heard it whole")
    func middleDecides() {
        // "delta" 9.8-10.6 in the source: its middle (10.2) is the second piece's.
        let first = Self.piece([("delta-cut", 9.8, 10.6)], offset: 0, own: 0..<10)
        let second = Self.piece([("delta", 0.8, 1.6)], offset: 9, own: 10..<20)
        let merged = TranscriptMerger.merge([first, second])
        #expect(merged.text == "delta")
    }

    @Test("without word times, whole segments are kept by their middle")
    func segmentsOnly() {
        let first = Self.piece([("one two", 2, 4), ("three", 9.5, 10.7)], offset: 0, own: 0..<10, withWords: false)
        let second = Self.piece([("three", 0.5, 1.7), ("four", 3, 4)], offset: 9, own: 10..<30, withWords: false)
        let merged = TranscriptMerger.merge([first, second])
        #expect(merged.segments.map(\.text) == ["one two", "three", "four"])
        #expect(merged.words.isEmpty)
    }

    @Test("a segment that lost words in the overlap keeps the words it owns, with their times")
    func segmentTrimmedToItsWords() {
        let segment = Segment(start: 7, end: 10.8, text: "Hello there, general")
        let words = [Word(text: "Hello", start: 7, end: 7.5), Word(text: "there,", start: 7.6, end: 8.2),
                     Word(text: "general", start: 10, end: 10.8)]
        let first = TranscriptMerger.Piece(transcript: Transcript(segments: [segment], words: words), offset: 0,
                                           ownStart: 0, ownEnd: 10)
        let second = Self.piece([("general", 1, 1.8)], offset: 9, own: 10..<20)
        let merged = TranscriptMerger.merge([first, second])
        #expect(merged.segments.map(\.text) == ["Hello there,", "general"])
        #expect(merged.segments[0].end == 8.2)
        #expect(merged.segments[1].start == 10)
    }

    @Test("merged segments have strictly increasing, non-overlapping times within the recording")
    func strictlyIncreasing() {
        let first = Self.piece([("a", 0, 5), ("b", 4, 9.9)], offset: 0, own: 0..<10)
        let second = Self.piece([("c", 0.9, 1.5), ("d", 1.5, 1.5), ("e", 10, 12)], offset: 9, own: 10..<20)
        let merged = TranscriptMerger.merge([first, second], sourceSeconds: 20)
        #expect(merged.segments.map(\.text) == ["a", "b", "c", "d", "e"])
        for (previous, next) in zip(merged.segments, merged.segments.dropFirst()) {
            #expect(next.start >= previous.end)
            #expect(next.start > previous.start)
        }
        #expect(merged.segments.allSatisfy { $0.end > $0.start && $0.end <= 20 })
        // Rendered as SRT: cues numbered 1…n.
        let srt = merged.rendered(as: .srt, settings: .defaults)
        let numbers = srt.split(separator: "\n\n").compactMap { $0.split(separator: "\n").first.flatMap { Int($0) } }
        #expect(numbers == Array(1...numbers.count))
    }

    @Test("the language is the first piece's that has one")
    func language() {
        var first = Self.piece([("a", 1, 2)], offset: 0, own: 0..<10)
        var second = Self.piece([("b", 1, 2)], offset: 9, own: 10..<20)
        second.transcript.language = "en"
        #expect(TranscriptMerger.merge([first, second]).language == "en")
        first.transcript.language = "fr"
        #expect(TranscriptMerger.merge([first, second]).language == "fr")
    }
}
