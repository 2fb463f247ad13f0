import Foundation

extension MediaJobsError.Code {
    /// A job ran past its deadline (`deadline_seconds`, or its kind's default).
    public static let jobTimeout = MediaJobsError.Code("job.timeout")
}

/// The limits one provider is held to by every worker process sharing a store.
public struct ProviderLimits: Sendable, Equatable {
    /// Requests in flight at once (nil: no limit).
    public var concurrency: Int?
    /// Requests started in any 60 s window (nil: no limit).
    public var requestsPerMinute: Int?

    public init(concurrency: Int? = nil, requestsPerMinute: Int? = nil) {
        self.concurrency = concurrency.map { max(1, $0) }
        self.requestsPerMinute = requestsPerMinute.map { max(1, $0) }
    }
}

/// What asking for a provider request got: a permit to go now, or how long to wait before asking again.
public enum ProviderAdmission: Sendable, Equatable {
    /// Go; hand `permit` back to `release` when the request is over.
    case granted(permit: String)
    /// Not now: ask again after `seconds`; `reason` says which limit held it (for logs and events).
    case wait(seconds: TimeInterval, reason: String)
}

/// Holds requests to each provider to its limits across every process that shares the limiter's store,
/// and slows a whole provider when it answers 429.
///
/// Implemented by the job store (one table of per-provider state), so two `mediajobs worker` processes on one
/// home share one budget of concurrency and requests per minute, and one `paused_until`.
public protocol ProviderLimiter: Sendable {
    /// Takes a request slot for `provider` now, or says how long to wait. A slot that is never released
    /// (its process died) lapses after `slotLease`.
    func admit(provider: String, limits: ProviderLimits, now: Date, slotLease: TimeInterval) async throws -> ProviderAdmission
    /// Gives back a slot taken by `admit`.
    func release(provider: String, permit: String) async throws
    /// Holds every request to `provider` until `until` (a 429's `Retry-After`); an earlier pause is never shortened.
    func pause(provider: String, until: Date, reason: String, now: Date) async throws
    /// When requests to `provider` may start again (nil or a past time: now).
    func pausedUntil(provider: String) async throws -> Date?
}

extension JobSpec {
    /// The deadline when the job names none: video generations take minutes, the rest should not.
    public static func defaultDeadlineSeconds(for kind: JobKind) -> Double {
        kind == .video ? 30 * 60 : 10 * 60
    }

    /// Seconds from submission after which the job times out.
    public var effectiveDeadlineSeconds: Double { deadlineSeconds ?? JobSpec.defaultDeadlineSeconds(for: kind) }
}
