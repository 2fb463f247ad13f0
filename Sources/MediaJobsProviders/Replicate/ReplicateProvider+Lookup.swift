import Foundation
import MediaJobsCore
import MediaJobsHTTP

extension ReplicateProvider {
    /// How far a prediction's `created_at` (Replicate's clock) may lie before `since` (ours) and still count.
    static let clockSkewAllowance: TimeInterval = 30
    /// Pages of `GET /predictions` read at most (100 predictions each, newest first).
    static let maxLookupPages = 5

    /// Lists predictions, newest first, following `next` while a page still holds predictions created since `since`
    /// (less `clockSkewAllowance`), up to `maxLookupPages` pages. A match is a prediction of the model (or version)
    /// `request` runs, whose
    /// `input` is exactly what `createBody(for:)` sends for `request`; of several, the newest is taken (and
    /// `matches` says how many there were).
    public func findSubmission(_ request: ProviderRequest, since: Date) async throws -> SubmissionLookup {
        let expected = try ReplicateProvider.jsonValue(encoding: try await createBody(for: request).input)
        let target = self.target(for: request)
        let earliest = since.addingTimeInterval(-ReplicateProvider.clockSkewAllowance)
        var next: URL? = client.endpoint.url("/predictions")
        var pages = 0
        var examined = 0
        var matches: [(id: String, createdAt: Date, prediction: [String: Any])] = []
        while let url = next, pages < ReplicateProvider.maxLookupPages {
            pages += 1
            let response = try await client.send(
                HTTPRequest(url: url, headers: try headers(), timeouts: client.settings.timeouts.poll),
                action: "list predictions", creates: false)
            guard let page = response.jsonObject, let results = page["results"] as? [[String: Any]] else {
                throw ProviderError(.retryable, MediaJobsError(.providerFailed,
                    "replicate list predictions: HTTP \(response.status) without a results list"))
            }
            var reachedOlder = false
            for prediction in results {
                guard let created = (prediction["created_at"] as? String).flatMap(ReplicateProvider.timestamp) else { continue }
                guard created >= earliest else {
                    reachedOlder = true
                    continue
                }
                examined += 1
                guard let id = prediction["id"] as? String, isSame(prediction, as: target),
                      (try? ReplicateProvider.jsonValue(prediction["input"])) == expected
                else { continue }
                matches.append((id, created, prediction))
            }
            // Newest first: once a page reaches predictions older than `since`, later pages hold only older ones.
            next = reachedOlder ? nil : (page["next"] as? String).flatMap(URL.init(string:)).flatMap(sameHost)
        }
        guard let newest = matches.max(by: { $0.createdAt < $1.createdAt }) else { return .notFound(examined: examined) }
        return .found(SubmissionMatch(handle: handle(id: newest.id, newest.prediction).encoded(), id: newest.id,
                                      createdAt: newest.createdAt, matches: matches.count))
    }

    /// `url` when it is on the configured endpoint's host: the key is never sent anywhere else.
    private func sameHost(_ url: URL) -> URL? {
        let base = client.endpoint.baseURL
        return url.host == base.host && url.port == base.port && url.scheme == base.scheme ? url : nil
    }

    /// Whether `prediction` was made by `target`: the same version when it is run by version (a version id names
    /// one model's one version), else the same model.
    private func isSame(_ prediction: [String: Any], as target: Target) -> Bool {
        if let version = target.version { return prediction["version"] as? String == version }
        return prediction["model"] as? String == target.model
    }

    /// An encoded input as a comparable value.
    static func jsonValue(encoding input: some Encodable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(input))
    }

    /// A JSON object as a comparable value (numbers compare by value, so `5` and `5.0` are the same input).
    static func jsonValue(_ object: Any?) throws -> JSONValue {
        guard let object else { return .null }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Replicate's `created_at` ("2023-09-08T16:19:34.765994Z": microseconds, or none, or a numeric offset).
    static func timestamp(_ text: String) -> Date? {
        var whole = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let digits = text[text.index(after: dot)...].prefix { $0.isNumber }
            fraction = Double("0." + digits) ?? 0
            whole = String(text[..<dot]) + String(text[text.index(dot, offsetBy: digits.count + 1)...])
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: whole).map { $0.addingTimeInterval(fraction) }
    }
}
