import Foundation

/// A job's identity: 26 Crockford base-32 characters, time first, so ids sort by creation.
public struct JobID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// Parses user input, refusing anything that is not a well-formed id.
    public init(parsing text: String) throws {
        let upper = text.uppercased()
        guard upper.count == 26, upper.allSatisfy({ JobID.alphabet.contains($0) }) else {
            throw MediaJobsError.invalidInput("id", "'\(text)' is not a job id (26 letters and digits)")
        }
        self.rawValue = upper
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    public static func < (lhs: JobID, rhs: JobID) -> Bool { lhs.rawValue < rhs.rawValue }

    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// A new id: 48 bits of milliseconds since 1970, then 80 random bits.
    public static func generate(now: Date = Date()) -> JobID {
        var generator = SystemRandomNumberGenerator()
        return generate(now: now, using: &generator)
    }

    public static func generate<G: RandomNumberGenerator>(now: Date, using generator: inout G) -> JobID {
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var chars: [Character] = []
        chars.reserveCapacity(26)
        for shift in stride(from: 45, through: 0, by: -5) {
            chars.append(alphabet[Int((millis >> UInt64(shift)) & 31)])
        }
        for _ in 0..<16 {
            chars.append(alphabet[Int(generator.next() & 31)])
        }
        return JobID(rawValue: String(chars))
    }
}
