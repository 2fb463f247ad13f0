import Foundation
import MediaJobsCore
import MediaJobsHTTP

/// Timeouts for one provider, separately for creating a generation, polling it and downloading its output.
public struct ProviderTimeouts: Sendable, Equatable, Codable {
    public var submit: HTTPTimeouts
    public var poll: HTTPTimeouts
    public var download: HTTPTimeouts

    public init(submit: HTTPTimeouts = HTTPTimeouts(connect: 10, total: 300, lowSpeedBytesPerSecond: 1, lowSpeedSeconds: 120),
                poll: HTTPTimeouts = HTTPTimeouts(connect: 5, total: 20, lowSpeedBytesPerSecond: 1, lowSpeedSeconds: 15),
                download: HTTPTimeouts = HTTPTimeouts(connect: 10, total: 1800, lowSpeedBytesPerSecond: 1024,
                                                      lowSpeedSeconds: 30)) {
        self.submit = submit
        self.poll = poll
        self.download = download
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ProviderTimeouts()
        // A field left out keeps this kind of request's own default, not HTTPTimeouts' general one.
        submit = try c.decodeIfPresent(Partial.self, forKey: .submit)?.over(d.submit) ?? d.submit
        poll = try c.decodeIfPresent(Partial.self, forKey: .poll)?.over(d.poll) ?? d.poll
        download = try c.decodeIfPresent(Partial.self, forKey: .download)?.over(d.download) ?? d.download
    }

    /// The fields of one kind of request's timeouts that config.json gives.
    private struct Partial: Decodable {
        var connect: TimeInterval?
        var total: TimeInterval?
        var lowSpeedBytesPerSecond: Int?
        var lowSpeedSeconds: Int?

        func over(_ base: HTTPTimeouts) -> HTTPTimeouts {
            HTTPTimeouts(connect: connect ?? base.connect, total: total ?? base.total,
                         lowSpeedBytesPerSecond: lowSpeedBytesPerSecond ?? base.lowSpeedBytesPerSecond,
                         lowSpeedSeconds: lowSpeedSeconds ?? base.lowSpeedSeconds)
        }
    }
}

/// The settings of one remote provider in `config.json`. Never a key: keys come from the environment only.
public struct RemoteProviderSettings: Sendable, Equatable, Decodable {
    /// Overrides the provider's public base URL (the `*_BASE_URL` variable overrides this in turn).
    public var baseURL: String?
    public var timeouts: ProviderTimeouts
    /// Jobs sent to this provider at once, across the worker's slots.
    public var concurrency: Int?
    /// Requests per minute this worker sends to the provider.
    public var requestsPerMinute: Int?
    /// Seconds between polls of an asynchronous generation.
    public var pollIntervalSeconds: Double
    /// Seconds a provider paused for want of credit (402) is left alone before a job tries it again
    /// (`credit_recheck_s`, default 600).
    public var creditRecheckSeconds: Double

    public init(baseURL: String? = nil, timeouts: ProviderTimeouts = ProviderTimeouts(), concurrency: Int? = nil,
                requestsPerMinute: Int? = nil, pollIntervalSeconds: Double = 5, creditRecheckSeconds: Double = 600) {
        self.baseURL = baseURL
        self.timeouts = timeouts
        self.concurrency = concurrency
        self.requestsPerMinute = requestsPerMinute
        self.pollIntervalSeconds = pollIntervalSeconds
        self.creditRecheckSeconds = creditRecheckSeconds
    }

    enum CodingKeys: String, CodingKey {
        case baseURL = "baseUrl", timeouts, concurrency, requestsPerMinute
        case pollIntervalSeconds = "pollIntervalS"
        case creditRecheckSeconds = "creditRecheckS"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        baseURL = try c.decodeIfPresent(String.self, forKey: .baseURL)
        timeouts = try c.decodeIfPresent(ProviderTimeouts.self, forKey: .timeouts) ?? ProviderTimeouts()
        concurrency = try c.decodeIfPresent(Int.self, forKey: .concurrency)
        requestsPerMinute = try c.decodeIfPresent(Int.self, forKey: .requestsPerMinute)
        pollIntervalSeconds = try c.decodeIfPresent(Double.self, forKey: .pollIntervalSeconds) ?? 5
        creditRecheckSeconds = try c.decodeIfPresent(Double.self, forKey: .creditRecheckSeconds) ?? 600
        guard creditRecheckSeconds >= 0 else {
            throw MediaJobsError(.invalidInput, "credit_recheck_s: \(creditRecheckSeconds) is negative (seconds, default 600)")
        }
    }
}

/// OpenRouter's extras: routing preferences (its `provider` object) and the app attribution headers.
public struct OpenRouterSettings: Sendable, Equatable, Decodable {
    public var common: RemoteProviderSettings
    /// OpenRouter's `provider` object (`order`, `only`, `ignore`, `allow_fallbacks`, `data_collection`, `zdr`, `sort`,
    /// `options`), sent on each endpoint with the fields that endpoint's schema accepts.
    public var routing: [String: JSONValue]
    /// Sent as `HTTP-Referer`.
    public var appURL: String?
    /// Sent as `X-Title`.
    public var appTitle: String?

    public init(common: RemoteProviderSettings = RemoteProviderSettings(), routing: [String: JSONValue] = [:],
                appURL: String? = nil, appTitle: String? = "MediaJobs") {
        self.common = common
        self.routing = routing
        self.appURL = appURL
        self.appTitle = appTitle
    }

