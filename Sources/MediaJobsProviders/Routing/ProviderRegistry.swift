import Foundation
import MediaJobsCore
import MediaJobsFFmpeg

/// The providers this process can reach, by name.
public struct ProviderRegistry: Sendable {
    private let providers: [String: any Provider]

    public init(_ providers: [any Provider]) {
        self.providers = Dictionary(providers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The providers available with no key and no network.
    public static func standard(engine: MediaEngine) -> ProviderRegistry {
        ProviderRegistry([LocalProvider(engine: engine)])
    }

    /// Every provider name MediaJobs knows, available here or not.
    public static let knownNames = ["local", "openrouter", "openai", "fal", "replicate"]

    public var names: [String] { providers.keys.sorted() }

    public func provider(named name: String) throws -> any Provider {
        if let provider = providers[name] { return provider }
        if ProviderRegistry.knownNames.contains(name) {
            throw MediaJobsError(.providerUnsupported, "provider: '\(name)' is not available in this build yet")
        }
        throw MediaJobsError(.providerUnknown,
                             "provider: unknown provider '\(name)' (one of \(ProviderRegistry.knownNames.joined(separator: ", ")))")
    }

    /// Resolves a route's model (the provider's default when none is given) and checks the job
    /// against it. Throws naming the field when the route cannot serve the job.
    public func resolve(_ route: Route, for spec: JobSpec) throws -> (provider: any Provider, model: String) {
        let provider = try provider(named: route.provider)
        guard let model = route.model ?? provider.defaultModel(for: spec.kind) else {
            throw MediaJobsError(.providerUnsupported, "provider: '\(route.provider)' does not make \(spec.kind) jobs")
        }
        try provider.check(spec, model: model)
        return (provider, model)
    }

    /// Checks every route of a job; the first route must be usable, later ones are checked when present. A model the
    /// catalog does not know passes (its provider judges it, and its price is unknown), so a job whose first route
    /// is such a model is accepted and tried in its route order.
    public func check(_ spec: JobSpec) throws {
        for (index, route) in spec.routes.enumerated() {
            do {
                _ = try resolve(route, for: spec)
            } catch var error as MediaJobsError {
                if index > 0 { error.message = "fallbacks[\(index - 1)]: " + error.message }
                throw error
            }
        }
    }
}
