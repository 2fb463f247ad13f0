import Foundation
import MediaJobsCore
import MediaJobsHTTP

/// Reads OpenRouter's model listings into catalog entries: `GET /models?output_modalities=audio,image` (speech and
/// image models, `pricing` per token or unit), `GET /images/models` with each model's
/// `/images/models/{author}/{slug}/endpoints` (price lines per endpoint) and `GET /videos/models` (`pricing_skus`).
///
/// A price is taken only where its meaning is documented; any other price field is kept as read in
/// `unrecognized_prices` and never priced, so a model whose price cannot be read stays unknown, never invented.
public enum CatalogRefresh {
    /// The listings read, in order.
    public static let listingPaths = ["/models?output_modalities=audio,image", "/images/models", "/videos/models"]

    /// Fetches the listings with the OpenRouter key and returns the models found, priced where the listings say how.
    public static func openRouter(configuration: ProvidersConfiguration = .defaults,
                                  environment: [String: String] = ProcessInfo.processInfo.environment,
                                  http: HTTPClient = .shared, now: Date = Date()) async throws -> RefreshedCatalog {
        let endpoint = try ProviderEndpoint.resolve("openrouter", settings: configuration.openrouter.common, environment: environment)
        guard let key = endpoint.key else {
            throw MediaJobsError(.providerKeyMissing, "models --refresh: set OPENROUTER_API_KEY to read OpenRouter's model listings")
        }
        let timeouts = configuration.openrouter.common.timeouts.poll
        func get(_ path: String) async throws -> [String: Any] {
            let request = HTTPRequest(url: endpoint.url(path), headers: [("Authorization", "Bearer \(key)")], timeouts: timeouts)
            let response: HTTPResponse
            do {
                response = try await http.send(request)
            } catch let error as HTTPClientError {
                throw ProviderErrorClassifier.classify(error, provider: "openrouter", action: "GET \(path)", creates: false,
                                                       key: key).error
            }
            guard response.isSuccess else {
                throw ProviderErrorClassifier.classify(response, provider: "openrouter", action: "GET \(path)", key: key).error
            }
            return response.jsonObject ?? [:]
        }
        let date = ModelCatalog.day(now)
        var models: [CatalogModel] = []
        func add(_ model: CatalogModel) {
            if let index = models.firstIndex(where: { $0.id == model.id }) {
                models[index] = merged(models[index], model)
            } else {
                models.append(model)
            }
        }

        let listing = listingPaths[0]
        for item in try await get(listing)["data"] as? [[String: Any]] ?? [] {
            if let model = model(listed: item, source: "openrouter GET \(listing)", date: date) { add(model) }
        }
        for item in try await get("/images/models")["data"] as? [[String: Any]] ?? [] {
            guard let id = item["id"] as? String else { continue }
            let path = "/images/models/\(id)/endpoints"
            let endpoints = try await get(path)["endpoints"] as? [[String: Any]] ?? []
            add(imageModel(id: id, item: item, endpoints: endpoints, source: "openrouter GET \(path)", date: date))
        }
        for item in try await get("/videos/models")["data"] as? [[String: Any]] ?? [] {
            guard let id = item["id"] as? String else { continue }
            add(videoModel(id: id, item: item, source: "openrouter GET /videos/models", date: date))
        }
        let stamp = ISO8601DateFormatter().string(from: now)
        return RefreshedCatalog(readAt: stamp, sources: listingPaths.map { "openrouter GET \($0)" }, models: models)
    }

