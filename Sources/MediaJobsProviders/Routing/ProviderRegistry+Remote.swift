import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsHTTP

extension ProviderRegistry {
    /// The local provider and the four remote ones, reached at the base URLs the environment or `config.json`
    /// give, with the keys the environment holds. A remote provider without its key is still listed: a job
    /// routed to it fails at submit naming the variable to set.
    public static func configured(
        engine: MediaEngine, configuration: ProvidersConfiguration = .defaults,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        catalog: ModelCatalog = .builtIn, http: HTTPClient = .shared, limiter: (any ProviderLimiter)? = nil
    ) throws -> ProviderRegistry {
        var providers: [any Provider] = [LocalProvider(engine: engine, catalog: catalog)]
        for name in ["openrouter", "openai", "fal", "replicate"] {
            let settings = configuration.settings(for: name) ?? RemoteProviderSettings()
            let endpoint = try ProviderEndpoint.resolve(name, settings: settings, environment: environment)
            let client = RemoteClient(endpoint: endpoint, settings: settings, http: http, catalog: catalog, engine: engine,
                                      limiter: limiter)
            switch name {
            case "openrouter": providers.append(OpenRouterProvider(client: client, settings: configuration.openrouter))
            case "openai": providers.append(OpenAIProvider(client: client))
            case "fal": providers.append(FalProvider(client: client))
            default: providers.append(ReplicateProvider(client: client))
            }
        }
        return ProviderRegistry(providers)
    }

    /// What `mediajobs providers` and `doctor` show for each remote provider: never the key itself, only its
    /// fingerprint, and the account pause among `pauses` that holds for that key now.
    public static func describe(configuration: ProvidersConfiguration = .defaults,
                                environment: [String: String] = ProcessInfo.processInfo.environment,
                                catalog: ModelCatalog = .builtIn, pauses: [ProviderAccountPause] = [],
                                now: Date = Date()) throws -> [ProviderDescription] {
        var result = [ProviderDescription(name: "local", kinds: [.tts, .transcribe], baseURL: nil, baseURLSource: nil,
                                          keyVariable: nil, keySet: true, concurrency: nil, requestsPerMinute: nil)]
        for name in ["openrouter", "openai", "fal", "replicate"] {
            let settings = configuration.settings(for: name)
            let endpoint = try ProviderEndpoint.resolve(name, settings: settings, environment: environment)
            let kinds = JobKind.allCases.filter { kind in catalog.models(provider: name, kind: kind).isEmpty == false }
            var description = ProviderDescription(
                name: name, kinds: kinds, baseURL: endpoint.baseURL.absoluteString, baseURLSource: endpoint.baseURLSource,
                keyVariable: endpoint.keyVariable, keySet: endpoint.hasKey, concurrency: settings?.concurrency,
                requestsPerMinute: settings?.requestsPerMinute)
            description.keyFingerprint = endpoint.key.map(ProviderAccount.fingerprint(of:))
            if let fingerprint = description.keyFingerprint {
                description.pause = pauses.first { $0.provider == name && $0.holds(forKey: fingerprint, at: now) }
            }
            description.usable = description.pause == nil
            result.append(description)
        }
        return result
    }
}

/// One provider as `mediajobs providers` lists it.
public struct ProviderDescription: Sendable, Codable, Equatable {
    public var name: String
    public var kinds: [JobKind]
    public var baseURL: String?
    public var baseURLSource: String?
    /// The environment variable holding the key (nil for `local`, which needs none).
    public var keyVariable: String?
    public var keySet: Bool
    public var concurrency: Int?
    public var requestsPerMinute: Int?
    /// `sha256:` and 8 hex digits of the key, so a user can tell which key is in use (nil: no key set or needed).
    public var keyFingerprint: String?
    /// False while the provider's account is paused for this key (`pause` says why).
    public var usable = true
    public var pause: ProviderAccountPause?

    enum CodingKeys: String, CodingKey {
        case name, kinds, concurrency, usable, pause
        case keyFingerprint = "key_fingerprint"
        case baseURL = "base_url"
        case baseURLSource = "base_url_source"
        case keyVariable = "key_variable"
        case keySet = "key_set"
        case requestsPerMinute = "requests_per_minute"
    }
}
