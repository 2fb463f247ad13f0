import Foundation
import MediaJobsSimulator
import Testing

@Suite("Images in and out: frames and references received, formats as asked")
struct ImageInputTests {
    private let picture = try! Data(contentsOf: samples.appendingPathComponent("image.png"))
    private var dataURI: String { "data:image/png;base64," + picture.base64EncodedString() }

    @Test("OpenRouter video: frame_images and input_references are recorded, decoded, with their frame type")
    func openRouterFrames() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let reply = try await HTTP.json(sim.url(.openrouter, "/videos"), [
                "model": "google/veo-3.1-lite", "prompt": "animate it", "duration": 4,
                "frame_images": [["type": "image_url", "image_url": ["url": dataURI], "frame_type": "first_frame"]],
                "input_references": [["type": "image_url", "image_url": ["url": "https://example.com/ref.png"]]],
            ])
            #expect(reply.status == 202, "\(reply.text)")
            let images = try #require(sim.requests(.openrouter, path: "/videos").last?.images)
            #expect(images.count == 2)
            let frame = try #require(images.first { $0.frameType == "first_frame" })
            #expect(frame.field == "frame_images[0].image_url.url")
            #expect(frame.data == picture)
            #expect(frame.sha256?.count == 64)
            #expect(frame.bytes == picture.count)
            #expect(frame.contentType == "image/png")
            let reference = try #require(images.first { $0.field.hasPrefix("input_references") })
            #expect(reference.url == "https://example.com/ref.png")
            #expect(reference.data == nil)

            let broken = try await HTTP.json(sim.url(.openrouter, "/videos"), [
                "model": "google/veo-3.1-lite", "prompt": "x", "duration": 4,
                "frame_images": [["type": "image_url", "image_url": ["url": "data:image/png;base64,%%%"], "frame_type": "first_frame"]],
            ])
            #expect(broken.status == 400)
        }
    }

    @Test("fal veo3 image-to-video takes image_url as a data URI or one of the simulator's own file URLs")
    func falImageURL() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let reply = try await HTTP.json(
                sim.url(.fal, "/fal-ai/veo3/fast/image-to-video"), ["prompt": "move", "image_url": dataURI], scheme: "Key")
            #expect(reply.status == 200, "\(reply.text)")
            #expect(sim.requests(.fal).last?.images.first?.data == picture)

            // An image this simulator made, passed on by URL, is read back too.
            let flux = try await HTTP.json(
                sim.url(.fal, "/fal-ai/flux/schnell"), ["prompt": "x", "output_format": "png"], scheme: "Key")
            _ = try await HTTP.get(URL(string: flux.json["status_url"] as! String)!, scheme: "Key")
            let result = try await HTTP.get(URL(string: flux.json["response_url"] as! String)!, scheme: "Key")
            let url = try #require((result.json["images"] as? [[String: Any]])?.first?["url"] as? String)
            let again = try await HTTP.json(
                sim.url(.fal, "/fal-ai/veo3/fast/image-to-video"), ["prompt": "move", "image_url": url], scheme: "Key")
            #expect(again.status == 200)
            let received = try #require(sim.requests(.fal).last?.images.first)
            #expect(received.url == url)
            #expect(received.contentType == "image/png")
            #expect(received.bytes > 0)

            let notAURL = try await HTTP.json(
                sim.url(.fal, "/fal-ai/veo3/fast/image-to-video"), ["prompt": "move", "image_url": "cat.png"], scheme: "Key")
            #expect(notAURL.status == 422)
        }
    }

    @Test("Replicate wan-2.2-i2v-fast takes `image`; the request records it")
    func replicateImage() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let reply = try await HTTP.json(
                sim.url(.replicate, "/models/wan-video/wan-2.2-i2v-fast/predictions"),
                ["input": ["prompt": "move", "image": dataURI]])
            #expect(reply.status == 201, "\(reply.text)")
            let image = try #require(sim.requests(.replicate).last?.images.first)
            #expect(image.field == "input.image")
            #expect(image.data == picture)
            let missing = try await HTTP.json(
                sim.url(.replicate, "/models/wan-video/wan-2.2-i2v-fast/predictions"), ["input": ["prompt": "move"]])
            #expect(missing.status == 422)
        }
    }

    @Test("OpenAI gpt-image-1 answers WebP when asked; the png-instead fault sends PNG labelled webp, billed once")
    func webpOrPNGInstead() async throws {
        try await withSimulator { sim in
            let body: [String: Any] = ["model": "gpt-image-1", "prompt": "x", "output_format": "webp", "quality": "low"]
            let webp = try await HTTP.json(sim.url(.openai, "/images/generations"), body)
            let first = try #require(Data(base64Encoded: ((webp.json["data"] as? [[String: Any]])?.first?["b64_json"] as? String) ?? ""))
            #expect(first.prefix(4) == Data("RIFF".utf8))
            #expect(first.subdata(in: 8..<12) == Data("WEBP".utf8))

            sim.inject(.pngInsteadOfAskedFormat, provider: .openai, path: "/images")
            let png = try await HTTP.json(sim.url(.openai, "/images/generations"), body)
            #expect(png.status == 200)
            #expect(png.json["output_format"] as? String == "webp")
            let bytes = try #require(Data(base64Encoded: ((png.json["data"] as? [[String: Any]])?.first?["b64_json"] as? String) ?? ""))
            #expect(bytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            _ = try await validateMedia(bytes, ext: "png", kind: .image)
            #expect(sim.requests(.openai).last?.fault == "png-instead")
            #expect(sim.billing(.openai).count == 2, "each answer billed once")
            #expect(sim.totalBilled == Decimal(string: "0.022004")!, "2 low images at $0.011, and 1 text token each")
            #expect(try Fault(spec: "png-instead") == .pngInsteadOfAskedFormat)
        }
    }
}
