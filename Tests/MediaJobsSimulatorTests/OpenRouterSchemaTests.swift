import Foundation
import MediaJobsSimulator
import Testing

@Suite("OpenRouter requests and responses against openrouter-openapi.yaml")
struct OpenRouterSchemaTests {
    @Test("a request that breaks the schema gets OpenRouter's 400 naming the field")
    func schemaViolationIs400() async throws {
        try await withSimulator { sim in
            let wrongType = try await HTTP.json(
                sim.url(.openrouter, "/audio/speech"), ["model": "openai/gpt-4o-mini-tts", "input": 42])
            #expect(wrongType.status == 400)
            let error = try #require(wrongType.json["error"] as? [String: Any])
            #expect(error["code"] as? Int == 400)
            #expect((error["message"] as? String)?.contains("body.input") == true, "\(error)")

            let badEnum = try await HTTP.json(
                sim.url(.openrouter, "/audio/speech"),
                ["model": "openai/gpt-4o-mini-tts", "input": "x", "response_format": "wav"])
            #expect(badEnum.status == 400)
            let missing = try await HTTP.json(sim.url(.openrouter, "/videos"), ["prompt": "no model"])
            #expect(missing.status == 400)
            #expect(((missing.json["error"] as? [String: Any])?["message"] as? String)?.contains("body.model: required") == true)
            let badResolution = try await HTTP.json(
                sim.url(.openrouter, "/videos"), ["model": "google/veo-3.1-lite", "prompt": "x", "resolution": "9000p"])
            #expect(badResolution.status == 400)
        }
    }

    @Test("recorded OpenRouter requests report their schema problems, also when a fault answered them")
    func recordedRequestProblems() async throws {
        try await withSimulator { sim in
            sim.inject(.status(429), provider: .openrouter)
            _ = try await HTTP.json(
                sim.url(.openrouter, "/videos"), ["model": "google/veo-3.1-lite", "prompt": "x", "duration": "4"])
            _ = try await HTTP.json(
                sim.url(.openrouter, "/videos"), ["model": "google/veo-3.1-lite", "prompt": "x", "duration": 4])
            _ = try await HTTP.get(sim.url(.openrouter, "/videos/models"))
            let recorded = sim.requests(.openrouter)
            #expect(recorded.map(\.status) == [429, 202, 200])
            #expect(recorded[0].openRouterSchemaProblems == ["body.duration: expected integer, got string"])
            #expect(recorded[1].openRouterSchemaProblems == [])
            #expect(recorded[2].openRouterSchemaProblems == nil)
        }
    }

    @Test("the simulator's OpenRouter media responses validate against the document")
    func responsesConform() async throws {
        let schema = try OpenRouterSchema.bundled()
        try await withSimulator(schedule: .polls(queued: 1, running: 1)) { sim in
            func check(_ method: String, _ path: String, _ reply: HTTPReply) throws {
                let body = try JSONSerialization.jsonObject(with: reply.body)
                let problems = schema.validateResponse(path: path, method: method, status: reply.status, body: body)
                #expect(problems != nil, "the document describes \(method) \(path) \(reply.status)")
                #expect(problems?.isEmpty == true, "\(method) \(path): \(problems ?? [])")
            }
            let audio = try Data(contentsOf: samples.appendingPathComponent("speech.wav"))
            let stt = try await HTTP.json(
                sim.url(.openrouter, "/audio/transcriptions"),
                ["model": "openai/whisper-large-v3", "input_audio": ["data": audio.base64EncodedString(), "format": "wav"],
                 "response_format": "verbose_json", "timestamp_granularities": ["word", "segment"]])
            try check("post", "/audio/transcriptions", stt)

            let images = try await HTTP.json(
                sim.url(.openrouter, "/images"), ["model": "google/gemini-2.5-flash-image", "prompt": "a cat", "aspect_ratio": "16:9"])
            try check("post", "/images", images)

            let chat = try await HTTP.json(
                sim.url(.openrouter, "/chat/completions"),
                ["model": "google/gemini-2.5-flash-image", "messages": [["role": "user", "content": "draw a cat"]],
                 "modalities": ["image", "text"], "image_config": ["aspect_ratio": "1:1"]])
            try check("post", "/chat/completions", chat)

            let submit = try await HTTP.json(
                sim.url(.openrouter, "/videos"), ["model": "google/veo-3.1-lite", "prompt": "x", "duration": 4])
            try check("post", "/videos", submit)
            for _ in 0..<3 {
                let poll = try await HTTP.get(URL(string: submit.json["polling_url"] as! String)!)
                try check("get", "/videos/{jobId}", poll)
            }
            try check("get", "/videos/models", try await HTTP.get(sim.url(.openrouter, "/videos/models")))
            try check("get", "/images/models", try await HTTP.get(sim.url(.openrouter, "/images/models")))

            let speech = try await HTTP.json(
                sim.url(.openrouter, "/audio/speech"), ["model": "openai/gpt-4o-mini-tts", "input": "cost me"])
            let generation = try #require(speech.header("X-Generation-Id"))
            try check("get", "/generation", try await HTTP.get(sim.url(.openrouter, "/generation?id=\(generation)")))

            for code in [401, 402, 429, 500, 502, 503, 524, 529] {
                sim.inject(.status(code), provider: .openrouter)
                try check("post", "/audio/speech", try await HTTP.json(sim.url(.openrouter, "/audio/speech"), [:]))
            }
        }
    }

