import Foundation
import MediaJobsCore

/// One model of one provider in the catalog: what it makes, its price lines, what it accepts.
///
/// ```json
/// {"provider": "fal", "id": "fal-ai/veo3/fast", "kinds": ["video"],
///  "defaults": {"audio": "on"},
///  "prices": [
///    {"unit": "video_seconds", "usd_per_unit": "0.10", "when": {"audio": "off"}, "source": "FAL-VEO3F", "date": "2026-08-02"},
///    {"unit": "video_seconds", "usd_per_unit": "0.15", "when": {"audio": "on"}, "source": "FAL-VEO3F", "date": "2026-08-02"}],
///  "limits": {"durations": [8], "resolutions": ["720p", "1080p"]}}
/// ```
public struct CatalogModel: Sendable, Equatable, Codable {
    public var provider: String
    public var id: String
    public var kinds: [JobKind]
    /// Lines that add up; for each unit the line whose `when` matches the job most closely applies.
    public var prices: [ModelPrice]
    public var limits: ModelLimits
    /// The provider's defaults for the variant dimensions a job may leave out (fal veo3: `"audio": "on"`; OpenAI
    /// gpt-image-1: `"quality": "auto"`), and `duration_s` for video.
    public var defaults: [String: String]
    /// Typical quantities of units a request cannot tell before it runs (Replicate `predict_seconds`), as decimal
    /// strings: what an estimate uses until the provider reports the real quantity.
    public var typical: [String: String]
    /// Where the entry comes from: `built-in`, `openrouter listing read 2026-12-02`, `config.json`.
    public var origin: String?
    /// Prices a provider's listing gave in a shape MediaJobs does not turn into lines, kept as read and never
    /// priced (`pricing_skus.generate`: "0.50").
    public var unrecognizedPrices: [String: String]
    /// The version a community model is run by (Replicate `openai/whisper`: its 64-hex version id); nil for a
    /// model run by name.
    public var version: String?
    /// The model (endpoint) that serves this model's jobs when they give a first frame: fal
    /// `fal-ai/veo3/fast/image-to-video` for `fal-ai/veo3/fast`, Replicate `wan-video/wan-2.2-i2v-fast`.
    public var firstFrameModel: String?

    public init(provider: String, id: String, kinds: [JobKind], prices: [ModelPrice], limits: ModelLimits = ModelLimits(),
                defaults: [String: String] = [:], typical: [String: String] = [:], origin: String? = nil,
                unrecognizedPrices: [String: String] = [:], version: String? = nil, firstFrameModel: String? = nil) {
        self.provider = provider
        self.id = id
        self.kinds = kinds
        self.prices = prices
        self.limits = limits
        self.defaults = defaults
        self.typical = typical
        self.origin = origin
        self.unrecognizedPrices = unrecognizedPrices
        self.version = version
        self.firstFrameModel = firstFrameModel
    }

    /// The units this model bills, in the order its lines name them.
    public var billedUnits: [String] {
        var units: [String] = []
        for price in prices where !units.contains(price.unit) { units.append(price.unit) }
        return units
    }

    /// The line for `unit` that applies to `variant`: among the lines whose `when` holds, the one with the most
    /// conditions (the most specific), the first of equals; nil when none applies.
    public func price(unit: String, variant: [String: String] = [:]) -> ModelPrice? {
        var best: ModelPrice?
        for price in prices where price.unit == unit && price.applies(to: variant) {
            if best == nil || price.when.count > best!.when.count { best = price }
        }
        return best
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case provider, id, kinds, prices, limits, defaults, typical, origin, version
        case unrecognizedPrices = "unrecognized_prices"
        case firstFrameModel = "first_frame_model"
    }

    /// A model read from a catalog file or `config.json`; every field but `provider` and `id` may be left out.
    public init(from decoder: any Decoder) throws {
        let entry = try CatalogEntry(from: decoder)
        self = entry.applied(to: nil)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(provider, forKey: .provider)
        try c.encode(id, forKey: .id)
        try c.encode(kinds, forKey: .kinds)
        try c.encode(prices, forKey: .prices)
        try c.encode(limits, forKey: .limits)
        if !defaults.isEmpty { try c.encode(defaults, forKey: .defaults) }
        if !typical.isEmpty { try c.encode(typical, forKey: .typical) }
        try c.encodeIfPresent(origin, forKey: .origin)
        if !unrecognizedPrices.isEmpty { try c.encode(unrecognizedPrices, forKey: .unrecognizedPrices) }
        try c.encodeIfPresent(version, forKey: .version)
        try c.encodeIfPresent(firstFrameModel, forKey: .firstFrameModel)
    }
}

