import Foundation
import MediaJobsCore

/// What `mediajobs models --refresh` writes to the home folder (`catalog.json`): the models read, and when.
public struct RefreshedCatalog: Sendable, Codable, Equatable {
    /// When the listings were read (ISO 8601, UTC).
    public var readAt: String
    /// The requests the models were read from.
    public var sources: [String]
    public var models: [CatalogModel]

    public init(readAt: String, sources: [String], models: [CatalogModel]) {
        self.readAt = readAt
        self.sources = sources
        self.models = models
    }

    enum CodingKeys: String, CodingKey {
        case readAt = "read_at"
        case sources, models
    }
}

/// The `catalog` section of config.json: the user's own models and prices, which win over everything else.
///
/// ```json
/// {"catalog": {"models": [
///   {"provider": "openrouter", "id": "some-lab/brand-new-tts", "kinds": ["tts"],
///    "prices": [{"unit": "characters", "usd_per_unit": "0.000015", "source": "some-lab pricing page", "date": "2026-12-01"}]},
///   {"provider": "fal", "id": "fal-ai/veo3/fast", "limits": {"durations": [4, 6, 8]}}]}}
/// ```
///
/// An entry for a model the catalog already has replaces the fields it names (`limits` limit by limit); an entry
/// for a new model needs `kinds`.
struct CatalogSection: Decodable {
    var models: [CatalogEntry]

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CatalogKey.self)
        try c.refuseUnknownFields(["models"])
        models = try c.decodeIfPresent([CatalogEntry].self, forKey: CatalogKey("models")) ?? []
    }
}

extension ModelCatalog {
    /// The section of config.json that holds the user's catalog entries.
    public static let configurationSection = "catalog"
    /// Where a model gets a price, as refusals name it.
    public static let priceField = "config.json: catalog.models[].prices"

    /// The catalog a home folder's jobs use: the built-in table, overlaid by `catalog.json` (the listings
    /// `models --refresh` read), overlaid by `configuration`'s `catalog.models`.
    public static func load(home: URL, configuration: Configuration) throws -> ModelCatalog {
        let config = home.appendingPathComponent("config.json")
        let modified = (try? FileManager.default.attributesOfItem(atPath: config.path)[.modificationDate]) as? Date
        return try load(overlay: home.appendingPathComponent(refreshedFileName), configuration: configuration,
                        configurationDate: modified.map(day))
    }

    /// The built-in table overlaid by the refreshed models in `file` (when it exists), then by `configuration`'s
    /// entries. Prices from config.json without a `source` or `date` get `config.json` and `configurationDate`.
    public static func load(overlay file: URL?, configuration: Configuration = .empty,
                            configurationDate: String? = nil) throws -> ModelCatalog {
        var catalog = builtIn
        if let file, FileManager.default.fileExists(atPath: file.path) {
            let refreshed = try readRefreshed(file)
            catalog = catalog.overlaid(by: refreshed.models, origin: "\(refreshed.sources.first.map(listingName) ?? "listing") "
                                                                     + "read \(refreshed.readAt.prefix(10))")
        }
        guard let section = try configuration.section(named: configurationSection, as: CatalogSection.self) else {
            return catalog
        }
        return try catalog.applying(section.models, date: configurationDate ?? "")
    }

    /// Reads a refreshed catalog file (an older file is a bare list of models).
    public static func readRefreshed(_ file: URL) throws -> RefreshedCatalog {
        let data = try Data(contentsOf: file)
        do {
            if let list = try? JSONDecoder().decode([CatalogModel].self, from: data) {
                return RefreshedCatalog(readAt: "", sources: [], models: list)
            }
            return try JSONDecoder().decode(RefreshedCatalog.self, from: data)
        } catch {
            throw MediaJobsError(.invalidInput, "\(file.path): not a model catalog (\(error)); run `mediajobs models --refresh` "
                                 + "again or remove the file", underlying: error)
        }
    }

    /// This catalog with `models` (read from a provider's listing) in place: a model already here keeps what the
    /// listing does not say (its prices when the listing has none it can read, limits the listing does not set).
    public func overlaid(by models: [CatalogModel], origin: String) -> ModelCatalog {
        var result = self
        for var listed in models {
            listed.origin = listed.origin ?? origin
            let entry = CatalogEntry(model: listed)
            if let index = result.models.firstIndex(where: { $0.provider == listed.provider && $0.id == listed.id }) {
                var merged = entry.applied(to: result.models[index])
                merged.origin = "\(result.models[index].origin ?? "built-in"), then \(listed.origin ?? origin)"
                result.models[index] = merged
            } else {
                result.models.append(entry.applied(to: nil))
            }
        }
        return result
    }

    /// This catalog with config.json's `entries` applied; throws naming the entry when a new model has no kinds.
    func applying(_ entries: [CatalogEntry], date: String) throws -> ModelCatalog {
        var result = self
        for (index, var entry) in entries.enumerated() {
            entry.prices = entry.prices?.map { price in
                var price = price
                if price.source.isEmpty { price.source = "config.json" }
                if price.date.isEmpty { price.date = date }
                return price
            }
            entry.origin = "config.json"
            if let at = result.models.firstIndex(where: { $0.provider == entry.provider && $0.id == entry.id }) {
                result.models[at] = entry.applied(to: result.models[at])
                continue
            }
            guard let kinds = entry.kinds, !kinds.isEmpty else {
                throw MediaJobsError(.invalidInput,
                    "config.json: catalog.models[\(index)].kinds: \(entry.provider)/\(entry.id) is not in the catalog, so its "
                        + "entry needs the kinds it makes (\(JobKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard ProviderRegistry.knownNames.contains(entry.provider) else {
                throw MediaJobsError(.invalidInput,
                    "config.json: catalog.models[\(index)].provider: '\(entry.provider)' is not a provider (one of "
                        + "\(ProviderRegistry.knownNames.joined(separator: ", ")))")
            }
            result.models.append(entry.applied(to: nil))
        }
        return result
    }

    /// "openrouter GET /models?…" → "openrouter listing".
    static func listingName(_ source: String) -> String {
        "\(source.split(separator: " ").first.map(String.init) ?? "provider") listing"
    }

    /// YYYY-MM-DD of `date` in UTC.
    static func day(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}

extension CatalogEntry {
    /// A whole model as an entry: what it leaves empty (no prices read, no limits set) changes nothing.
    init(model: CatalogModel) {
        provider = model.provider
        id = model.id
        kinds = model.kinds.isEmpty ? nil : model.kinds
        prices = model.prices.isEmpty ? nil : model.prices
        let fields = (try? ModelLimits.fields(model.limits)) ?? [:]
        limits = fields.isEmpty ? nil : fields
        defaults = model.defaults.isEmpty ? nil : model.defaults
        typical = model.typical.isEmpty ? nil : model.typical
        origin = model.origin
        unrecognizedPrices = model.unrecognizedPrices.isEmpty ? nil : model.unrecognizedPrices
    }
}
