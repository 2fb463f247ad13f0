import Foundation
import MediaJobsCore

/// An attempt whose create request may have started a generation that was never recorded: its worker died before
/// the answer was stored, or the answer never arrived whole. Its cost, as marked when it was sent, is in the ledger
/// with an unknown outcome until a look-up at the provider settles it.
public struct SubmissionRisk: Sendable, Equatable, Codable {
    /// What a look-up at the provider settled about the risk.
    public enum Resolution: String, Sendable, Equatable, Codable {
        /// The provider still held the generation: the job polled it instead of sending it again (paid once).
        case foundAtProvider = "found_at_provider"
        /// The provider listed no such generation: the create request never landed, so nothing was charged.
        case absentAtProvider = "absent_at_provider"
    }

    public var jobID: JobID
    public var attempt: Int
    /// When the rescue recorded it.
    public var at: Date
    public var detail: String
    /// When the attempt marked its create request as started (nil when not known).
    public var submittedAt: Date?
    /// The route it was sent to, "provider/model" (nil when not known).
    public var route: String?
    /// Nil while no look-up settled it: it may still have been paid for twice.
    public var resolution: Resolution?
    /// What the look-up found ("replicate prediction abc123").
    public var resolutionDetail: String?
    public var resolvedAt: Date?

    /// How the note event of such an attempt begins, in the job's story (`mediajobs status`).
    public static let notePrefix = "possible duplicate paid submission"
    /// How the note of a create request whose answer was lost in flight begins (the worker lived; the answer did not
    /// arrive whole, and the provider could not show the generation).
    public static let unknownOutcomePrefix = "paid request of unknown outcome"

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case attempt, at, detail, route, resolution
        case submittedAt = "submitted_at"
        case resolutionDetail = "resolution_detail"
        case resolvedAt = "resolved_at"
    }

    public init(jobID: JobID, attempt: Int, at: Date, detail: String, submittedAt: Date? = nil, route: String? = nil,
                resolution: Resolution? = nil, resolutionDetail: String? = nil, resolvedAt: Date? = nil) {
        self.jobID = jobID
        self.attempt = attempt
        self.at = at
        self.detail = detail
        self.submittedAt = submittedAt
        self.route = route
        self.resolution = resolution
        self.resolutionDetail = resolutionDetail
        self.resolvedAt = resolvedAt
    }
}


/// A cost record with what reports group it by besides its own fields.
public struct CostLine: Sendable, Equatable {
    public var record: CostRecord
    public var kind: JobKind
    /// The value of the requested label on the record's job, when a label was asked for and the job has it.
    public var label: String?
    /// The first route the record's job asked for, as asked (`openrouter/some-model`, or `local` for its default).
    public var routeAsked: String = ""
    /// The route that made the record's job's result (`local/flite`): "" while the job has not succeeded, and
    /// `unknown` for a job that succeeded before the route used was recorded.
    public var routeUsed: String = ""
    /// The job the record's job is a part of (a piece of a long input), nil for a job of its own.
    public var parent: JobID?

    public init(record: CostRecord, kind: JobKind, label: String?, routeAsked: String = "", routeUsed: String = "",
                parent: JobID? = nil) {
        self.record = record
        self.kind = kind
        self.label = label
        self.routeAsked = routeAsked
        self.routeUsed = routeUsed
        self.parent = parent
    }
}

/// The ledger: what each attempt cost (known, unknown, or at risk of having been paid twice) and the budget holds
/// that keep spending within limits before money is spent.
public protocol CostLedger: Sendable {
    func costs(_ id: JobID) async throws -> [CostRecord]
    /// Cost records in `[since, until)`, oldest first.
    func costRecords(since: Date?, until: Date?) async throws -> [CostRecord]
    /// The exact sum of recorded costs in `[since, until)`, charged attempts only, with the count of those whose
    /// amount is unknown.
    func totalCost(since: Date?, until: Date?) async throws -> CostTotal
    /// Cost records in `[since, until)` with their job's kind, routes and, when `label` is given, that label's value.
    func costLines(since: Date?, until: Date?, label: String?) async throws -> [CostLine]

    /// In one write transaction: checks that each limit has room for `hold` (cost records in its window plus other
    /// jobs' holds still in flight) and, when all do, records the hold, replacing the job's earlier one.
    func reserveBudget(_ hold: BudgetHold, limits: [BudgetLimit], now: Date) async throws -> BudgetDecision

    /// Records, before a create request is sent, that this attempt is starting a (maybe paid) submission: an event,
    /// and a mark that `rescueExpiredLeases` reads if the worker dies before the answer is stored. `cost` is what the
    /// request would cost: if its answer never arrives, it enters the ledger with an unknown outcome.
    func markSubmissionStarted(_ id: JobID, worker: String, detail: String, cost: CostRecord?, now: Date) async throws

    /// Records that the create request this attempt marked as started got no whole answer (cut mid-body, timed
    /// out) and was not found at the provider: a submission risk saying `detail`, and the request's marked cost in
    /// the ledger with an unknown outcome. Nothing when no request was marked. Lease-checked.
    func noteUnknownOutcome(_ id: JobID, worker: String, detail: String, now: Date) async throws

    /// Attempts that sent a create request and were lost (their worker died) before its answer was stored:
    /// each may have been paid for twice, unless a look-up at the provider settled it (`resolution`). Newest first.
    func submissionRisks() async throws -> [SubmissionRisk]

    /// The newest submission risk of job `id` that no look-up has settled yet (nil when there is none): what a new
    /// attempt looks for at the provider before sending its own create request.
    func unsettledSubmissionRisk(_ id: JobID) async throws -> SubmissionRisk?

    /// Records what a look-up at the provider found for the risk of `attempt`, while `worker` holds the job's lease:
    /// the risk's resolution and an event. Throws `job.lease_lost` when the lease is gone.
    func resolveSubmissionRisk(_ id: JobID, attempt: Int, resolution: SubmissionRisk.Resolution, detail: String,
                               worker: String, now: Date) async throws
}

extension CostLedger {
    /// The submission risks noted in `[since, until)` (either end open when nil) that no look-up at the provider
    /// settled, newest first: what a cost report over that window warns about.
    public func submissionRisks(since: Date?, until: Date?) async throws -> [SubmissionRisk] {
        try await submissionRisks().filter { risk in
            risk.resolution == nil && since.map { risk.at >= $0 } ?? true && until.map { risk.at < $0 } ?? true
        }
    }
}
