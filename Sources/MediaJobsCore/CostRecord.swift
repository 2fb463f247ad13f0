import Foundation

/// What one attempt cost, in the provider's own units and in dollars.
public struct CostRecord: Sendable, Codable, Equatable {
    /// Where the amount came from. A price we do not know is `unknown`, never a silent zero.
    /// `cached`: the job was answered from an identical earlier success, at no cost (`rawUsage` names that job).
    public enum Source: String, Sendable, Codable {
        case reported, estimated, unknown, cached
    }

    public var jobID: JobID
    public var attempt: Int
    public var provider: String
    public var model: String
    /// Billed quantities by unit: `characters`, `audio_seconds`, `images`, `video_seconds`, `tokens`.
    public var units: [String: Decimal]
    public var usd: Money
    public var source: Source
    /// Whether the provider bills this attempt.
    public var charged: Bool
    /// The provider's own usage report, kept verbatim (JSON), when it gave one.
    public var rawUsage: String?
    public var at: Date

    public init(
        jobID: JobID, attempt: Int, provider: String, model: String, units: [String: Decimal], usd: Money,
        source: Source, charged: Bool, rawUsage: String? = nil, at: Date
    ) {
        self.jobID = jobID
        self.attempt = attempt
        self.provider = provider
        self.model = model
        self.units = units
        self.usd = usd
        self.source = source
        self.charged = charged
        self.rawUsage = rawUsage
        self.at = at
    }
}
