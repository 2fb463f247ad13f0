import Foundation
import MediaJobsCore

/// Cost records summed by any of day, provider, model, kind, label and the routes of their jobs, with reported,
/// estimated and cached amounts side by side. One grouping for the CLI (`mediajobs costs --by …`) and `/v1/costs`.
///
/// `provider` and `model` are those of each attempt's own record; `route_asked` is the first route its job asked for
/// and `route_used` the route that made its job's result (empty while the job has not succeeded, `unknown` when it
/// succeeded before that was recorded): what jobs asked of a route cost, fallbacks included, and what the results a
/// route made cost.
public struct CostReport: Sendable, Encodable {
    /// What a report can group by.
    public static let dimensions = ["day", "provider", "model", "kind", "label", "route_asked", "route_used", "job",
                                    "part"]

    /// The records sharing one key.
    public struct Group: Sendable, Encodable, Equatable {
        /// The value of each grouping dimension (`{"day": "2026-11-26", "provider": "openai"}`).
        public var key: [String: String]
        /// Reported plus estimated; nil when every attempt of the group has an unknown price (never a silent $0).
        public var usd: Money?
        public var reportedUSD: Money
        public var estimatedUSD: Money
        /// Attempts whose price is unknown (counted, never summed as zero).
        public var unknownPrices: Int
        /// Jobs answered from the result cache, at no cost.
        public var cacheHits: Int
        /// Requests sent whose answer never arrived (the provider may have billed them): counted in `usd` at their
        /// estimated cost, marked, until a look-up at the provider settles them.
        public var unknownOutcomes: Int = 0
        /// Cost records: billed attempts and cache hits.
        public var attempts: Int
        public var units: [String: Decimal]

        enum CodingKeys: String, CodingKey {
            case key, usd, attempts, units
            case reportedUSD = "reported_usd"
            case estimatedUSD = "estimated_usd"
            case unknownPrices = "unknown_prices"
            case cacheHits = "cache_hits"
            case unknownOutcomes = "unknown_outcomes"
            case display
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(key, forKey: .key)
            try c.encode(usd, forKey: .usd)  // null when every attempt's amount is unknown
            try c.encode(reportedUSD, forKey: .reportedUSD)
            try c.encode(estimatedUSD, forKey: .estimatedUSD)
            try c.encode(unknownPrices, forKey: .unknownPrices)
            try c.encode(cacheHits, forKey: .cacheHits)
            try c.encode(unknownOutcomes, forKey: .unknownOutcomes)
            try c.encode(attempts, forKey: .attempts)
            try c.encode(units, forKey: .units)
            try c.encode(CostReport.describe(usd, unknown: unknownPrices), forKey: .display)
        }
    }

    public var groupBy: [String]
    /// Reported plus estimated; nil when every attempt has an unknown price. `unknownPrices` more attempts are not
    /// in it.
    public var usd: Money?
    public var reportedUSD: Money
    public var estimatedUSD: Money
    public var cacheHits: Int
    /// Attempts whose price is unknown: the total is at least `usd`, plus these.
    public var unknownPrices: Int
    /// Requests whose answer never arrived, counted in `usd` at their estimated cost (see `Group.unknownOutcomes`).
    public var unknownOutcomes: Int
    public var records: Int
    public var groups: [Group]
    /// Attempts in the report's window whose create request may have been billed with nothing collected (a worker
    /// died between sending it and storing its answer, or the answer never arrived whole), newest first, not yet
    /// settled by a look-up at the provider. Each is in the totals at its estimated cost, as `unknownOutcomes`.
    public var submissionRisks: [SubmissionRisk]

    enum CodingKeys: String, CodingKey {
        case groupBy = "group_by"
        case submissionRisks = "submission_risks"
        case usd, records, groups
        case reportedUSD = "reported_usd"
        case estimatedUSD = "estimated_usd"
        case cacheHits = "cache_hits"
        case unknownPrices = "unknown_prices"
        case unknownOutcomes = "unknown_outcomes"
        case display
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(groupBy, forKey: .groupBy)
        try c.encode(usd, forKey: .usd)  // null when every attempt's amount is unknown
        try c.encode(reportedUSD, forKey: .reportedUSD)
        try c.encode(estimatedUSD, forKey: .estimatedUSD)
        try c.encode(cacheHits, forKey: .cacheHits)
        try c.encode(unknownPrices, forKey: .unknownPrices)
        try c.encode(unknownOutcomes, forKey: .unknownOutcomes)
        try c.encode(records, forKey: .records)
        try c.encode(groups, forKey: .groups)
        try c.encode(submissionRisks, forKey: .submissionRisks)
        try c.encode(CostReport.describe(usd, unknown: unknownPrices), forKey: .display)
    }

    /// Checks a grouping (`day,provider`), naming `field` in errors: known dimensions, at least one, and a label
    /// name when grouping by label.
    public static func checkGrouping(_ groupBy: [String], label: String?, field: String) throws {
        for dimension in groupBy where !dimensions.contains(dimension) {
            throw MediaJobsError.invalidInput(field, "'\(dimension)' is not one of \(dimensions.joined(separator: ", "))")
        }
        guard !groupBy.isEmpty else { throw MediaJobsError.invalidInput(field, "name at least one dimension") }
        if groupBy.contains("label"), (label ?? "").isEmpty {
            throw MediaJobsError.invalidInput("label", "grouping by label needs a label name, like project")
        }
    }

