import Foundation

/// What a recognizer heard: timed segments of text, the one model that txt, json, srt and vtt are rendered from.
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

    public var segments: [Segment]
    public var language: String?

    public init(segments: [Segment], language: String? = nil) {
        self.segments = segments
        self.language = language
    }

    /// All segments' text joined by single spaces.
    public var text: String {
        segments.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}
