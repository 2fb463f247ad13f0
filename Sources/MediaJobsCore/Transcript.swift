import Foundation

/// What a recognizer heard: timed segments of text (and timed words where the provider gives them), the one
/// model that txt, json, srt and vtt are rendered from.
public struct Transcript: Sendable, Codable, Equatable {
    public struct Segment: Sendable, Codable, Equatable {
        /// Seconds from the start of the recording.
        public var start: Double
        public var end: Double
        public var text: String

        public init(start: Double, end: Double, text: String) {
            self.start = start
            self.end = end
            self.text = text
        }
    }

    /// One word and when it was said, in seconds from the start of the recording.
    public struct Word: Sendable, Codable, Equatable {
        public var text: String
        public var start: Double
        public var end: Double

        public init(text: String, start: Double, end: Double) {
            self.text = text
            self.start = start
            self.end = end
        }
    }

    public var segments: [Segment]
    /// Every word with its own timing, in order; empty when the provider gave segment times only.
    public var words: [Word]
    public var language: String?

    public init(segments: [Segment], words: [Word] = [], language: String? = nil) {
        self.segments = segments
        self.words = words
        self.language = language
    }

    enum CodingKeys: String, CodingKey {
        case segments, words, language
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        segments = try c.decode([Segment].self, forKey: .segments)
        words = try c.decodeIfPresent([Word].self, forKey: .words) ?? []
        language = try c.decodeIfPresent(String.self, forKey: .language)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(segments, forKey: .segments)
        if !words.isEmpty { try c.encode(words, forKey: .words) }
        try c.encodeIfPresent(language, forKey: .language)
    }

    /// All segments' text joined by single spaces (the words' when there are no segments).
    public var text: String {
        let pieces = segments.isEmpty ? words.map(\.text) : segments.map(\.text)
        return pieces.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}

/// How subtitles are laid out: the `transcripts` section of `config.json`.
///
/// ```json
/// {"transcripts": {"max_line_width": 42, "max_lines_per_cue": 2}}
/// ```
public struct TranscriptSettings: ConfigurationSection, Equatable {
    public static let sectionName = "transcripts"
    public static let fieldNames: Set<String> = ["max_line_width", "max_lines_per_cue"]
    public static let defaults = TranscriptSettings()
    public static let lineWidths = 8...200
    public static let linesPerCueRange = 1...10

    /// The most characters on one subtitle line (a longer single word stays whole on its own line).
    public var maxLineWidth: Int
    /// The most lines one srt or vtt cue shows; a longer segment is split into several cues.
    public var maxLinesPerCue: Int

    public init(maxLineWidth: Int = 42, maxLinesPerCue: Int = 2) {
        self.maxLineWidth = maxLineWidth
        self.maxLinesPerCue = maxLinesPerCue
    }

    enum CodingKeys: String, CodingKey {
        case maxLineWidth, maxLinesPerCue
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxLineWidth = try c.decodeIfPresent(Int.self, forKey: .maxLineWidth) ?? 42
        maxLinesPerCue = try c.decodeIfPresent(Int.self, forKey: .maxLinesPerCue) ?? 2
        guard Self.lineWidths.contains(maxLineWidth) else {
            throw DecodingError.dataCorruptedError(
                forKey: .maxLineWidth, in: c,
                debugDescription: "must be \(Self.lineWidths.lowerBound)–\(Self.lineWidths.upperBound) characters")
        }
        guard Self.linesPerCueRange.contains(maxLinesPerCue) else {
            throw DecodingError.dataCorruptedError(
                forKey: .maxLinesPerCue, in: c,
                debugDescription: "must be \(Self.linesPerCueRange.lowerBound)–\(Self.linesPerCueRange.upperBound) lines")
        }
    }
}
