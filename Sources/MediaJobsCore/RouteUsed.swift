/// The route that made a job's result: the provider and model that produced its file, which is the first route asked
/// for unless a fallback served the job. For an answer from the result cache, also the earlier job whose stored
/// result was reused (that job's request, on this route, made the file).
public struct RouteUsed: Sendable, Codable, Hashable, CustomStringConvertible {
    public var provider: String
    /// The model as the provider was asked for it (a route's default model resolved).
    public var model: String
    /// The job whose stored outputs answered this one (a result-cache hit); nil when the result was made for this job.
    public var cacheHitOf: JobID?

    public init(provider: String, model: String, cacheHitOf: JobID? = nil) {
        self.provider = provider
        self.model = model
        self.cacheHitOf = cacheHitOf
    }

    /// The route, without where its result came from.
    public var route: Route { Route(provider: provider, model: model) }

    /// `local/flite`, or `local/flite (cache hit of job 01J…)`.
    public var description: String {
        route.description + (cacheHitOf.map { " (cache hit of job \($0))" } ?? "")
    }

    enum CodingKeys: String, CodingKey {
        case provider, model
        case cacheHitOf = "cache_hit_of"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(provider, forKey: .provider)
        try c.encode(model, forKey: .model)
        try c.encode(cacheHitOf, forKey: .cacheHitOf)  // null when the result was made for this job
    }
}
