import Foundation

/// Response headers, looked up without regard to case.
public struct HTTPHeaders: Sendable, Equatable {
    public private(set) var entries: [(name: String, value: String)] = []

    public init(_ entries: [(name: String, value: String)] = []) {
        self.entries = entries
    }

    public mutating func append(name: String, value: String) {
        entries.append((name, value))
    }

    /// The first value of `name`.
    public subscript(_ name: String) -> String? {
        entries.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.entries.map { "\($0.name.lowercased()):\($0.value)" } == rhs.entries.map { "\($0.name.lowercased()):\($0.value)" }
    }
}

/// A response whose body was kept in memory (JSON answers, error bodies).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data
    /// The HTTP version used, e.g. `1.1` or `2`.
    public var httpVersion: String
    /// True when the transfer used a connection that an earlier request had opened.
    public var reusedConnection: Bool
    /// When the response's status line arrived: the moment the answer was received, before its body was read
    /// and before the caller got to it (a 429's `Retry-After` counts from here).
    public var receivedAt: Date

    public init(status: Int, headers: HTTPHeaders, body: Data, httpVersion: String = "1.1", reusedConnection: Bool = false,
                receivedAt: Date = Date()) {
        self.status = status
        self.receivedAt = receivedAt
        self.headers = headers
        self.body = body
        self.httpVersion = httpVersion
        self.reusedConnection = reusedConnection
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body as a JSON object, or nil.
    public var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }

    /// The media type without parameters, lower-cased (`audio/mpeg`).
    public var mediaType: String? {
        headers["Content-Type"].map {
            String($0.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        }
    }
}

/// A body streamed to a file, with its SHA-256 computed on the way.
public struct HTTPDownload: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// The file holding the body (only written when the status is 2xx).
    public var file: URL
    public var bytes: Int64
    /// Lower-case hex SHA-256 of the body.
    public var sha256: String
    /// For a non-2xx status: the start of the error body (never written to `file`).
    public var errorBody: Data

    public var isSuccess: Bool { (200..<300).contains(status) }

    public var mediaType: String? {
        headers["Content-Type"].map {
            String($0.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        }
    }

    /// The error body as an in-memory response, for error classification.
    public var errorResponse: HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: errorBody)
    }
}
