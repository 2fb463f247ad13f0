import Foundation

/// Splits a text too long for one speech request into pieces a provider takes: at paragraphs first, then at
/// sentences, then between words, never inside a word.
///
/// Pieces are packed greedily from the start, so an edit near the end of a text changes only the pieces from the edit
/// on: the pieces before it are the same texts, and their speech is found in the result cache.
public enum TextSplitter {
    /// The pieces of `text`, each at most `limit` characters (counted as Unicode scalars, which is at least what any
    /// provider counts), in order. Whitespace between pieces is dropped; a piece never starts or ends with it. A word
    /// longer than `limit` (no provider's limit is that small) is cut at the limit.
    public static func split(_ text: String, limit: Int) -> [String] {
        precondition(limit > 0, "limit must be positive")
        var pieces: [String] = []
        var current = ""
        var currentLength = 0
        func flush() {
            if !current.isEmpty { pieces.append(current) }
            current = ""
            currentLength = 0
        }
        /// Appends `unit` after `separator` when both fit, else starts a new piece with it.
        func add(_ unit: String, separator: String) {
            let length = unit.unicodeScalars.count
            if current.isEmpty {
                current = unit
                currentLength = length
            } else if currentLength + separator.unicodeScalars.count + length <= limit {
                current += separator + unit
                currentLength += separator.unicodeScalars.count + length
            } else {
                flush()
                current = unit
                currentLength = length
            }
        }
        for paragraph in paragraphs(text) {
            if paragraph.unicodeScalars.count <= limit {
                add(paragraph, separator: "\n\n")
                continue
            }
            // A paragraph too long for one piece starts a piece of its own, filled sentence by sentence.
            flush()
            for sentence in sentences(paragraph) {
                if sentence.unicodeScalars.count <= limit {
                    add(sentence, separator: " ")
                    continue
                }
                // So is a sentence too long for one piece: it is cut between words only where it must be.
                flush()
                for word in words(sentence, limit: limit) {
                    add(word, separator: " ")
                }
                flush()
            }
            flush()
        }
        flush()
        return pieces
    }

    /// The paragraphs of `text`: runs of lines separated by a blank line, each trimmed, empty ones dropped.
    static func paragraphs(_ text: String) -> [String] {
        var paragraphs: [String] = []
        var lines: [Substring] = []
        func close() {
            let paragraph = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            if !paragraph.isEmpty { paragraphs.append(paragraph) }
            lines.removeAll()
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace) { close() } else { lines.append(line) }
        }
        close()
        return paragraphs
    }

    /// The sentences of `paragraph`: each ends after `.`, `!`, `?` or `…` (and any closing quotes or brackets) followed
    /// by whitespace. A line break alone does not end one (a script may be wrapped at any width).
    static func sentences(_ paragraph: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        var ended = false
        for character in paragraph {
            if ended && character.isWhitespace {
                let sentence = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !sentence.isEmpty { sentences.append(sentence) }
                current = ""
                ended = false
                continue
            }
            current.append(character)
            if ".!?…".contains(character) {
                ended = true
            } else if !"\"'”’)]»".contains(character) {
                ended = false
            }
        }
        let last = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty { sentences.append(last) }
        return sentences
    }

    /// The words of `sentence` (split at whitespace); a word longer than `limit` is cut into pieces of `limit`.
    static func words(_ sentence: String, limit: Int) -> [String] {
        sentence.split(whereSeparator: \.isWhitespace).flatMap { word -> [String] in
            let scalars = Array(word.unicodeScalars)
            guard scalars.count > limit else { return [String(word)] }
            return stride(from: 0, to: scalars.count, by: limit).map { start in
                var piece = String.UnicodeScalarView()
                piece.append(contentsOf: scalars[start..<min(scalars.count, start + limit)])
                return String(piece)
            }
        }
    }
}
