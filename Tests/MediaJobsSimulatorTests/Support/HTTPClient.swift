import Foundation
import MediaJobsFFmpeg
import MediaJobsSimulator

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What came back over loopback HTTP.
struct HTTPReply: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A tiny client over Foundation's URLSession (libcurl underneath on Linux): not MediaJobs' own HTTP code.
enum HTTP {
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        // A bound on a stalled request, not a speed check: the whole suite shares two cores.
        configuration.timeoutIntervalForRequest = 600
        configuration.urlCache = nil
        return URLSession(configuration: configuration)
    }()

    static func send(
        _ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil
    ) async throws -> HTTPReply {
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields["\(name)"] = "\(value)" }
        return HTTPReply(status: http.statusCode, headers: fields, body: data)
    }

    static func json(
        _ url: URL, _ object: [String: Any], method: String = "POST", key: String? = "sk-test",
        scheme: String = "Bearer", headers: [String: String] = [:]
    ) async throws -> HTTPReply {
        var all = headers
        all["Content-Type"] = "application/json"
        if let key { all["Authorization"] = "\(scheme) \(key)" }
        return try await send(method, url, headers: all, body: try JSONSerialization.data(withJSONObject: object))
    }

    static func get(_ url: URL, key: String? = "sk-test", scheme: String = "Bearer") async throws -> HTTPReply {
        try await send("GET", url, headers: key.map { ["Authorization": "\(scheme) \($0)"] } ?? [:])
    }

    /// A multipart/form-data body of `fields` and one file part.
    static func multipart(fields: [(String, String)], file: (name: String, filename: String, data: Data))
        -> (body: Data, contentType: String)
    {
        let boundary = "sim-\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Data(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; filename=\"\(file.filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += file.data
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        return (body, "multipart/form-data; boundary=\(boundary)")
    }
}

/// Writes `data` to a temporary file with `ext` and validates it with MediaEngine.
func validateMedia(_ data: Data, ext: String, kind: MediaExpectation.Kind) async throws -> MediaReport {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("sim-test-\(UUID().uuidString).\(ext)")
    defer { try? FileManager.default.removeItem(at: file) }
    try data.write(to: file)
    return try await MediaEngine.shared.validate(file, expecting: MediaExpectation(kind: kind))
}

/// The repository's Samples folder.
let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Samples")

extension Simulator {
    func url(_ provider: SimulatedProvider, _ path: String) -> URL {
        URL(string: baseURL(provider).absoluteString + path)!
    }
}
