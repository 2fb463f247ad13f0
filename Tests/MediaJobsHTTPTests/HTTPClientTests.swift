import Crypto
import Foundation
import MediaJobsHTTP
import Testing

private func temporaryFile(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("http-tests-\(UUID().uuidString)-\(name)")
}

private func hex(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

/// The bytes `/bytes/N` sends: 0, 1, …, 255 repeated.
private func pattern(_ count: Int) -> Data {
    Data((0..<count).map { UInt8($0 % 256) })
}

@Suite("MediaJobsHTTP against a real loopback server")
struct HTTPClientTests {
    let server = LoopbackServer.shared
    let client = HTTPClient(maxConcurrentTransfers: 4)

    @Test("a JSON request carries its headers and body, and the JSON answer comes back")
    func jsonRoundTrip() async throws {
        let request = try HTTPRequest.json(url: server.url("/echo"), object: ["model": "m", "input": "héllo"],
                                           headers: [("X-Title", "MediaJobs")])
        let response = try await client.send(request)
        #expect(response.status == 200)
        #expect(response.mediaType == "application/json")
        let echo = try #require(response.jsonObject)
        #expect(echo["content_type"] as? String == "application/json")
        let json = try #require(echo["json"] as? [String: Any])
        #expect(json["input"] as? String == "héllo")
        let headers = try #require(echo["headers"] as? [String: String])
        #expect(headers["X-Title"] == "MediaJobs")
        #expect(headers["Expect"] == nil)
    }

    @Test("an error status is a response with its body and headers, not a thrown error")
    func errorStatusIsAResponse() async throws {
        let response = try await client.send(HTTPRequest(url: server.url("/status/429")))
        #expect(response.status == 429)
        #expect(response.headers["retry-after"] == "2")
        let error = try #require(response.jsonObject?["error"] as? [String: Any])
        #expect(error["message"] as? String == "status 429 as asked")
    }

    @Test("a second request to the same server reuses the connection")
    func connectionReuse() async throws {
        let client = HTTPClient(maxConcurrentTransfers: 1)
        let first = try await client.send(HTTPRequest(url: server.url("/json")))
        let second = try await client.send(HTTPRequest(url: server.url("/json")))
        #expect(first.status == 200 && second.status == 200)
        #expect(!first.reusedConnection)
        #expect(second.reusedConnection)
        #expect(first.jsonObject?["connection"] as? Int == second.jsonObject?["connection"] as? Int)
    }

    @Test("a redirect is followed")
    func redirect() async throws {
        let response = try await client.send(HTTPRequest(url: server.url("/redirect")))
        #expect(response.status == 200)
        #expect(response.jsonObject?["ok"] as? Bool == true)
    }

    @Test("a download is streamed to a file with the SHA-256 of its bytes")
    func downloadWithHash() async throws {
        let file = temporaryFile("download.bin")
        defer { try? FileManager.default.removeItem(at: file) }
        let size = 3 * 1024 * 1024 + 17
        let download = try await client.download(HTTPRequest(url: server.url("/bytes/\(size)")), to: file, maxBytes: 10 << 20)
        #expect(download.status == 200)
        #expect(download.bytes == Int64(size))
        let written = try Data(contentsOf: file)
        #expect(written == pattern(size))
        #expect(download.sha256 == hex(written))
    }

    @Test("a download larger than its limit stops, throws tooLarge and leaves no file")
    func downloadTooLarge() async throws {
        let file = temporaryFile("big.bin")
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client.download(HTTPRequest(url: server.url("/bytes/2000000")), to: file, maxBytes: 1_000_000)
        }
        #expect(error?.kind == .tooLarge)
        #expect(error?.message.contains("1000000 bytes") == true)
        #expect(!FileManager.default.fileExists(atPath: file.path))
    }

    @Test("a download answered with an error status keeps the error body and writes no file")
    func downloadErrorStatus() async throws {
        let file = temporaryFile("error.bin")
        let download = try await client.download(HTTPRequest(url: server.url("/status/401")), to: file, maxBytes: 1 << 20)
        #expect(download.status == 401)
        #expect(download.errorResponse.jsonObject?["error"] != nil)
        #expect(!FileManager.default.fileExists(atPath: file.path))
    }

    @Test("a body cut short by the server is a transfer error, not a short success")
    func truncatedBody() async throws {
        let file = temporaryFile("truncated.bin")
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client.download(HTTPRequest(url: server.url("/truncated")), to: file, maxBytes: 1 << 20)
        }
        #expect(error?.kind == .transfer)
        #expect(!FileManager.default.fileExists(atPath: file.path))
    }

    @Test("a multipart upload streams the file and the text fields")
    func multipartUpload() async throws {
        let file = temporaryFile("audio.wav")
        defer { try? FileManager.default.removeItem(at: file) }
        let content = pattern(1_500_000)
        try content.write(to: file)
        let request = HTTPRequest(method: "POST", url: server.url("/upload"), body: .multipart([
            .text("model", "whisper-1"),
            .text("response_format", "verbose_json"),
            .file("file", file, fileName: "talk.wav", contentType: "audio/wav"),
        ]))
        let response = try await client.send(request)
        #expect(response.status == 200)
        let parts = try #require(response.jsonObject?["parts"] as? [[String: Any]])
        #expect(parts.count == 3)
        #expect(parts[0]["name"] as? String == "model")
        #expect(parts[0]["text"] as? String == "whisper-1")
        #expect(parts[2]["filename"] as? String == "talk.wav")
        #expect(parts[2]["content_type"] as? String == "audio/wav")
        #expect(parts[2]["size"] as? Int == content.count)
        #expect(parts[2]["sha256"] as? String == hex(content))
    }

    @Test("a multipart upload of a missing file fails naming the file, before anything is sent")
    func multipartMissingFile() async throws {
        let missing = temporaryFile("missing.wav")
        let request = HTTPRequest(method: "POST", url: server.url("/upload"),
                                  body: .multipart([.file("file", missing, contentType: "audio/wav")]))
        let error = await #expect(throws: HTTPClientError.self) { _ = try await client.send(request) }
        #expect(error?.kind == .file)
        #expect(error?.message.contains(missing.path) == true)
        #expect(error?.requestSent == false)
    }

    @Test("PUT and DELETE are sent with their method")
    func otherMethods() async throws {
        let put = try await client.send(HTTPRequest(method: "PUT", url: server.url("/cancel")))
        #expect(put.jsonObject?["method"] as? String == "PUT")
        let delete = try await client.send(HTTPRequest(method: "DELETE", url: server.url("/x")))
        #expect(delete.jsonObject?["method"] as? String == "DELETE")
    }

    @Test("a server that never answers hits the total timeout")
    func totalTimeout() async throws {
        let request = HTTPRequest(url: server.url("/hang"), timeouts: HTTPTimeouts(connect: 2, total: 1))
        let error = await #expect(throws: HTTPClientError.self) { _ = try await client.send(request) }
        #expect(error?.kind == .timeout)
        #expect(error?.requestSent == true)
    }

    @Test("a body that trickles slower than the low-speed limit is abandoned")
    func lowSpeedTimeout() async throws {
        let request = HTTPRequest(url: server.url("/slow"),
                                  timeouts: HTTPTimeouts(connect: 2, total: 60, lowSpeedBytesPerSecond: 100, lowSpeedSeconds: 2))
        let error = await #expect(throws: HTTPClientError.self) { _ = try await client.send(request) }
        #expect(error?.kind == .timeout)
    }

    @Test("a refused connection is a connect error and the request was not sent")
    func connectionRefused() async throws {
        // Port 9 (discard) is closed on loopback here.
        let request = HTTPRequest(url: URL(string: "http://127.0.0.1:9/x")!, timeouts: HTTPTimeouts(connect: 2, total: 5))
        let error = await #expect(throws: HTTPClientError.self) { _ = try await client.send(request) }
        #expect(error?.kind == .connect)
        #expect(error?.requestSent == false)
    }

    @Test("cancelling the task aborts the transfer")
    func cancellation() async throws {
        let client = self.client
        let url = server.url("/hang")
        let task = Task {
            try await client.send(HTTPRequest(url: url, timeouts: HTTPTimeouts(connect: 2, total: 25)))
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let result = await task.result
        guard case .failure(let error as HTTPClientError) = result else {
            Issue.record("expected a cancellation error, got \(result)")
            return
        }
        #expect(error.kind == .canceled)
    }

    @Test("the query string is left out of error messages")
    func redactsQuery() async throws {
        let request = HTTPRequest(url: URL(string: "http://127.0.0.1:9/x?token=sk-secret")!,
                                  timeouts: HTTPTimeouts(connect: 2, total: 5))
        let error = await #expect(throws: HTTPClientError.self) { _ = try await client.send(request) }
        #expect(error?.message.contains("sk-secret") == false)
    }
}
