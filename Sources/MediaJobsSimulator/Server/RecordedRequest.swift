import Foundation

/// One request the simulator received, as it arrived, for tests to check what a client sent.
public struct RecordedRequest: Sendable {
    public var method: String
    /// The whole path, prefix included: "/openai/v1/audio/speech".
    public var path: String
    /// The query string without "?", or nil.
    public var query: String?
    /// Header fields in arrival order, names as sent.
    public var headers: [(name: String, value: String)]
    public var body: Data
    /// The provider whose prefix the path starts with (nil for an unknown path).
    public var provider: SimulatedProvider?
    /// The fault injected into the answer, if any (its spec form: "429:1", "reset").
    public var fault: String?
    /// The status the simulator answered with (before any body fault cut it short).
    public var status: Int
    /// When the request arrived (its head, before the body was read).
    public var receivedAt: Date = Date()

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body parsed as a JSON object, or nil when it is not one.
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }
}
