import Foundation
import MediaJobsCore

/// A remote provider whose models, limits and prices come from the catalog: the default model,
/// the checks at submit (the model's limits, then the key), the upload limit and the estimate are
/// the same for every adapter, read from `client.catalog` under the provider's name. A model the catalog
/// does not know is sent as asked: no limits are checked and its estimate is unknown.
protocol CatalogBackedProvider: Provider {
    var client: RemoteClient { get }
}

extension CatalogBackedProvider {
    public func defaultModel(for kind: JobKind) -> String? {
        client.catalog.defaultModel(provider: name, kind: kind)
    }

    public func check(_ spec: JobSpec, model: String) throws {
        try checkCatalog(spec, model: model)
    }

    /// The catalog's limits for `model`, then the key: what every adapter checks before its own rules.
    func checkCatalog(_ spec: JobSpec, model: String) throws {
        try client.catalog.check(spec, provider: name, model: model)
        try client.requireKey()
    }

    public var account: ProviderAccount? {
        client.endpoint.key.map {
            ProviderAccount(keyFingerprint: ProviderAccount.fingerprint(of: $0),
                            creditRecheckSeconds: client.settings.creditRecheckSeconds)
        }
    }

    public func limits(model: String) -> ModelLimits? {
        client.catalog.model(provider: name, id: model)?.limits
    }

    public func estimate(_ request: ProviderRequest) -> CostEstimate {
        client.catalog.estimate(request.spec, provider: name, model: request.model, audioSeconds: request.audioSeconds)
    }
}
