/// A provider whose HTTP API the simulator imitates, each under its own URL prefix on one port.
public enum SimulatedProvider: String, Sendable, CaseIterable, Codable {
    case openrouter, openai, fal, replicate

    /// The path the provider's real base URL maps to: `https://openrouter.ai/api/v1` → `/openrouter/api/v1`.
    public var pathPrefix: String {
        switch self {
        case .openrouter: "/openrouter/api/v1"
        case .openai: "/openai/v1"
        case .fal: "/fal"
        case .replicate: "/replicate/v1"
        }
    }

    /// The environment variable MediaJobs reads this provider's base URL from.
    public var baseURLVariable: String {
        switch self {
        case .openrouter: "OPENROUTER_BASE_URL"
        case .openai: "OPENAI_BASE_URL"
        case .fal: "FAL_BASE_URL"
        case .replicate: "REPLICATE_BASE_URL"
        }
    }

    /// The provider whose prefix starts `path`, and the rest of the path after it ("/audio/speech").
    static func route(_ path: String) -> (SimulatedProvider, String)? {
        for provider in allCases {
            let prefix = provider.pathPrefix
            if path == prefix { return (provider, "/") }
            if path.hasPrefix(prefix + "/") { return (provider, String(path.dropFirst(prefix.count))) }
        }
        return nil
    }
}
