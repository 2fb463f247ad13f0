import Foundation
import MediaJobsCore
import MediaJobsHTTP

/// Reads OpenRouter's `/videos/models` and `/images/models` into catalog entries.
public enum CatalogRefresh {
    /// Fetches both listings with the OpenRouter key and returns the models found, priced where the listing says.
    public static func openRouterModels(configuration: ProvidersConfiguration = .defaults,
                                        environment: [String: String] = ProcessInfo.processInfo.environment,
                                        http: HTTPClient = .shared, today: Date = Date()) async throws -> [CatalogModel] {
        let endpoint = try ProviderEndpoint.resolve("openrouter", settings: configuration.openrouter.common, environment: environment)
        guard let key = endpoint.key else {
            throw MediaJobsError(.providerKeyMissing, "models --refresh: set OPENROUTER_API_KEY to read OpenRouter's model listings")
        }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let date = formatter.string(from: today)
        var models: [CatalogModel] = []
        for (path, kind) in [("/videos/models", JobKind.video), ("/images/models", JobKind.image)] {
            let request = HTTPRequest(url: endpoint.url(path), headers: [("Authorization", "Bearer \(key)")],
                                      timeouts: configuration.openrouter.common.timeouts.poll)
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
            for item in response.jsonObject?["data"] as? [[String: Any]] ?? [] {
                guard let id = item["id"] as? String else { continue }
                models.append(model(id: id, kind: kind, item: item, source: "openrouter GET \(path)", date: date))
            }
        }
        return models
    }

    static func model(id: String, kind: JobKind, item: [String: Any], source: String, date: String) -> CatalogModel {
        var prices: [ModelPrice] = []
        if let skus = item["pricing_skus"] as? [String: Any] {
            for (sku, value) in skus.sorted(by: { $0.key < $1.key }) {
                guard let text = (value as? String) ?? (value as? NSNumber)?.stringValue, Decimal(string: text) != nil else { continue }
                // `per-video-second-1080p` → variant 1080p; other SKUs are kept as their own unit names.
                let unit = kind == .video && (sku.contains("second") || sku == "generate") ? "video_seconds" : sku
                let variant = sku.hasPrefix("per-video-second-") ? String(sku.dropFirst("per-video-second-".count)) : nil
                prices.append(ModelPrice(unit: unit, usdPerUnit: text, variant: variant, source: "\(source) pricing_skus.\(sku)",
                                         date: date))
            }
        }
        var limits = ModelLimits()
        limits.durations = (item["supported_durations"] as? [NSNumber])?.map(\.doubleValue)
        limits.resolutions = item["supported_resolutions"] as? [String]
        limits.aspectRatios = item["supported_aspect_ratios"] as? [String]
        if let parameters = item["supported_parameters"] as? [String: Any],
           let resolution = parameters["resolution"] as? [String: Any] {
            limits.resolutions = resolution["values"] as? [String]
        }
        return CatalogModel(provider: "openrouter", id: id, kinds: [kind], prices: prices, limits: limits)
    }
}
