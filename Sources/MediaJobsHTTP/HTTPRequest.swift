import Foundation

/// How long a transfer may take. Each provider and kind sets its own, separately for submit,
/// poll and download (a high-quality image can take minutes; a poll should take a second).
public struct HTTPTimeouts: Sendable, Equatable, Codable {
    /// Seconds to establish the connection (TCP and TLS).
    public var connect: TimeInterval
    /// Seconds for the whole transfer, headers and body.
    public var total: TimeInterval
    /// The transfer is abandoned when it moves fewer than `lowSpeedBytesPerSecond` bytes per second
    /// for `lowSpeedSeconds` seconds (a stalled body); zero turns the check off.
    public var lowSpeedBytesPerSecond: Int
    public var lowSpeedSeconds: Int

    public init(connect: TimeInterval = 10, total: TimeInterval = 120, lowSpeedBytesPerSecond: Int = 1,
                lowSpeedSeconds: Int = 30) {
        self.connect = connect
        self.total = total
        self.lowSpeedBytesPerSecond = lowSpeedBytesPerSecond
        self.lowSpeedSeconds = lowSpeedSeconds
    }

    /// Written `low_speed_seconds` in config.json: its decoder converts snake case to these names before matching.
    enum CodingKeys: String, CodingKey {
        case connect, total, lowSpeedBytesPerSecond, lowSpeedSeconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = HTTPTimeouts()
        connect = try c.decodeIfPresent(TimeInterval.self, forKey: .connect) ?? d.connect
        total = try c.decodeIfPresent(TimeInterval.self, forKey: .total) ?? d.total
        lowSpeedBytesPerSecond = try c.decodeIfPresent(Int.self, forKey: .lowSpeedBytesPerSecond) ?? d.lowSpeedBytesPerSecond
        lowSpeedSeconds = try c.decodeIfPresent(Int.self, forKey: .lowSpeedSeconds) ?? d.lowSpeedSeconds
    }
}

/// One part of a `multipart/form-data` body: a text field, or a file streamed from disk.
public struct MultipartPart: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case text(String)
        /// Read from disk while the request is sent, never loaded whole into memory.
        case file(URL, fileName: String, contentType: String)
    }

    public var name: String
    public var content: Content

    public init(name: String, content: Content) {
        self.name = name
        self.content = content
    }

    public static func text(_ name: String, _ value: String) -> MultipartPart {
        MultipartPart(name: name, content: .text(value))
    }

    public static func file(_ name: String, _ url: URL, fileName: String? = nil, contentType: String) -> MultipartPart {
        MultipartPart(name: name, content: .file(url, fileName: fileName ?? url.lastPathComponent, contentType: contentType))
    }
}

/// A caller's last word on a request, spoken on the transfer thread: whether it may go out now (checked just
/// before it is sent, after any wait for a pool thread), and what came back as soon as the response's head is in
/// (before its body is read and before the calling task resumes).
public struct HTTPSendGate: Sendable {
    /// A time before which the request must not be sent; nil or a past time: send now.
    public var holdUntil: @Sendable () -> Date?
    /// Called with the status, the headers and the arrival time of each response head.
    public var onResponseHead: @Sendable (_ status: Int, _ headers: HTTPHeaders, _ receivedAt: Date) -> Void

    public init(holdUntil: @escaping @Sendable () -> Date?,
                onResponseHead: @escaping @Sendable (_ status: Int, _ headers: HTTPHeaders, _ receivedAt: Date) -> Void) {
        self.holdUntil = holdUntil
        self.onResponseHead = onResponseHead
    }
}

/// An HTTP request.
public struct HTTPRequest: Sendable {
    public enum Body: Sendable {
        case none
        /// Sent as is, with the given content type.
        case data(Data, contentType: String)
        case multipart([MultipartPart])
    }

    public var method: String
    public var url: URL
    /// Sent in order. Values that carry secrets (`Authorization`) are never logged or put in errors.
    public var headers: [(name: String, value: String)]
    public var body: Body
    public var timeouts: HTTPTimeouts
    /// When set, the request is not sent while `holdUntil` says so (the send throws `HTTPClientError.Kind.held`
    /// without a byte on the wire), and `onResponseHead` hears of each answer's head first.
    public var sendGate: HTTPSendGate?

    public init(method: String = "GET", url: URL, headers: [(name: String, value: String)] = [], body: Body = .none,
                timeouts: HTTPTimeouts = HTTPTimeouts()) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }

    /// A request with a JSON body made from `object` (a `JSONSerialization` value).
    public static func json(_ method: String = "POST", url: URL, object: Any, headers: [(name: String, value: String)] = [],
                            timeouts: HTTPTimeouts = HTTPTimeouts()) throws -> HTTPRequest {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return HTTPRequest(method: method, url: url, headers: headers + [("Accept", "application/json")],
                           body: .data(data, contentType: "application/json"), timeouts: timeouts)
    }

    /// A request with a JSON body encoded from `body` (keys sorted, optional fields left out when nil).
    public static func json<Body: Encodable>(_ method: String = "POST", url: URL, body: Body,
                                             headers: [(name: String, value: String)] = [],
                                             timeouts: HTTPTimeouts = HTTPTimeouts()) throws -> HTTPRequest {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return HTTPRequest(method: method, url: url, headers: headers + [("Accept", "application/json")],
                           body: .data(try encoder.encode(body), contentType: "application/json"), timeouts: timeouts)
    }

    /// The URL without its query, for messages (queries can carry tokens).
    public var redactedURL: String {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        components?.query = nil
        components?.user = nil
        components?.password = nil
        return components?.string ?? url.host ?? "?"
    }
}
