/// A failure with a stable code for scripts and a sentence for people.
///
/// The message names the field or file concerned and the reason
/// (`"input.text: a tts job needs text or text_file"`); the cause is kept.
public struct MediaJobsError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A stable, dotted error code. New codes are added without breaking anyone.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        // Input and usage
        public static let invalidInput = Code("input.invalid")
        public static let invalidJSON = Code("input.invalid_json")
        public static let fileNotFound = Code("input.file_not_found")
        public static let unsupportedFormat = Code("input.unsupported_format")
        // Jobs and the store
        public static let jobNotFound = Code("job.not_found")
        public static let invalidTransition = Code("job.invalid_transition")
        public static let leaseLost = Code("job.lease_lost")
        public static let leaseExpired = Code("job.lease_expired")
        /// A part of a job made of parts failed for good or was canceled, so the job cannot be put together.
        public static let partFailed = Code("job.part_failed")
        public static let storeFailure = Code("store.failure")
        public static let artifactNotFound = Code("artifact.not_found")
        // Media (FFmpeg)
        public static let mediaOpenFailed = Code("media.open_failed")
        public static let mediaNoStreams = Code("media.no_streams")
        public static let mediaDecodeFailed = Code("media.decode_failed")
        public static let mediaZeroDuration = Code("media.zero_duration")
        public static let mediaInvalidOutput = Code("media.invalid_output")
        public static let mediaTranscodeFailed = Code("media.transcode_failed")
        public static let mediaFilterUnavailable = Code("media.filter_unavailable")
        public static let mediaCanceled = Code("media.canceled")
        // Providers and money
        public static let providerUnknown = Code("provider.unknown")
        public static let providerUnsupported = Code("provider.unsupported")
        public static let providerFailed = Code("provider.failed")
        public static let rateLimited = Code("provider.rate_limited")
        public static let budgetExceeded = Code("budget.exceeded")
        public static let canceled = Code("job.canceled")
        public static let internalError = Code("internal.error")
    }

    public var code: Code
    public var message: String
    /// The underlying cause, kept for logs; never shown in place of `message`.
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func == (lhs: MediaJobsError, rhs: MediaJobsError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    /// Shorthand for an input error naming a field: `input.text: a tts job needs text or text_file`.
    public static func invalidInput(_ field: String, _ reason: String) -> MediaJobsError {
        MediaJobsError(.invalidInput, "\(field): \(reason)")
    }
}

extension MediaJobsError {
    /// Wraps any error as a `MediaJobsError`, keeping one that already is.
    public static func wrapping(_ error: any Error, code: Code = .internalError) -> MediaJobsError {
        if let error = error as? MediaJobsError { return error }
        return MediaJobsError(code, String(describing: error), underlying: error)
    }
}
