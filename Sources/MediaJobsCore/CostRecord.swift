import Foundation

/// One line of a price: a quantity of one billed unit times that unit's price. Lines add up to an amount.
///
/// `usdPerUnit` is nil when no price for the unit is known: the line still says what was used, and the amount it
/// belongs to is unknown, never a silent zero.
public struct PriceLine: Sendable, Codable, Equatable {
    /// The billed unit: `characters`, `audio_seconds`, `output_audio_seconds`, `images`, `video_seconds`,
    /// `predict_seconds`, `tokens`, …
    public var unit: String
    public var quantity: Decimal
    /// US dollars per one `unit`; nil when unknown.
    public var usdPerUnit: Decimal?
    /// The variant the price applies to (`1080p`, `audio`, `high`), when it is not the model's plain price.
    public var variant: String?
    /// Where the price was read (a key of reference/providers.md, a listing, `config.json`).
    public var source: String?

    public init(unit: String, quantity: Decimal, usdPerUnit: Decimal?, variant: String? = nil, source: String? = nil) {
        self.unit = unit
        self.quantity = quantity
        self.usdPerUnit = usdPerUnit
        self.variant = variant
        self.source = source
    }

    /// `quantity × usdPerUnit`, nil when the price is unknown.
    public var usd: Money? { usdPerUnit.flatMap { Money(quantity * $0) } }

    enum CodingKeys: String, CodingKey {
        case unit, quantity, variant, source
        case usdPerUnit = "usd_per_unit"
    }

    /// The sum of `lines`, or nil when there are none or any line's price is unknown.
    public static func total(_ lines: [PriceLine]) -> Money? {
        guard !lines.isEmpty else { return nil }
        var total = Money.zero
        for line in lines {
            guard let usd = line.usd else { return nil }
            total += usd
        }
        return total
    }
}

/// What one attempt cost, in the provider's own units and in dollars.
public struct CostRecord: Sendable, Codable, Equatable {
    /// Where the amount came from. A price we do not know is `unknown`, never a silent zero.
    /// `reported`: the provider stated the amount (OpenRouter `usage.cost`). `estimated`: we computed it, from units
    /// the provider reported where it did (Replicate `predict_time`, token counts), else from the request.
    /// `cached`: the job was answered from an identical earlier success, at no cost (`rawUsage` names that job).
    public enum Source: String, Sendable, Codable {
        case reported, estimated, unknown, cached
    }

    /// Whether the answer to the billed request arrived.
    public enum Outcome: String, Sendable, Codable {
        /// It did: a result, a handle to poll, or an answer we judged and refused.
        case answered
        /// The request was sent and its answer never arrived whole (cut mid-body, timed out, or its worker died
        /// first): the provider may have made and billed it. Counted in the totals, marked, until a look-up at the
        /// provider settles it (then it is no longer `charged`: either the generation was collected and costed by a
        /// later attempt, or it was never created).
        case unknown
    }

    public var jobID: JobID
    public var attempt: Int
    public var provider: String
    public var model: String
    /// Billed quantities by unit: `characters`, `audio_seconds`, `images`, `video_seconds`, `tokens`.
    public var units: [String: Decimal]
    /// The amount; nil when `source` is `unknown`.
    public var usd: Money?
    public var source: Source
    /// The price lines that explain the amount (for a reported amount, what our prices would give; they may differ).
    public var lines: [PriceLine]
    /// Whether the provider bills this attempt.
    public var charged: Bool
    /// Whether the answer arrived; `unknown` when the request may have been billed with nothing to show for it.
    public var outcome: Outcome
    /// The provider's own usage report, kept verbatim (JSON), when it gave one.
    public var rawUsage: String?
    public var at: Date

    public init(
        jobID: JobID, attempt: Int, provider: String, model: String, units: [String: Decimal], usd: Money?,
        source: Source, lines: [PriceLine] = [], charged: Bool, outcome: Outcome = .answered, rawUsage: String? = nil,
        at: Date
    ) {
        self.jobID = jobID
        self.attempt = attempt
        self.provider = provider
        self.model = model
        self.units = units
        self.usd = source == .unknown ? nil : usd
        self.source = usd == nil && source != .cached ? .unknown : source
        self.lines = lines
        self.charged = charged
        self.outcome = outcome
        self.rawUsage = rawUsage
        self.at = at
    }

    enum CodingKeys: String, CodingKey {
        case jobID, attempt, provider, model, units, usd, source, lines, charged, outcome, rawUsage, at
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            jobID: try c.decode(JobID.self, forKey: .jobID), attempt: try c.decode(Int.self, forKey: .attempt),
            provider: try c.decode(String.self, forKey: .provider), model: try c.decode(String.self, forKey: .model),
            units: try c.decode([String: Decimal].self, forKey: .units), usd: try c.decodeIfPresent(Money.self, forKey: .usd),
            source: try c.decode(Source.self, forKey: .source),
            lines: try c.decodeIfPresent([PriceLine].self, forKey: .lines) ?? [],
            charged: try c.decode(Bool.self, forKey: .charged),
            outcome: try c.decodeIfPresent(Outcome.self, forKey: .outcome) ?? .answered,
            rawUsage: try c.decodeIfPresent(String.self, forKey: .rawUsage), at: try c.decode(Date.self, forKey: .at))
    }
}
