import Foundation
import MediaJobsCore

/// One spending limit a provider request is checked against: what was spent since `since` (on `provider`, or on
/// every provider when nil), plus the holds of requests still in flight, plus the new estimate, must stay within
/// `limit`.
public struct BudgetLimit: Sendable, Equatable {
    /// How the limit is named to people: `budgets.daily_usd`, `budgets.providers.fal.monthly_usd`.
    public var name: String
    public var limit: Money
    /// The start of the window (the current UTC day or month).
    public var since: Date
    public var provider: String?

    public init(name: String, limit: Money, since: Date, provider: String? = nil) {
        self.name = name
        self.limit = limit
        self.since = since
        self.provider = provider
    }
}

/// The estimate of one provider request, held against budgets while the attempt that made it is in flight.
public struct BudgetHold: Sendable, Equatable {
    public var jobID: JobID
    public var attempt: Int
    public var provider: String
    public var usd: Money

    public init(jobID: JobID, attempt: Int, provider: String, usd: Money) {
        self.jobID = jobID
        self.attempt = attempt
        self.provider = provider
        self.usd = usd
    }
}

/// What `reserveBudget` decided.
public enum BudgetDecision: Sendable, Equatable {
    /// Every limit has room; the hold is recorded.
    case reserved
    /// `limit` would be passed: `spent` is what its window's cost records sum to, `inFlight` the holds of other
    /// jobs' requests not yet costed. Nothing is recorded.
    case refused(limit: BudgetLimit, spent: Money, inFlight: Money)
}
