import Foundation
@testable import MediaJobsCore
import Testing

@Suite("A long text split for speech")
struct TextSplitterTests {
    /// Checks the promises: every piece within the limit, no piece empty or padded, and the source's words in order
    /// with none lost, added or cut (a word cut by a boundary would read as two).
    static func checkPieces(_ pieces: [String], of text: String, limit: Int) {
        #expect(pieces.allSatisfy { $0.unicodeScalars.count <= limit && !$0.isEmpty })
        #expect(pieces.allSatisfy { $0 == $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let words = text.split(whereSeparator: \.isWhitespace)
        #expect(pieces.flatMap { $0.split(whereSeparator: \.isWhitespace) } == words)
    }

    @Test("paragraphs are kept whole and packed while they fit")
    func paragraphsFirst() {
        let text = "First paragraph, short.\n\nSecond one is a little longer than the first.\n\n\n  Third.  \n"
        let pieces = TextSplitter.split(text, limit: 60)
        #expect(pieces == ["First paragraph, short.", "Second one is a little longer than the first.\n\nThird."])
        Self.checkPieces(pieces, of: text, limit: 60)
        #expect(TextSplitter.split(text, limit: 1_000) == [
            "First paragraph, short.\n\nSecond one is a little longer than the first.\n\nThird."])
    }

    @Test("a paragraph over the limit is split at sentences, and a sentence over it, which starts a piece, between words")
    func sentencesThenWords() {
        let paragraph = "One sentence here. Another one follows! Does a third? \"Quoted end.\" And a very long "
            + "sentence that goes on and on without any stop at all until it has to be cut between its words."
        let pieces = TextSplitter.split(paragraph, limit: 40)
        Self.checkPieces(pieces, of: paragraph, limit: 40)
        #expect(pieces[0] == "One sentence here. Another one follows!")
        #expect(pieces[1] == "Does a third? \"Quoted end.\"")
        #expect(pieces[2].hasPrefix("And a very long"))
        #expect(pieces.count > 4)
    }

    @Test("a line break inside a paragraph does not end a sentence; a word longer than the limit is cut")
    func wrappedLinesAndLongWords() {
        #expect(TextSplitter.sentences("a wrapped\nline. Next") == ["a wrapped\nline.", "Next"])
        #expect(TextSplitter.split("abcdefghij", limit: 4) == ["abcd", "efgh", "ij"])
    }

    @Test("an edit at the end of a long text changes only the last pieces")
    func stableUnderEditsAtTheEnd() {
        let paragraphs = (1...60).map { "Paragraph \($0) says something about the number \($0), at some length." }
        let text = paragraphs.joined(separator: "\n\n")
        let edited = text + " And one more sentence at the very end."
        let before = TextSplitter.split(text, limit: 300)
        let after = TextSplitter.split(edited, limit: 300)
        Self.checkPieces(before, of: text, limit: 300)
        Self.checkPieces(after, of: edited, limit: 300)
        #expect(before.count > 10)
        // The last piece before the edit may move its last paragraph to a new piece; every piece before it is the same.
        #expect(Array(after.prefix(before.count - 1)) == Array(before.dropLast()))
        #expect(after.last != before.last)
    }

    @Test("a 20,000-character text in 4,096-character pieces: every promise holds")
    func twentyThousandCharacters() {
        var text = ""
        var n = 0
        while text.unicodeScalars.count < 20_000 {
            n += 1
            text += "Sentence number \(n) tells of the café and its naïve owner, who said “so it goes”. "
            if n % 7 == 0 { text += "\n\n" }
        }
        let pieces = TextSplitter.split(text, limit: 4_096)
        Self.checkPieces(pieces, of: text, limit: 4_096)
        #expect(pieces.count == 5 || pieces.count == 6)
    }
}
