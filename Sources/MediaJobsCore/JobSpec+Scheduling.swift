import Foundation

/// When a job may run (`run_at`) and whether an earlier identical success may answer it (`cache`).
extension JobSpec {
    /// Whether the result cache may answer this job: the `cache` field, else on for tts and transcribe
    /// and off for image and video (where a new sample is usually wanted).
    public var usesCache: Bool { cache ?? kind.cachedByDefault }

    /// Parses a time as the CLI's `--at` takes it: ISO-8601 (`2026-11-26T09:00:00Z`, with or without
    /// fractions of a second or an offset) or relative to `now` (`+90s`, `+10m`, `+2h`, `+1d`).
    public static func parseTime(_ text: String, now: Date = Date()) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("+") {
            let body = trimmed.dropFirst()
            guard let unit = body.last, let amount = Double(body.dropLast()), amount >= 0, amount.isFinite else { return nil }
            let seconds: Double
            switch unit {
            case "s": seconds = amount
            case "m": seconds = amount * 60
            case "h": seconds = amount * 3600
            case "d": seconds = amount * 86_400
            default: return nil
            }
            return now.addingTimeInterval(seconds)
        }
        // ICU's parser (under ISO8601DateFormatter) kills the process with a division by zero on a fraction of
        // dozens of digits (found by FuzzJobDocument): no field of an ISO-8601 time has more than 9 digits.
        var digits = 0
        for scalar in trimmed.unicodeScalars {
            digits = ("0"..."9").contains(scalar) ? digits + 1 : 0
            if digits > 9 { return nil }
        }
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: trimmed) { return date }
        }
        return nil
    }

    /// ISO-8601 in UTC, with milliseconds when the time has them.
    public static func formatTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = date.timeIntervalSince1970.rounded() == date.timeIntervalSince1970
            ? [.withInternetDateTime] : [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func decodeTime(_ c: KeyedDecodingContainer<CodingKeys>, forKey key: CodingKeys) throws -> Date? {
        guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
        // Relative times would move each time a manifest is read again: only absolute ones here.
        guard !text.hasPrefix("+"), let date = parseTime(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: c, debugDescription: "'\(text)' is not an ISO-8601 time like 2026-11-26T09:00:00Z")
        }
        return date
    }
}

extension JobKind {
    /// Speech and transcripts of the same input are the same; images and videos are samples.
    public var cachedByDefault: Bool {
        switch self {
        case .tts, .transcribe: true
        case .image, .video: false
        }
    }
}