    enum CodingKeys: String, CodingKey {
        case routing, appUrl, appTitle
    }

    public init(from decoder: any Decoder) throws {
        common = try RemoteProviderSettings(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        routing = try c.decodeIfPresent([String: JSONValue].self, forKey: .routing) ?? [:]
        try OpenRouterRouting(routing).validate(field: "providers.openrouter.routing")
        appURL = try c.decodeIfPresent(String.self, forKey: .appUrl)
        appTitle = try c.decodeIfPresent(String.self, forKey: .appTitle) ?? "MediaJobs"
    }
}

/// The `providers` section of `config.json`:
///
/// ```json
/// {"providers": {
///   "openrouter": {"base_url": "https://openrouter.ai/api/v1", "app_title": "MediaJobs",
///                  "routing": {"sort": "price", "data_collection": "deny"},
///                  "timeouts": {"submit": {"total": 600}, "poll": {"total": 10}},
///                  "concurrency": 4, "requests_per_minute": 60},
///   "fal": {"base_url": "https://queue.fal.run"}
/// }}
/// ```
public struct ProvidersConfiguration: ConfigurationSection, Equatable {
    public static let sectionName = "providers"
    public static let fieldNames: Set<String> = ["openrouter", "openai", "fal", "replicate"]
    public static let defaults = ProvidersConfiguration()

    public var openrouter: OpenRouterSettings
    public var openai: RemoteProviderSettings
    public var fal: RemoteProviderSettings
    public var replicate: RemoteProviderSettings

    public init(openrouter: OpenRouterSettings = OpenRouterSettings(), openai: RemoteProviderSettings = RemoteProviderSettings(),
                fal: RemoteProviderSettings = RemoteProviderSettings(),
                replicate: RemoteProviderSettings = RemoteProviderSettings()) {
        self.openrouter = openrouter
        self.openai = openai
        self.fal = fal
        self.replicate = replicate
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        openrouter = try c.decodeIfPresent(OpenRouterSettings.self, forKey: .openrouter) ?? OpenRouterSettings()
        openai = try c.decodeIfPresent(RemoteProviderSettings.self, forKey: .openai) ?? RemoteProviderSettings()
        fal = try c.decodeIfPresent(RemoteProviderSettings.self, forKey: .fal) ?? RemoteProviderSettings()
        replicate = try c.decodeIfPresent(RemoteProviderSettings.self, forKey: .replicate) ?? RemoteProviderSettings()
    }

    enum CodingKeys: String, CodingKey {
        case openrouter, openai, fal, replicate
    }

    public func settings(for provider: String) -> RemoteProviderSettings? {
        switch provider {
        case "openrouter": openrouter.common
        case "openai": openai
        case "fal": fal
        case "replicate": replicate
        default: nil
        }
    }
}

/// Where a remote provider is and the key to reach it, resolved from the environment and the configuration.
public struct ProviderEndpoint: Sendable {
    /// The variable holding the key, and the one that overrides the base URL, per provider.
    public static let keyVariables = ["openrouter": "OPENROUTER_API_KEY", "openai": "OPENAI_API_KEY",
                                      "fal": "FAL_KEY", "replicate": "REPLICATE_API_TOKEN"]
    public static let baseURLVariables = ["openrouter": "OPENROUTER_BASE_URL", "openai": "OPENAI_BASE_URL",
                                          "fal": "FAL_BASE_URL", "replicate": "REPLICATE_BASE_URL"]
    public static let publicBaseURLs = ["openrouter": "https://openrouter.ai/api/v1", "openai": "https://api.openai.com/v1",
                                        "fal": "https://queue.fal.run", "replicate": "https://api.replicate.com/v1"]

    public var provider: String
    public var baseURL: URL
    /// Where the base URL came from: `environment`, `config.json` or `default`.
    public var baseURLSource: String
    /// The key; nil when its variable is unset or empty. Never printed, logged or stored.
    let key: String?
    public var keyVariable: String

    public var hasKey: Bool { key != nil }

    /// Resolves `provider`: base URL from `*_BASE_URL`, else `config.json`, else the public one; key from the environment.
    public static func resolve(_ provider: String, settings: RemoteProviderSettings?,
                               environment: [String: String]) throws -> ProviderEndpoint {
        let keyVariable = keyVariables[provider] ?? "?"
        let text: String
        let source: String
        if let value = baseURLVariables[provider].flatMap({ environment[$0] }), !value.isEmpty {
            (text, source) = (value, baseURLVariables[provider]!)
        } else if let value = settings?.baseURL, !value.isEmpty {
            (text, source) = (value, "config.json providers.\(provider).base_url")
        } else {
            (text, source) = (publicBaseURLs[provider] ?? "", "default")
        }
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        guard let url = URL(string: trimmed), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else {
            throw MediaJobsError(.invalidInput, "\(source): '\(text)' is not an http(s) URL")
        }
        let key = environment[keyVariable].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        return ProviderEndpoint(provider: provider, baseURL: url, baseURLSource: source, key: key, keyVariable: keyVariable)
    }

    /// `base` + `path` (a path starting with `/`).
    public func url(_ path: String) -> URL {
        URL(string: baseURL.absoluteString + path)!
    }
}
