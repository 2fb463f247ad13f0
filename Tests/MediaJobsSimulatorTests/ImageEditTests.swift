import Foundation
import MediaJobsSimulator
import Testing

@Suite("OpenAI POST /v1/images/edits: multipart images in, b64 images out, billed like generations")
struct ImageEditTests {
    private let picture = try! Data(contentsOf: samples.appendingPathComponent("image.png"))
    private func decimal(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }

    /// A multipart body of text `fields` and image `files` (field name, filename, content type, bytes).
    private func form(_ fields: [(String, String)], files: [(String, String, String, Data)]) -> (Data, String) {
        let boundary = "edit-\(UUID().uuidString)"
        var body = Data()
        for (name, value) in fields {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        for (name, filename, type, data) in files {
            body += Data(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
            body += data
            body += Data("\r\n".utf8)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    private func post(_ sim: Simulator, _ fields: [(String, String)], files: [(String, String, String, Data)])
        async throws -> HTTPReply
    {
        let (body, type) = form(fields, files: files)
        return try await HTTP.send(
            "POST", sim.url(.openai, "/images/edits"),
            headers: ["Authorization": "Bearer sk-test", "Content-Type": type], body: body)
    }

    @Test("two image[] parts: answered with b64_json PNGs and usage, the images recorded, billed per output image")
    func editsTwoImages() async throws {
        try await withSimulator { sim in
            let reply = try await post(
                sim, [("model", "gpt-image-1"), ("prompt", "job-3. put them together"), ("n", "2"),
                      ("size", "1536x1024"), ("quality", "high"), ("output_format", "png")],
                files: [("image[]", "a.png", "image/png", picture), ("image[]", "b.png", "image/png", picture)])
            #expect(reply.status == 200, "\(reply.text)")
            let data = try #require(reply.json["data"] as? [[String: Any]])
            #expect(data.count == 2)
            let b64 = try #require(data.first?["b64_json"] as? String)
            let image = try #require(Data(base64Encoded: b64))
            #expect(image.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            let report = try await validateMedia(image, ext: "png", kind: .image)
            #expect(report.info.videoStreams.first?.width == 1024)
            #expect(report.info.videoStreams.first?.height == 682)
            let usage = try #require(reply.json["usage"] as? [String: Any])
            #expect(((usage["input_tokens_details"] as? [String: Any])?["image_tokens"] as? Int ?? 0) > 0)
            #expect(reply.json["size"] as? String == "1536x1024")
            #expect(reply.json["quality"] as? String == "high")

            let recorded = try #require(sim.requests(.openai, path: "/images/edits").last)
            #expect(recorded.images.count == 2)
            #expect(recorded.images.map(\.field) == ["image[]", "image[]"])
            #expect(recorded.images.allSatisfy { $0.data == picture && $0.contentType == "image/png" })
            #expect(recorded.uploads.count == 2)

            let bill = try #require(sim.billing(.openai).last)
            #expect(bill.endpoint == "POST /images/edits")
            #expect(bill.model == "gpt-image-1")
            // 2 × $0.25 (high, not 1024²), plus 6 text tokens at $0.002 per 1K.
            #expect(bill.usd == decimal("0.500012"))
            #expect(try sim.billed(markedWith: "job-") == [3: decimal("0.500012")])
        }
    }

    @Test("one `image` part, auto quality and size: medium 1024² at $0.042, WebP when asked")
    func editsSingleImage() async throws {
        try await withSimulator { sim in
            let reply = try await post(
                sim, [("model", "gpt-image-1"), ("prompt", "make it blue"), ("output_format", "webp")],
                files: [("image", "a.png", "image/png", picture)])
            #expect(reply.status == 200, "\(reply.text)")
            let b64 = try #require((reply.json["data"] as? [[String: Any]])?.first?["b64_json"] as? String)
            let bytes = try #require(Data(base64Encoded: b64))
            #expect(bytes.prefix(4) == Data("RIFF".utf8))
            #expect(reply.json["quality"] as? String == "medium")
            #expect(sim.billing(.openai).last?.usd == decimal("0.042006"), "$0.042 and 3 text tokens")
            #expect(sim.requests(.openai).last?.images.first?.field == "image")
        }
    }

    @Test("no image, no prompt, a file that is no image: OpenAI's 400 envelope, nothing billed")
    func editsRefused() async throws {
        try await withSimulator { sim in
            let noImage = try await post(sim, [("model", "gpt-image-1"), ("prompt", "x")], files: [])
            #expect(noImage.status == 400)
            let error = try #require(noImage.json["error"] as? [String: Any])
            #expect(error["param"] as? String == "image")
            #expect(error["type"] as? String == "invalid_request_error")
            #expect(error["code"] as? String == "missing_required_parameter")
            #expect(error["message"] is String)

            let noPrompt = try await post(sim, [("model", "gpt-image-1")], files: [("image[]", "a.png", "image/png", picture)])
            #expect(noPrompt.status == 400)
            #expect((noPrompt.json["error"] as? [String: Any])?["param"] as? String == "prompt")

            let text = try await post(
                sim, [("model", "gpt-image-1"), ("prompt", "x")], files: [("image[]", "a.txt", "text/plain", Data("hello".utf8))])
            #expect(text.status == 400)
            #expect((text.json["error"] as? [String: Any])?["param"] as? String == "image")

            let json = try await HTTP.json(sim.url(.openai, "/images/edits"), ["model": "gpt-image-1", "prompt": "x"])
            #expect(json.status == 400)
            #expect(sim.billing().isEmpty)
        }
    }
}
