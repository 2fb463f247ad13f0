import Foundation

/// A provider whose account refused a key (401, 403) or has no credit (402): no job is sent to it with that key
/// until the key changes, the credit recheck time passes (402 only), or the user resumes it
/// (`mediajobs providers resume NAME`). Kept in the store, so every worker sharing it skips the provider at once.
///
/// Never holds the key: `keyFingerprint` is a short hash of it, and `detail` is the provider's answer with the key
/// cut out.
public struct ProviderAccountPause: Sendable, Equatable, Codable {
    public var provider: String
    /// `provider.unauthorized` or `provider.insufficient_credits`.
    public var code: MediaJobsError.Code
    /// What the provider said, as the error message put it (`openrouter image: HTTP 402: Insufficient credits`).
    public var detail: String
    /// `sha256:` and 8 hex digits of the refused key.
    public var keyFingerprint: String
    public var since: Date
    /// When a job may try the provider again on its own (a 402's credit recheck); nil: only a new key or a resume.
    public var recheckAt: Date?

    public init(provider: String, code: MediaJobsError.Code, detail: String, keyFingerprint: String, since: Date,
                recheckAt: Date?) {
        self.provider = provider
        self.code = code
        self.detail = detail
        self.keyFingerprint = keyFingerprint
        self.since = since
        self.recheckAt = recheckAt
    }

    enum CodingKeys: String, CodingKey {
        case provider, code, detail, since
        case keyFingerprint = "key_fingerprint"
        case recheckAt = "recheck_at"
    }

    /// Whether the pause still holds at `now` for requests sent with the key whose fingerprint is `fingerprint`.
    public func holds(forKey fingerprint: String, at now: Date) -> Bool {
        guard fingerprint == keyFingerprint else { return false }
        if let recheckAt, recheckAt <= now { return false }
        return true
    }

    /// Why the provider is paused, in a sentence for people: the reason, the key's fingerprint and how to end it.
    public var reason: String {
        let why = code.rawValue == "provider.insufficient_credits" ? "out of credit" : "the key was refused"
        let recheck = recheckAt.map { ", tried again after \(ProviderAccountPause.format($0))" } ?? ""
        return "\(why) for key \(keyFingerprint) (\(detail)); paused since \(ProviderAccountPause.format(since))\(recheck); "
            + "a new key or `mediajobs providers resume \(provider)` ends it"
    }

    /// A time as people read it in UTC: `2026-12-03T07:15:02Z`.
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// Where account pauses are kept for every worker that shares a store. Implemented by the job store.
public protocol ProviderAccountPauses: Sendable {
    /// Pauses `pause.provider` (replacing an earlier pause of it).
    func pauseAccount(_ pause: ProviderAccountPause) async throws
    /// The provider's pause, if there is one, whether or not it still holds.
    func accountPause(provider: String) async throws -> ProviderAccountPause?
    /// Every pause kept, by provider name.
    func accountPauses() async throws -> [ProviderAccountPause]
    /// Ends the provider's pause; returns the pause it ended, nil when there was none.
    @discardableResult
    func resumeAccount(provider: String) async throws -> ProviderAccountPause?
}
