import Foundation
import MediaJobsCore
import MediaJobsStore

/// The one JSON shape of a job that people and scripts see: `mediajobs status --json`, the HTTP API.
public struct JobView: Sendable, Codable, Equatable {
    public struct Artifact: Sendable, Codable, Equatable {
        public var sha256: String
        /// Absolute path of the stored file.
        public var path: String
        public var mime: String
        public var format: String
        public var bytes: Int64
        public var durationSeconds: Double?
        public var width: Int?
        public var height: Int?
        public var codec: String?
        /// What was checked on the file before it was stored (empty for inputs).
        public var checks: [MediaCheck]

        enum CodingKeys: String, CodingKey {
            case sha256, path, mime, format, bytes
            case durationSeconds = "duration_s"
            case width, height, codec, checks
        }
    }

    /// What the job cost. An unknown amount is `null` with `display` "unknown", never 0.
    public struct Cost: Sendable, Codable, Equatable {
        public struct Record: Sendable, Codable, Equatable {
            public var attempt: Int
            public var provider: String
            public var model: String
            public var units: [String: Decimal]
            /// Nil when unknown.
            public var usd: Money?
            public var source: CostRecord.Source
            /// The price lines that explain the amount.
            public var lines: [PriceLine]
            public var charged: Bool
            /// `unknown` when the request was sent and its answer never arrived whole: the provider may have billed it.
            public var outcome: CostRecord.Outcome = .answered
            /// "$0.0520" or "unknown".
            public var display: String
            /// For a job made of parts: the part whose attempt this is (nil: the job's own).
            public var part: JobID?

            enum CodingKeys: String, CodingKey {
                case attempt, provider, model, units, usd, source, lines, charged, outcome, display, part
            }

            public func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(attempt, forKey: .attempt)
                try c.encode(provider, forKey: .provider)
                try c.encode(model, forKey: .model)
                try c.encode(units, forKey: .units)
                try c.encode(usd, forKey: .usd)  // null when unknown
                try c.encode(source, forKey: .source)
                try c.encode(lines, forKey: .lines)
                try c.encode(charged, forKey: .charged)
                try c.encode(outcome, forKey: .outcome)
                try c.encode(display, forKey: .display)
                try c.encodeIfPresent(part, forKey: .part)
            }
        }

        /// The sum of the known amounts; nil when no attempt's amount is known and some are unknown.
        public var usd: Money?
        /// Attempts whose amount is unknown, not in `usd`.
        public var unknownAttempts: Int
        /// "$0.0520", "$0.0520 + 1 attempt of unknown cost" or "unknown (1 attempt)".
        public var display: String
        public var records: [Record]

        enum CodingKeys: String, CodingKey {
            case usd, display, records
            case unknownAttempts = "unknown_attempts"
        }

