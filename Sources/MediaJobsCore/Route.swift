/// Where a job is sent: a provider and one of its models.
public struct Route: Sendable, Codable, Hashable, CustomStringConvertible {
    public var provider: String
    public var model: String?

    public init(provider: String, model: String? = nil) {
        self.provider = provider
        self.model = model
    }

    public var description: String { model.map { "\(provider)/\($0)" } ?? provider }
}
