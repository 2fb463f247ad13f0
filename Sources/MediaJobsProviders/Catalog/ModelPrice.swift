import Foundation
import MediaJobsCore

/// One line of a model's price: `usd_per_unit` dollars per `unit`, for the jobs whose variant matches `when`.
///
/// A model's lines add up: `gpt-4o-mini-tts` bills input characters and seconds of output audio, two lines; fal
/// `veo3/fast` bills video seconds at one of two prices, chosen by `when`:
///
/// ```json
/// {"unit": "video_seconds", "usd_per_unit": "0.15", "when": {"audio": "on"},
///  "source": "FAL-VEO3F (audio on; 5 s = $0.75)", "date": "2026-08-02"}
/// ```
public struct ModelPrice: Sendable, Equatable, Codable {
    /// The billed unit: `characters`, `output_audio_seconds`, `audio_seconds`, `images`, `video_seconds`,
    /// `predict_seconds`, `input_text_tokens`, `input_tokens`, `output_tokens`, … (a quantity per job: see
    /// `ModelCatalog.estimate`).
    public var unit: String
    /// US dollars per one `unit`, as a decimal string (never a binary float).
    public var usdPerUnit: String
    /// The variant this line applies to: dimension → accepted values (`{"audio": ["on"]}`,
    /// `{"quality": ["high", "auto"], "size": ["1024x1024"]}`). Empty: every variant. Dimensions are
    /// `resolution`, `audio` (`on`/`off`), `quality`, `size`, `aspect_ratio`; a job's value comes from its input,
    /// else the model's `defaults` (the provider's own defaults count).
    public var when: [String: [String]]
    /// Where the price was read (a key of reference/providers.md §0, a listing, `config.json`).
    public var source: String
    /// The day the price was read (YYYY-MM-DD).
    public var date: String
    /// How the figure was derived when it is not the provider's own price per this unit.
    public var note: String?

    public init(unit: String, usdPerUnit: String, when: [String: [String]] = [:], source: String, date: String,
                note: String? = nil) {
        self.unit = unit
        self.usdPerUnit = usdPerUnit
        self.when = when
        self.source = source
        self.date = date
        self.note = note
    }

    /// The price as an exact decimal; nil when the text is not a decimal number.
    public var perUnit: Decimal? { ModelPrice.decimal(usdPerUnit) }

    /// `text` as an exact non-negative decimal ("0.015", "12", ".5"); nil for anything else, including a number
    /// followed by other characters (which `Decimal(string:)` alone would read up to the first of them).
    static func decimal(_ text: String) -> Decimal? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard !text.isEmpty, text != ".", parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// Whether this line applies to a job whose variant is `variant` (dimension → value).
    public func applies(to variant: [String: String]) -> Bool {
        when.allSatisfy { dimension, values in variant[dimension].map(values.contains) ?? false }
    }

    /// `when` as people read it: "audio=on", "quality=high|auto, size=1024x1024"; nil when it applies to every variant.
    public var condition: String? {
        guard !when.isEmpty else { return nil }
        return when.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.joined(separator: "|"))" }.joined(separator: ", ")
    }

    /// `quantity` of this price's unit, as a price line; `quantityNote` says where the quantity came from.
    public func line(_ quantity: Decimal, quantityNote: String? = nil) -> PriceLine {
        var source = date.isEmpty ? self.source : "\(self.source), \(date)"
        if let note { source += "; \(note)" }
        if let quantityNote { source += "; quantity \(quantityNote)" }
        return PriceLine(unit: unit, quantity: quantity, usdPerUnit: perUnit, variant: condition, source: source)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case unit, when, source, date, note
        case usdPerUnit = "usd_per_unit"
    }

    /// Fields a price line may have; `variant` is the older single-value spelling of `when`, still read.
    static let fieldNames = Set(CodingKeys.allCases.map(\.rawValue)).union(["variant"])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CatalogKey.self)
        try c.refuseUnknownFields(ModelPrice.fieldNames)
        unit = try c.decode(String.self, forKey: CatalogKey("unit"))
        // A decimal string is exact; a JSON number is accepted and kept as the digits it was written with.
        if let text = try? c.decode(String.self, forKey: CatalogKey("usd_per_unit")) {
            usdPerUnit = text
        } else {
            usdPerUnit = "\(try c.decode(Decimal.self, forKey: CatalogKey("usd_per_unit")))"
        }
        guard ModelPrice.decimal(usdPerUnit) != nil else {
            throw DecodingError.dataCorruptedError(forKey: CatalogKey("usd_per_unit"), in: c,
                                                   debugDescription: "expected a decimal amount of US dollars such as \"0.015\"")
        }
        var conditions = try c.decodeIfPresent([String: OneOrMany].self, forKey: CatalogKey("when"))?.mapValues(\.values) ?? [:]
        if conditions.isEmpty, let variant = try c.decodeIfPresent(String.self, forKey: CatalogKey("variant")) {
            conditions = ModelPrice.condition(ofLegacyVariant: variant)
        }
        when = conditions
        source = try c.decodeIfPresent(String.self, forKey: CatalogKey("source")) ?? ""
        date = try c.decodeIfPresent(String.self, forKey: CatalogKey("date")) ?? ""
        note = try c.decodeIfPresent(String.self, forKey: CatalogKey("note"))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(unit, forKey: .unit)
        try c.encode(usdPerUnit, forKey: .usdPerUnit)
        if !when.isEmpty {
            try c.encode(when.mapValues { $0.count == 1 ? OneOrMany.one($0[0]) : OneOrMany.many($0) }, forKey: .when)
        }
        try c.encode(source, forKey: .source)
        try c.encode(date, forKey: .date)
        try c.encodeIfPresent(note, forKey: .note)
    }

    /// The condition an older catalog file's `variant` meant: `audio` → audio on, `1080p` → that resolution,
    /// `high` → that quality.
    static func condition(ofLegacyVariant variant: String) -> [String: [String]] {
        if variant == "audio" { return ["audio": ["on"]] }
        if ["low", "medium", "high", "standard", "hd", "auto"].contains(variant) { return ["quality": [variant]] }
        if variant.contains("x"), variant.split(separator: "x").allSatisfy({ Int($0) != nil }) { return ["size": [variant]] }
        return ["resolution": [variant]]
    }
}

/// A JSON string or list of strings (`"on"` or `["high", "auto"]`).
enum OneOrMany: Codable, Equatable {
    case one(String)
    case many([String])

    var values: [String] {
        switch self {
        case .one(let value): [value]
        case .many(let values): values
        }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let value = try? c.decode(String.self) {
            self = .one(value)
        } else {
            self = .many(try c.decode([String].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .one(let value): try c.encode(value)
        case .many(let values): try c.encode(values)
        }
    }
}

/// A coding key for any field name of a catalog entry.
struct CatalogKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == CatalogKey {
    /// Refuses a field outside `known`, naming it, so a typo in a price is never silently ignored.
    func refuseUnknownFields(_ known: Set<String>) throws {
        for key in allKeys.sorted(by: { $0.stringValue < $1.stringValue }) where !known.contains(key.stringValue) {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "unknown field (known: \(known.sorted().joined(separator: ", ")))")
        }
    }
}