        public init(records: [Record]) {
            self.records = records
            // Not charged: cache hits ($0), and requests of unknown outcome that a look-up at the provider settled.
            let total = CostTotal(records.filter { $0.charged || $0.usd == .zero }.map(\.usd))
            usd = total.usd
            unknownAttempts = total.unknown
            display = total.display
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(usd, forKey: .usd)  // null when unknown
            try c.encode(unknownAttempts, forKey: .unknownAttempts)
            try c.encode(display, forKey: .display)
            try c.encode(records, forKey: .records)
        }
    }

    /// How far a job made of parts has come: its parts counted by state.
    public struct Parts: Sendable, Codable, Equatable {
        public var total: Int
        public var succeeded: Int
        public var failed: Int
        public var canceled: Int
        /// Queued, running or waiting.
        public var pending: Int
        /// The parts' jobs, in order.
        public var jobs: [JobID]
        /// "3 of 7 parts done".
        public var display: String

        public init(_ parts: [Job]) {
            total = parts.count
            succeeded = parts.filter { $0.state == .succeeded }.count
            failed = parts.filter { $0.state == .failed }.count
            canceled = parts.filter { $0.state == .canceled }.count
            pending = total - succeeded - failed - canceled
            jobs = parts.map(\.id)
            display = "\(succeeded) of \(total) parts done" + (failed > 0 ? ", \(failed) failed" : "")
                + (canceled > 0 ? ", \(canceled) canceled" : "")
        }
    }

    public struct Event: Sendable, Codable, Equatable {
        public var at: Date
        public var kind: JobEvent.Kind
        public var attempt: Int
        public var worker: String?
        public var detail: String
    }

    public var id: JobID
    public var kind: JobKind
    public var state: JobState
    public var stage: String?
    public var provider: String
    public var model: String?
    public var attempts: Int
    public var maxAttempts: Int
    public var priority: Int
    public var labels: [String: String]
    public var idempotencyKey: String?
    public var error: JobFailure?
    public var artifacts: [Artifact]
    public var inputs: [Artifact]
    public var cost: Cost
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?
    public var runAt: Date
    public var spec: JobSpec
    /// Present in `status`, absent in lists.
    public var events: [Event]?
    /// The routes the job asked for, in the order they are tried: the first (`provider`, `model`), then its fallbacks.
    public var routesAsked: [Route] = []
    /// The route that made the result, once the job succeeded (nil before, and when it was not recorded).
    public var routeUsed: RouteUsed?
    /// While the job is running or waiting: the route its provider request went to, when known.
    public var routeTrying: Route?
    /// The job this one is a part of.
    public var parentID: JobID?
    /// For a job made of parts (a long text or recording): how far its parts have come. Its cost is theirs.
    public var parts: Parts?

    enum CodingKeys: String, CodingKey {
        case id, kind, state, stage, provider, model, attempts
        case maxAttempts = "max_attempts"
        case priority, labels
        case idempotencyKey = "idempotency_key"
        case error, artifacts, inputs, cost
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case finishedAt = "finished_at"
        case runAt = "run_at"
        case spec, events
        case routesAsked = "routes_asked"
        case routeUsed = "route_used"
        case routeTrying = "route_trying"
        case parentID = "parent_id"
        case parts
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(kind, forKey: .kind)
        try c.encode(state, forKey: .state)
        try c.encode(stage, forKey: .stage)
        try c.encode(provider, forKey: .provider)
        try c.encode(model, forKey: .model)
        try c.encode(routesAsked, forKey: .routesAsked)
        try c.encode(routeUsed, forKey: .routeUsed)  // null until the job succeeded, and when not recorded
        try c.encode(routeTrying, forKey: .routeTrying)  // null unless running or waiting on a known route
        try c.encode(parentID, forKey: .parentID)  // null for a job of its own
        try c.encode(parts, forKey: .parts)  // null unless the job was split into parts
        try c.encode(attempts, forKey: .attempts)
        try c.encode(maxAttempts, forKey: .maxAttempts)
        try c.encode(priority, forKey: .priority)
        try c.encode(labels, forKey: .labels)
        try c.encode(idempotencyKey, forKey: .idempotencyKey)
        try c.encode(error, forKey: .error)  // null when there is none
        try c.encode(artifacts, forKey: .artifacts)
        try c.encode(inputs, forKey: .inputs)
        try c.encode(cost, forKey: .cost)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(runAt, forKey: .runAt)
        try c.encode(spec, forKey: .spec)
        try c.encodeIfPresent(events, forKey: .events)
    }

    /// Loads what the view needs from the store.
    public static func load(
        _ job: Job, store: any JobStore, artifacts artifactStore: ArtifactStore, withEvents: Bool
    ) async throws -> JobView {
        let attached = try await store.artifacts(job.id)
        var costs = try await store.costs(job.id).map { (record: $0, part: JobID?.none) }
        // A job made of parts costs what its parts cost: their records are its records, each naming its part.
        let parts = PartsHandle.isParts(job.providerHandle) ? try await store.parts(of: job.id) : []
        for part in parts {
            costs += try await store.costs(part.id).map { (record: $0, part: Optional(part.id)) }
        }
        let events = withEvents ? try await store.events(job.id, after: nil) : nil
        func view(_ ref: ArtifactRef) -> Artifact {
            let path = (try? artifactStore.url(for: ref.sha256).path) ?? ""
            return Artifact(sha256: ref.sha256, path: path, mime: ref.mime, format: ref.format, bytes: ref.bytes,
                            durationSeconds: ref.durationSeconds, width: ref.width, height: ref.height, codec: ref.codec,
                            checks: ref.checks)
        }
        let records = costs.map { record, part in
            Cost.Record(attempt: record.attempt, provider: record.provider, model: record.model, units: record.units,
                        usd: record.usd, source: record.source, lines: record.lines, charged: record.charged,
                        outcome: record.outcome, display: record.usd.display(), part: part)
        }
        var view = JobView(
            id: job.id, kind: job.kind, state: job.state, stage: job.stage, provider: job.spec.provider,
            model: job.spec.model, attempts: job.attempts, maxAttempts: job.maxAttempts, priority: job.priority,
            labels: job.spec.labels, idempotencyKey: job.spec.idempotencyKey, error: job.error,
            artifacts: attached.filter { $0.role == .output }.map(view),
            inputs: attached.filter { $0.role == .input }.map(view),
            cost: Cost(records: records),
            createdAt: job.createdAt, updatedAt: job.updatedAt, finishedAt: job.finishedAt, runAt: job.runAt,
            spec: job.spec,
            events: events?.map { Event(at: $0.at, kind: $0.kind, attempt: $0.attempt, worker: $0.worker, detail: $0.detail) })
        view.routesAsked = job.spec.routes
        view.routeUsed = job.routeUsed
        view.routeTrying = try await routeTrying(job, events: events, store: store)
        view.parentID = job.parentID
        view.parts = parts.isEmpty ? nil : Parts(parts)
        return view
    }

    /// The route a running or waiting job's provider request went to: the one its provider handle names, else the
    /// one its current attempt's last `provider` or `poll` stage named. Nil in other states, and when neither tells.
    static func routeTrying(_ job: Job, events known: [JobEvent]?, store: any JobStore) async throws -> Route? {
        guard job.state == .running || job.state == .waiting else { return nil }
        if let handle = job.providerHandle, let pending = try? PendingGeneration.decode(handle) {
            return Route(provider: pending.provider, model: pending.model)
        }
        guard job.state == .running else { return nil }
        var events = known ?? []
        if known == nil { events = try await store.events(job.id, after: nil) }
        for event in events.reversed() where event.kind == .stage && event.attempt == job.attempts {
            for prefix in ["provider: ", "poll: "] where event.detail.hasPrefix(prefix) {
                let route = event.detail.dropFirst(prefix.count)
                guard let slash = route.firstIndex(of: "/") else { return Route(provider: String(route)) }
                return Route(provider: String(route[..<slash]), model: String(route[route.index(after: slash)...]))
            }
        }
        return nil
    }

    /// The encoder every JSON output uses: sorted keys, ISO-8601 dates.
    public static func makeEncoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
