import Foundation
import Hummingbird
import MediaJobsWorker

/// JSON answers, encoded as the CLI's `--json` output is (sorted keys, ISO-8601 dates), on one line.
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        make(json: try JobView.makeEncoder(pretty: false).encode(value), status: status, headers: headers)
    }

    static func make(json: Data, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }
}

extension Request {
    /// The body, refusing one over `limit` bytes with 413 before reading the rest.
    mutating func collectBody(limit: Int) async throws -> Data {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, "http.body_too_large", "the request body is \(length) bytes; the limit is \(limit)")
        }
        do {
            var buffer = try await collectBody(upTo: limit)
            return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "http.body_too_large", "the request body is over the limit of \(limit) bytes")
        }
    }

    /// Whether the client asked for Server-Sent Events.
    var wantsEventStream: Bool {
        headers[values: .accept].contains { $0.contains("text/event-stream") }
    }
}