    @Test("OpenRouter images: /images and chat modalities carry decodable PNGs and usage.cost")
    func openRouterImages() async throws {
        try await withSimulator { sim in
            let images = try await HTTP.json(
                sim.url(.openrouter, "/images"), ["model": "bytedance-seed/seedream-4.5", "prompt": "a panda", "n": 2])
            #expect(images.status == 200, "\(images.text)")
            let data = try #require(images.json["data"] as? [[String: Any]])
            #expect(data.count == 2)
            let png = try #require(Data(base64Encoded: data[0]["b64_json"] as? String ?? ""))
            _ = try await validateMedia(png, ext: "png", kind: .image)
            #expect(((images.json["usage"] as? [String: Any])?["cost"] as? Double ?? 0) > 0)

            let chat = try await HTTP.json(
                sim.url(.openrouter, "/chat/completions"),
                ["model": "google/gemini-2.5-flash-image", "messages": [["role": "user", "content": "a cat"]],
                 "modalities": ["image", "text"]])
            let message = try #require(((chat.json["choices"] as? [[String: Any]])?.first)?["message"] as? [String: Any])
            let url = try #require(((message["images"] as? [[String: Any]])?.first?["image_url"] as? [String: Any])?["url"] as? String)
            #expect(url.hasPrefix("data:image/png;base64,"))
            let bytes = try #require(Data(base64Encoded: String(url.dropFirst("data:image/png;base64,".count))))
            _ = try await validateMedia(bytes, ext: "png", kind: .image)
        }
    }

    @Test("OpenAI images: gpt-image answers b64_json with usage, dall-e a URL the simulator serves")
    func openAIImages() async throws {
        try await withSimulator { sim in
            let gpt = try await HTTP.json(sim.url(.openai, "/images/generations"), ["model": "gpt-image-1", "prompt": "x"])
            #expect(gpt.status == 200, "\(gpt.text)")
            let b64 = try #require((gpt.json["data"] as? [[String: Any]])?.first?["b64_json"] as? String)
            _ = try await validateMedia(Data(base64Encoded: b64)!, ext: "png", kind: .image)
            #expect(gpt.json["usage"] != nil)
            let dalle = try await HTTP.json(sim.url(.openai, "/images/generations"), ["model": "dall-e-2", "prompt": "x"])
            let url = try #require((dalle.json["data"] as? [[String: Any]])?.first?["url"] as? String)
            let png = try await HTTP.get(URL(string: url)!, key: nil)
            _ = try await validateMedia(png.body, ext: "png", kind: .image)
            let badSize = try await HTTP.json(
                sim.url(.openai, "/images/generations"), ["model": "dall-e-2", "prompt": "x", "size": "999x1"])
            #expect(badSize.status == 400)
        }
    }
}