/// A catalog entry as written in a file: a whole model, or (in `config.json`) only the fields that change a model
/// the catalog already has. A field that is present replaces that field; `limits` replaces limit by limit.
struct CatalogEntry: Decodable {
    var provider: String
    var id: String
    var kinds: [JobKind]?
    var prices: [ModelPrice]?
    /// The limits as written, field by field (so that an entry changes only the limits it names).
    var limits: [String: JSONValue]?
    var defaults: [String: String]?
    var typical: [String: String]?
    var origin: String?
    var unrecognizedPrices: [String: String]?
    var version: String?
    var firstFrameModel: String?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CatalogKey.self)
        try c.refuseUnknownFields(Set(CatalogModel.CodingKeys.allCases.map(\.rawValue)))
        provider = try c.decode(String.self, forKey: CatalogKey("provider"))
        id = try c.decode(String.self, forKey: CatalogKey("id"))
        kinds = try c.decodeIfPresent([JobKind].self, forKey: CatalogKey("kinds"))
        prices = try c.decodeIfPresent([ModelPrice].self, forKey: CatalogKey("prices"))
        if let written = try c.decodeIfPresent([String: JSONValue].self, forKey: CatalogKey("limits")) {
            // Decoded once to check types, and encoded back to find the fields ModelLimits does not have.
            let limits = try c.decode(ModelLimits.self, forKey: CatalogKey("limits"))
            let known = try ModelLimits.fields(limits)
            for name in written.keys.sorted() where known[name] == nil && written[name] != .null {
                throw DecodingError.dataCorruptedError(
                    forKey: CatalogKey("limits"), in: c,
                    debugDescription: "\(name): unknown limit (the limits a model can have are those `mediajobs models --json` shows)")
            }
            self.limits = known
        }
        defaults = try c.decodeIfPresent([String: String].self, forKey: CatalogKey("defaults"))
        typical = try c.decodeIfPresent([String: String].self, forKey: CatalogKey("typical"))
        for (unit, quantity) in typical ?? [:] where ModelPrice.decimal(quantity) == nil {
            throw DecodingError.dataCorruptedError(forKey: CatalogKey("typical"), in: c,
                                                   debugDescription: "\(unit): expected a decimal quantity such as \"40\"")
        }
        origin = try c.decodeIfPresent(String.self, forKey: CatalogKey("origin"))
        unrecognizedPrices = try c.decodeIfPresent([String: String].self, forKey: CatalogKey("unrecognized_prices"))
        version = try c.decodeIfPresent(String.self, forKey: CatalogKey("version"))
        firstFrameModel = try c.decodeIfPresent(String.self, forKey: CatalogKey("first_frame_model"))
    }

    /// `model` with this entry's fields in place of its own, or a new model when `model` is nil.
    func applied(to model: CatalogModel?) -> CatalogModel {
        var result = model ?? CatalogModel(provider: provider, id: id, kinds: [], prices: [])
        if let kinds { result.kinds = kinds }
        if let prices { result.prices = prices }
        if let limits {
            var fields = (try? ModelLimits.fields(result.limits)) ?? [:]
            fields.merge(limits) { _, new in new }
            if let merged = try? ModelLimits.from(fields: fields) { result.limits = merged }
        }
        if let defaults { result.defaults = defaults }
        if let typical { result.typical = typical }
        if let origin { result.origin = origin }
        if let unrecognizedPrices { result.unrecognizedPrices = unrecognizedPrices }
        if let version { result.version = version }
        if let firstFrameModel { result.firstFrameModel = firstFrameModel }
        return result
    }
}

extension ModelLimits {
    /// The limits as JSON fields, only those that are set: how entries are merged limit by limit, whatever fields
    /// `ModelLimits` has.
    static func fields(_ limits: ModelLimits) throws -> [String: JSONValue] {
        let data = try JSONEncoder().encode(limits)
        return try JSONDecoder().decode([String: JSONValue].self, from: data)
    }

    static func from(fields: [String: JSONValue]) throws -> ModelLimits {
        try JSONDecoder().decode(ModelLimits.self, from: JSONEncoder().encode(fields))
    }
}
