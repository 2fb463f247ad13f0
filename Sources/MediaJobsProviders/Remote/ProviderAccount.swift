import Crypto
import Foundation
import MediaJobsCore

extension MediaJobsError.Code {
    /// The provider refused the key (401, or 403 other than a content-policy refusal): that route is unusable.
    public static let providerUnauthorized = MediaJobsError.Code("provider.unauthorized")
    /// The provider's account has no credit left (402, OpenAI's `insufficient_quota`): that route is unusable.
    public static let providerInsufficientCredits = MediaJobsError.Code("provider.insufficient_credits")
}

/// Who requests to a provider are sent as: a short fingerprint of the key (never the key), and how long a provider
/// paused for want of credit is left alone. A pause of the provider's account names the fingerprint of the key that
/// was refused, so a user can tell which key failed, and a worker with another key knows the pause is not its own.
public struct ProviderAccount: Sendable, Equatable {
    /// `sha256:` and the first 8 hex digits of the key's SHA-256.
    public var keyFingerprint: String
    /// `credit_recheck_s`: seconds after a 402 before a job tries the provider again.
    public var creditRecheckSeconds: TimeInterval

    public init(keyFingerprint: String, creditRecheckSeconds: TimeInterval) {
        self.keyFingerprint = keyFingerprint
        self.creditRecheckSeconds = creditRecheckSeconds
    }

    /// The fingerprint of `key`: eight hex digits of its SHA-256, enough to tell keys apart, too few to recover one.
    public static func fingerprint(of key: String) -> String {
        let digest = SHA256.hash(data: Data(key.utf8))
        return "sha256:" + digest.prefix(4).map { String(format: "%02x", $0) }.joined()
    }
}

extension ProviderError {
    /// Whether the provider refused the account (401, 403, 402): no job can be sent with this key until it changes,
    /// credit is added, or the user resumes the provider.
    public var isAccountRefusal: Bool {
        error.code == .providerUnauthorized || error.code == .providerInsufficientCredits
    }
}
