import Foundation

/// Puts the transcripts of a recording's pieces back together as one transcript of the whole recording.
///
/// Each piece was cut from the source with a little overlap on each side, so a word at a cut is heard whole by at
/// least one of the two pieces, and the words in an overlap are heard by both. Each piece owns a stretch of the source
/// (`ownStart..<ownEnd`, the stretches tiling the recording); a word is kept from the piece that owns the moment in its
/// middle, so no word is lost or given twice. Times are moved by each piece's offset in the source.
public enum TranscriptMerger {
    public struct Piece: Sendable, Equatable {
        public var transcript: Transcript
        /// Seconds in the source where the piece's audio starts: its transcript's time 0.
        public var offset: Double
        public var ownStart: Double
        public var ownEnd: Double

        public init(transcript: Transcript, offset: Double, ownStart: Double, ownEnd: Double) {
            self.transcript = transcript
            self.offset = offset
            self.ownStart = ownStart
            self.ownEnd = ownEnd
        }
    }

    /// The shortest a segment lasts once times are made strictly increasing.
    static let minimumSegmentSeconds = 0.01

    /// One transcript of the whole source: segments and words in order, with strictly increasing, non-overlapping
    /// segment times, none past `sourceSeconds` when it is given.
    public static func merge(_ pieces: [Piece], sourceSeconds: Double? = nil) -> Transcript {
        var segments: [Transcript.Segment] = []
        var words: [Transcript.Word] = []
        for (index, piece) in pieces.enumerated() {
            let last = index == pieces.count - 1
            func owns(_ start: Double, _ end: Double) -> Bool {
                let middle = (start + end) / 2 + piece.offset
                return (middle >= piece.ownStart || index == 0) && (middle < piece.ownEnd || last)
            }
            let kept = keptSegments(piece, owns: owns)
            segments += kept.segments
            words += kept.words
        }
        return Transcript(segments: ordered(segments, end: sourceSeconds), words: orderedWords(words, end: sourceSeconds),
                          language: pieces.lazy.compactMap(\.transcript.language).first)
    }

    /// The segments and words of one piece that it owns, moved to source time. A segment keeps the words it owns (its
    /// text becomes theirs when it lost some). Without word times (a recogniser that gives segments only), each
    /// segment's words are given times spread over it by their length, to judge which are owned; they are not output.
    private static func keptSegments(_ piece: Piece, owns: (Double, Double) -> Bool)
        -> (segments: [Transcript.Segment], words: [Transcript.Word]) {
        let shift = piece.offset
        let transcript = piece.transcript
        let estimated = transcript.words.isEmpty
        var keptWords: [Transcript.Word] = []
        var segments: [Transcript.Segment] = []
        // Each word belongs to the segment whose time holds its middle, else to the nearest segment before it.
        var wordIndex = 0
        let allWords = estimated ? estimatedWords(transcript.segments) : transcript.words
        for (segmentIndex, segment) in transcript.segments.enumerated() {
            let nextStart = segmentIndex + 1 < transcript.segments.count
                ? transcript.segments[segmentIndex + 1].start : Double.infinity
            var mine: [Transcript.Word] = []
            while wordIndex < allWords.count, (allWords[wordIndex].start + allWords[wordIndex].end) / 2 < nextStart {
                mine.append(allWords[wordIndex])
                wordIndex += 1
            }
            let owned = mine.filter { owns($0.start, $0.end) }
            let moved = owned.map { Transcript.Word(text: $0.text, start: $0.start + shift, end: $0.end + shift) }
            keptWords += moved
            if mine.isEmpty {
                if owns(segment.start, segment.end) {
                    segments.append(Transcript.Segment(start: segment.start + shift, end: segment.end + shift, text: segment.text))
                }
            } else if owned.count == mine.count {
                segments.append(Transcript.Segment(start: segment.start + shift, end: segment.end + shift, text: segment.text))
            } else if let first = moved.first, let last = moved.last {
                segments.append(Transcript.Segment(start: first.start, end: last.end,
                                                   text: moved.map(\.text).joined(separator: " ")))
            }
        }
        // Words after the last segment (a provider that gave more words than its segments hold).
        keptWords += allWords[wordIndex...].filter { owns($0.start, $0.end) }.map {
            Transcript.Word(text: $0.text, start: $0.start + shift, end: $0.end + shift)
        }
        return (segments, estimated ? [] : keptWords)
    }

    /// Each segment's words with times spread over the segment in proportion to their length (and a space each).
    static func estimatedWords(_ segments: [Transcript.Segment]) -> [Transcript.Word] {
        segments.flatMap { segment -> [Transcript.Word] in
            let words = segment.text.split(whereSeparator: \.isWhitespace).map(String.init)
            let total = Double(words.reduce(0) { $0 + $1.count + 1 })
            guard total > 0 else { return [] }
            let perCharacter = max(0, segment.end - segment.start) / total
            var at = segment.start
            return words.map { word in
                let end = at + Double(word.count + 1) * perCharacter
                defer { at = end }
                return Transcript.Word(text: word, start: at, end: end)
            }
        }
    }

    /// Segments sorted by start, each starting after the previous one ends (a start inside the previous segment is
    /// moved to its end), lasting at least `minimumSegmentSeconds`, and not past `end`.
    static func ordered(_ segments: [Transcript.Segment], end: Double?) -> [Transcript.Segment] {
        var result: [Transcript.Segment] = []
        for var segment in segments.sorted(by: { $0.start < $1.start }) {
            if let previous = result.last {
                segment.start = max(segment.start, previous.end)
            }
            segment.end = max(segment.end, segment.start + minimumSegmentSeconds)
            if let end, segment.end > end {
                segment.end = end
                if segment.start >= segment.end {
                    guard var previous = result.popLast() else {
                        segment.start = max(0, end - minimumSegmentSeconds)
                        result.append(segment)
                        continue
                    }
                    // No room left: the text joins the segment before it.
                    previous.text += " " + segment.text
                    result.append(previous)
                    continue
                }
            }
            result.append(segment)
        }
        return result
    }

    /// Words sorted by start, none starting before the previous one ends, none past `end`.
    static func orderedWords(_ words: [Transcript.Word], end: Double?) -> [Transcript.Word] {
        var result: [Transcript.Word] = []
        for var word in words.sorted(by: { $0.start < $1.start }) {
            if let previous = result.last { word.start = max(word.start, previous.end) }
            word.end = max(word.end, word.start)
            if let end { word.end = min(word.end, end); word.start = min(word.start, word.end) }
            result.append(word)
        }
        return result
    }
}