    /// Groups `lines` by `groupBy` (dimensions from `dimensions`), groups sorted by their key in that order, and
    /// carries `submissionRisks` (those of the same window) beside the totals.
    public init(lines: [CostLine], groupBy: [String], submissionRisks: [SubmissionRisk] = []) {
        self.submissionRisks = submissionRisks
        let dayFormatter = ISO8601DateFormatter()
        dayFormatter.formatOptions = [.withFullDate]
        var groups: [[String: String]: Group] = [:]
        var total = Group(key: [:], usd: nil, reportedUSD: .zero, estimatedUSD: .zero, unknownPrices: 0, cacheHits: 0,
                          attempts: 0, units: [:])
        for line in lines {
            var key: [String: String] = [:]
            for dimension in groupBy {
                key[dimension] = switch dimension {
                case "day": dayFormatter.string(from: line.record.at)
                case "provider": line.record.provider
                case "model": line.record.model
                case "kind": line.kind.rawValue
                case "route_asked": line.routeAsked
                case "route_used": line.routeUsed
                // The job submitted: a part's cost is its parent's. `part`: the part itself ("-" for a job of its own).
                case "job": (line.parent ?? line.record.jobID).rawValue
                case "part": line.parent == nil ? "-" : line.record.jobID.rawValue
                default: line.label ?? ""
                }
            }
            var group = groups[key] ?? Group(key: key, usd: nil, reportedUSD: .zero, estimatedUSD: .zero,
                                             unknownPrices: 0, cacheHits: 0, attempts: 0, units: [:])
            group.add(line.record)
            total.add(line.record)
            groups[key] = group
        }
        self.groupBy = groupBy
        usd = total.usd
        reportedUSD = total.reportedUSD
        estimatedUSD = total.estimatedUSD
        cacheHits = total.cacheHits
        unknownPrices = total.unknownPrices
        unknownOutcomes = total.unknownOutcomes
        records = lines.count
        self.groups = groups.values.sorted { a, b in
            groupBy.map { a.key[$0] ?? "" }.lexicographicallyPrecedes(groupBy.map { b.key[$0] ?? "" })
        }
    }
}

extension CostReport.Group {
    mutating func add(_ record: CostRecord) {
        attempts += 1
        // A request of unknown outcome that a look-up settled: collected by a later attempt, or never made.
        guard record.charged || record.source == .cached else { return }
        if record.outcome == .unknown { unknownOutcomes += 1 }
        switch (record.source, record.usd) {
        case (.reported, let amount?):
            reportedUSD += amount
            usd = (usd ?? .zero) + amount
        case (.estimated, let amount?):
            estimatedUSD += amount
            usd = (usd ?? .zero) + amount
        case (.cached, _):
            cacheHits += 1
            usd = usd ?? .zero
        case (.unknown, _), (.reported, nil), (.estimated, nil):
            unknownPrices += 1
        }
        if record.source != .cached {
            for (unit, amount) in record.units { units[unit, default: 0] += amount }
        }
    }
}

/// A sum of cost records: the known amounts, and how many attempts have an unknown amount (not in `usd`).
public struct CostTotal: Sendable, Equatable, Encodable {
    /// The known amounts; nil when there are only unknown ones (never a silent $0).
    public var usd: Money?
    public var unknown: Int

    public init(usd: Money?, unknown: Int) {
        self.usd = usd
        self.unknown = unknown
    }

    /// The sum of `amounts`, nil ones (unknown) counted apart.
    public init(_ amounts: some Sequence<Money?>) {
        var known = Money.zero
        var knownRecords = 0
        var unknown = 0
        for amount in amounts {
            if let amount { known += amount; knownRecords += 1 } else { unknown += 1 }
        }
        self.init(known: known, knownRecords: knownRecords, unknown: unknown)
    }

    /// From the sum of known amounts and the counts of known and unknown records.
    public init(known: Money, knownRecords: Int, unknown: Int) {
        self.init(usd: knownRecords == 0 && unknown > 0 ? nil : known, unknown: unknown)
    }

    /// "$1.2000", "$1.2000 + 2 attempts of unknown cost" or "unknown (2 attempts)".
    public var display: String { CostReport.describe(usd, unknown: unknown) }

    enum CodingKeys: String, CodingKey {
        case usd, unknown, display
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(usd, forKey: .usd)  // null when unknown
        try c.encode(unknown, forKey: .unknown)
        try c.encode(display, forKey: .display)
    }
}

extension CostReport {
    /// The total for a person: "$1.2000", "$1.2000 + 2 attempts of unknown cost", or "unknown (2 attempts)".
    public static func describe(_ usd: Money?, unknown: Int, places: Int = 4) -> String {
        let attempts = unknown == 1 ? "1 attempt" : "\(unknown) attempts"
        switch (usd, unknown) {
        case (let usd?, 0): return usd.display(places: places)
        case (let usd?, _): return "\(usd.display(places: places)) + \(attempts) of unknown cost"
        case (nil, 0): return Money.zero.display(places: places)
        case (nil, _): return "unknown (\(attempts))"
        }
    }
}