    /// A model of `GET /models`: a speech model (audio out) or an image model (image out), with its `pricing`
    /// (USD per token or unit, decimal strings) as price lines; nil for a model that makes neither.
    static func model(listed item: [String: Any], source: String, date: String) -> CatalogModel? {
        guard let id = item["id"] as? String else { return nil }
        let architecture = item["architecture"] as? [String: Any]
        let outputs = Set(architecture?["output_modalities"] as? [String] ?? [])
        let kinds: [JobKind] = (outputs.contains("audio") || outputs.contains("speech") ? [.tts] : [])
            + (outputs.contains("image") ? [.image] : [])
        guard let kind = kinds.first else { return nil }
        // OR-TTS: speech is priced per character of input text, which the `prompt` price is for a speech model.
        let units: [String: String] = kind == .tts
            ? ["prompt": "characters", "completion": "output_tokens", "audio_output": "output_audio_tokens", "request": "requests"]
            : ["prompt": "input_tokens", "completion": "output_tokens", "image": "input_images", "image_output": "images",
               "request": "requests"]
        var prices: [ModelPrice] = []
        var unrecognized: [String: String] = [:]
        for (field, value) in (item["pricing"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let text = (value as? String) ?? (value as? NSNumber)?.stringValue
            if let text, let amount = ModelPrice.decimal(text), amount == 0 { continue }
            guard let unit = units[field], let text, ModelPrice.decimal(text) != nil else {
                unrecognized["pricing.\(field)"] = text ?? json(value)
                continue
            }
            prices.append(ModelPrice(unit: unit, usdPerUnit: text, source: "\(source) pricing.\(field)", date: date))
        }
        var limits = ModelLimits()
        limits.voices = item["supported_voices"] as? [String]
        return CatalogModel(provider: "openrouter", id: id, kinds: kinds, prices: prices, limits: limits,
                            unrecognizedPrices: unrecognized)
    }

    /// An image model of `GET /images/models`, priced by its endpoints' lines (`billable`, `unit`, `cost_usd`,
    /// `variant`). Where endpoints differ, each line takes the highest price, so an estimate is never too low;
    /// OpenRouter reports what was actually charged.
    static func imageModel(id: String, item: [String: Any], endpoints: [[String: Any]], source: String,
                           date: String) -> CatalogModel {
        var prices: [ModelPrice] = []
        var unrecognized: [String: String] = [:]
        let units = ["output_image/image": "images", "output_image/megapixel": "output_megapixels",
                     "input_text/token": "input_text_tokens", "input_image/image": "input_images",
                     "input_reference/image": "reference_images"]
        for endpoint in endpoints {
            let name = endpoint["provider_slug"] as? String ?? endpoint["provider_name"] as? String ?? "endpoint"
            for entry in endpoint["pricing"] as? [[String: Any]] ?? [] {
                let billable = "\(entry["billable"] as? String ?? "?")/\(entry["unit"] as? String ?? "?")"
                let cost = (entry["cost_usd"] as? NSNumber).flatMap { Decimal(string: $0.stringValue) }
                let variant = entry["variant"] as? String
                let when = variant.flatMap(imageVariantCondition) ?? [:]
                guard let unit = units[billable], let cost, cost >= 0, variant == nil || !when.isEmpty else {
                    unrecognized["\(name).\(billable)\(variant.map { ".\($0)" } ?? "")"] = json(entry)
                    continue
                }
                let line = ModelPrice(unit: unit, usdPerUnit: "\(cost)", when: when,
                                      source: "\(source) (\(name) \(entry["billable"] as? String ?? ""))", date: date)
                if let index = prices.firstIndex(where: { $0.unit == unit && $0.when == when }) {
                    if let existing = prices[index].perUnit, cost > existing {
                        prices[index] = line
                        prices[index].note = "the highest of \(endpoints.count) endpoints"
                    }
                } else {
                    prices.append(line)
                    if endpoints.count > 1 { prices[prices.count - 1].note = "the highest of \(endpoints.count) endpoints" }
                }
            }
        }
        var limits = ModelLimits()
        let parameters = item["supported_parameters"] as? [String: Any]
        limits.resolutions = (parameters?["resolution"] as? [String: Any])?["values"] as? [String]
        limits.aspectRatios = (parameters?["aspect_ratio"] as? [String: Any])?["values"] as? [String]
        return CatalogModel(provider: "openrouter", id: id, kinds: [.image], prices: prices, limits: limits,
                            unrecognizedPrices: unrecognized)
    }

    /// A video model of `GET /videos/models`: `per-video-second` and `per-video-second-<resolution>` SKUs are prices
    /// per second of video; other SKUs (`generate`, token-like units) are kept as read.
    static func videoModel(id: String, item: [String: Any], source: String, date: String) -> CatalogModel {
        var prices: [ModelPrice] = []
        var unrecognized: [String: String] = [:]
        for (sku, value) in (item["pricing_skus"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            let text = (value as? String) ?? (value as? NSNumber)?.stringValue
            let prefix = "per-video-second"
            let qualifier = sku.hasPrefix(prefix + "-") ? String(sku.dropFirst(prefix.count + 1)) : nil
            guard let text, ModelPrice.decimal(text) != nil,
                  sku == prefix || qualifier.map(isResolution) == true else {
                unrecognized["pricing_skus.\(sku)"] = text ?? json(value)
                continue
            }
            prices.append(ModelPrice(unit: "video_seconds", usdPerUnit: text,
                                     when: qualifier.map { ["resolution": [$0]] } ?? [:],
                                     source: "\(source) pricing_skus.\(sku)", date: date))
        }
        var limits = ModelLimits()
        limits.durations = (item["supported_durations"] as? [NSNumber])?.map(\.doubleValue)
        limits.resolutions = item["supported_resolutions"] as? [String]
        limits.aspectRatios = item["supported_aspect_ratios"] as? [String]
        return CatalogModel(provider: "openrouter", id: id, kinds: [.video], prices: prices, limits: limits,
                            unrecognizedPrices: unrecognized)
    }

    /// A model listed twice (`/models` and `/images/models`): kinds of both; the dedicated listing's prices (lines
    /// per image) rather than the chat listing's per-token ones, which would otherwise be added on top of them.
    static func merged(_ first: CatalogModel, _ second: CatalogModel) -> CatalogModel {
        var result = second
        result.kinds = first.kinds + second.kinds.filter { !first.kinds.contains($0) }
        if second.prices.isEmpty { result.prices = first.prices }
        result.limits.voices = second.limits.voices ?? first.limits.voices
        result.unrecognizedPrices = first.unrecognizedPrices.merging(second.unrecognizedPrices) { _, new in new }
        return result
    }

    /// An endpoint line's `variant` as a condition, when it names a resolution (`2K`), a quality or a size; nil for
    /// any other variant, whose line is then kept as read rather than guessed at.
    static func imageVariantCondition(_ variant: String) -> [String: [String]]? {
        if isResolution(variant) { return ["resolution": [variant]] }
        if ["low", "medium", "high", "standard", "hd"].contains(variant.lowercased()) { return ["quality": [variant.lowercased()]] }
        let sides = variant.lowercased().split(separator: "x")
        if sides.count == 2, sides.allSatisfy({ Int($0) != nil }) { return ["size": [variant.lowercased()]] }
        return nil
    }

    static func isResolution(_ text: String) -> Bool {
        let lower = text.lowercased()
        return (lower.hasSuffix("p") || lower.hasSuffix("k")) && Int(lower.dropLast()) != nil
    }

    private static func json(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }
}
