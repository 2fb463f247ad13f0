import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client over a real loopback TCP socket, with control over when to hang up.
///
/// Socket calls block, so each request runs on a thread of its own, never on the cooperative pool
/// that the server under test answers on.
struct HTTPClient: Sendable {
    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data

        func header(_ name: String) -> String? { headers[name.lowercased()] }
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
    }

    let port: Int

    /// Sends a request with `Connection: close` and reads the whole answer.
    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: Data = Data()) async throws -> Response {
        let raw = try await exchange(request(method, path, headers: headers, body: body), readLimit: nil)
        return try HTTPClient.parse(raw)
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Response {
        try await send("GET", path, headers: headers)
    }

    func postJSON(_ path: String, _ object: Any, headers: [String: String] = [:]) async throws -> Response {
        var headers = headers
        headers["Content-Type"] = "application/json"
        return try await send("POST", path, headers: headers, body: try JSONSerialization.data(withJSONObject: object))
    }

    /// Sends a request, reads until `until` appears in what came back (or `limit` bytes), then closes
    /// the socket without reading the rest: a client that walks away.
    func hangUp(after until: String?, limit: Int, _ path: String, method: String = "GET", headers: [String: String] = [:]) async throws -> Data {
        try await exchange(request(method, path, headers: headers, body: Data()), readLimit: limit, until: until.map { Data($0.utf8) })
    }

    private func request(_ method: String, _ path: String, headers: [String: String], body: Data) -> Data {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        return Data(text.utf8) + body
    }

    private func exchange(_ request: Data, readLimit: Int?, until: Data? = nil) async throws -> Data {
        let port = self.port
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try HTTPClient.blockingExchange(port: port, request: request, readLimit: readLimit, until: until) })
            }
            thread.start()
        }
    }

    private static func blockingExchange(port: Int, request: Data, readLimit: Int?, until: Data?) throws -> Data {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ClientError("connect to 127.0.0.1:\(port): errno \(errno)") }
        try request.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                guard n > 0 else { throw ClientError("send: errno \(errno)") }
                sent += n
            }
        }
        var received = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let readLimit, received.count >= readLimit { break }
            if let until, received.range(of: until) != nil { break }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 { throw ClientError("recv: errno \(errno)") }
            if n == 0 { break }
            received.append(contentsOf: chunk[0..<n])
        }
        return received
    }

    static func parse(_ raw: Data) throws -> Response {
        guard let headEnd = raw.range(of: Data("\r\n\r\n".utf8)) else { throw ClientError("no end of headers in \(raw.count) bytes") }
        let head = String(decoding: raw[..<headEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw ClientError("bad status line \(head[0])") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        var body = Data(raw[headEnd.upperBound...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try dechunk(body)
        }
        return Response(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: Data) throws -> Data {
        var out = Data()
        var index = data.startIndex
        while index < data.endIndex {
            guard let lineEnd = data.range(of: Data("\r\n".utf8), in: index..<data.endIndex) else { break }
            let sizeText = String(decoding: data[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw ClientError("bad chunk size") }
            if size == 0 { break }
            let start = lineEnd.upperBound
            guard start + size <= data.endIndex else { out.append(data[start...]); break }
            out.append(data[start..<start + size])
            index = start + size + 2
        }
        return out
    }
}

struct ClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
