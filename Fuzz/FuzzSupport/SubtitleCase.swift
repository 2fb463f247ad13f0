import Foundation
import MediaJobsCore

/// FuzzSubtitles' input: a transcript's JSON with non-finite times spelt `"inf"`, `"-inf"`, `"nan"`, and the
/// layout (`max_line_width`, `max_lines_per_cue`, any integers) beside it. The regression tests in
/// Tests/MediaJobsCoreTests read Fuzz/Regressions/FuzzSubtitles the same way.
public enum SubtitleCase {
    public struct Layout: Decodable {
        public var maxLineWidth = 42
        public var maxLinesPerCue = 2

        enum CodingKeys: String, CodingKey {
            case maxLineWidth = "max_line_width", maxLinesPerCue = "max_lines_per_cue"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            maxLineWidth = (try? c.decodeIfPresent(Int.self, forKey: .maxLineWidth)) ?? 42
            maxLinesPerCue = (try? c.decodeIfPresent(Int.self, forKey: .maxLinesPerCue)) ?? 2
        }
    }

    public static func decode(_ data: Data) -> (Transcript, Layout)? {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let transcript = try? decoder.decode(Transcript.self, from: data),
              let layout = try? decoder.decode(Layout.self, from: data)
        else { return nil }
        return (transcript, layout)
    }
}
