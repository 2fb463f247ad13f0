import Foundation

/// What a job made of parts waits on: kept as its provider handle (`Job.providerHandle`) while its parts run, so the
/// job waits and is polled like a job a provider holds, and is put together from its parts when they have all ended.
///
/// Its JSON is one object under the key `parts` (`{"parts":{…}}`), which is how the store and the worker tell it from
/// a provider's handle.
public struct PartsHandle: Sendable, Codable, Equatable {
    /// One part: its job, and for a piece of a recording, the stretch of the source it carries and the stretch it owns.
    public struct Part: Sendable, Codable, Equatable {
        public var job: JobID
        /// Seconds in the source where the piece's audio starts and ends (overlap included).
        public var start: Double?
        public var end: Double?
        /// The stretch of the source whose words this part's transcript gives (`[ownStart, ownEnd)`).
        public var ownStart: Double?
        public var ownEnd: Double?

        public init(job: JobID, start: Double? = nil, end: Double? = nil, ownStart: Double? = nil, ownEnd: Double? = nil) {
            self.job = job
            self.start = start
            self.end = end
            self.ownStart = ownStart
            self.ownEnd = ownEnd
        }

        enum CodingKeys: String, CodingKey {
            case job, start, end
            case ownStart = "own_start"
            case ownEnd = "own_end"
        }
    }

    public var parts: [Part]
    /// Seconds of silence between consecutive pieces of speech when they are joined.
    public var pauseSeconds: Double?
    /// Seconds of the source recording.
    public var sourceSeconds: Double?

    public init(parts: [Part], pauseSeconds: Double? = nil, sourceSeconds: Double? = nil) {
        self.parts = parts
        self.pauseSeconds = pauseSeconds
        self.sourceSeconds = sourceSeconds
    }

    private struct Body: Codable {
        var jobs: [Part]
        var pause_s: Double?
        var source_s: Double?
    }

    private struct Envelope: Codable {
        var parts: Body
    }

    /// How every parts handle begins.
    public static let prefix = "{\"parts\":"

    /// Whether `handle` is a parts handle (not a provider's).
    public static func isParts(_ handle: String?) -> Bool {
        handle?.hasPrefix(prefix) ?? false
    }

    public func encoded() -> String {
        let envelope = Envelope(parts: Body(jobs: parts, pause_s: pauseSeconds, source_s: sourceSeconds))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(envelope)) ?? Data(), as: UTF8.self)
    }

    /// The handle `text` holds; nil when it is not a parts handle.
    public static func decode(_ text: String?) -> PartsHandle? {
        guard let text, isParts(text),
              let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(text.utf8)) else { return nil }
        return PartsHandle(parts: envelope.parts.jobs, pauseSeconds: envelope.parts.pause_s,
                           sourceSeconds: envelope.parts.source_s)
    }
}
