import Foundation
import HTTPTypes

/// One request as a provider handler sees it: the path after the provider's prefix, the whole body.
struct Exchange: Sendable {
    var method: String
    /// After the provider prefix: "/audio/speech".
    var path: String
    var query: [String: String]
    var headers: HTTPFields
    var body: Data
    var provider: SimulatedProvider
    /// "http://127.0.0.1:PORT", from the Host header the client sent.
    var origin: String
    /// Set by a `corruptMedia` fault: media this answer carries is to be spoiled.
    var corruptMedia = false
    /// Set by a `jobFailure` (or, for Replicate, `contentPolicy`) fault: the job this request creates fails.
    var jobFailure: String?
    /// Set by a `pngInsteadOfAskedFormat` fault: images are PNG whatever format was asked.
    var deliversPNG = false
    /// Set by a `canceledAtProvider` fault: the job this request creates is cancelled at the provider before it ends.
    var canceledAtProvider = false
    /// Set by a `resultExpired` fault: the fal request this creates completes, and its result has expired.
    var resultExpired = false

    /// The provider's base URL as this client reached it: "http://127.0.0.1:PORT/openai/v1".
    var baseURL: String { origin + provider.pathPrefix }

    func header(_ name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return headers[field]
    }

    /// The body as a JSON object, or a 400 in the provider's shape.
    func jsonObject() throws(ProviderError) -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw ProviderError(400, "The request body is not a JSON object", code: "invalid_json")
        }
        return object
    }

    /// The bearer token or `Key` credential after `scheme`, if non-empty.
    func credential(scheme: String) -> String? {
        guard let value = header("Authorization") else { return nil }
        let prefix = scheme + " "
        guard value.count > prefix.count, value.lowercased().hasPrefix(prefix.lowercased()) else { return nil }
        let key = value.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        return key.isEmpty ? nil : key
    }
}

/// A failure a handler answers in its provider's error envelope.
struct ProviderError: Error, Sendable {
    var status: Int
    var message: String
    /// OpenAI's `code`, OpenRouter's `metadata.error_type`.
    var code: String?
    /// OpenAI's `param`, fal's `loc`.
    var param: String?
    var retryAfter: Int?
    /// Every problem a schema check found, for providers that list them all (fal's `detail`, Replicate's
    /// `invalid_fields`); empty for other errors.
    var problems: [SchemaProblem] = []

    init(_ status: Int, _ message: String, code: String? = nil, param: String? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.retryAfter = retryAfter
    }
}

/// What the simulator answers, before body faults shape how it is sent.
struct Answer: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: Data
    /// The body is media (or carries media) that a `corruptMedia` fault spoils.
    var isMedia = false

    static func json(status: Int = 200, _ object: Any, headers: [(String, String)] = []) -> Answer {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        // Exact amounts and durations go out digit for digit (see `ExactNumber`).
        return Answer(
            status: status, headers: [("Content-Type", "application/json")] + headers, body: ExactNumber.substitute(in: data))
    }

    static func bytes(_ data: Data, contentType: String, headers: [(String, String)] = []) -> Answer {
        Answer(status: 200, headers: [("Content-Type", contentType)] + headers, body: data, isMedia: true)
    }

    static func text(_ text: String, contentType: String = "text/plain; charset=utf-8") -> Answer {
        Answer(status: 200, headers: [("Content-Type", contentType)], body: Data(text.utf8))
    }

    var contentType: String? { headers.first { $0.0.lowercased() == "content-type" }?.1 }
}

/// One provider's HTTP API.
protocol ProviderAPI: Sendable {
    /// Answers `exchange`, already authorised; throws `ProviderError` for the provider's own errors.
    func handle(_ exchange: Exchange) async throws(ProviderError) -> Answer
    /// Whether the request carries this provider's credential (any non-empty key).
    func isAuthorized(_ exchange: Exchange) -> Bool
    /// Whether `path` is served without a credential (public file URLs).
    func isPublic(_ exchange: Exchange) -> Bool
    /// `error` in the provider's envelope.
    func render(_ error: ProviderError) -> Answer
    /// The provider's own answer to a content-policy refusal and to an unknown model.
    func policyRefusal() -> ProviderError
    func unknownModel(_ model: String) -> ProviderError
}

extension ProviderAPI {
    func isPublic(_ exchange: Exchange) -> Bool { false }
}

extension [String: Any] {
    func string(_ key: String) -> String? { self[key] as? String }
    func number(_ key: String) -> Double? { (self[key] as? NSNumber).map(\.doubleValue) }
}

/// A short random identifier of lowercase letters and digits.
func randomID(_ length: Int = 20) -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
    return String((0..<length).map { _ in alphabet.randomElement()! })
}

/// An ISO 8601 timestamp with microseconds, as Replicate writes them.
func isoTimestamp(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
}

/// Answers `GET …/files/{id}` with a stored output file (public, like the providers' CDN URLs).
func serveFile(_ exchange: Exchange, from state: SimulatorState) throws(ProviderError) -> Answer {
    let id = exchange.path.split(separator: "/").dropFirst().first.map(String.init) ?? ""
    guard let file = state.file(id) else { throw ProviderError(404, "File not found") }
    return .bytes(file.data, contentType: file.contentType, headers: [("Content-Disposition", "inline; filename=\"\(file.name)\"")])
}
