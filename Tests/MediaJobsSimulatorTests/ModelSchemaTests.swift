import Foundation
import MediaJobsSimulator
import Testing

@Suite("fal and Replicate check each model's input schema")
struct ModelSchemaTests {
    /// The first `detail` item of a fal 422.
    private func falDetail(_ reply: HTTPReply) -> [String: Any]? {
        (reply.json["detail"] as? [[String: Any]])?.first
    }

    @Test("fal flux/schnell: a \"WxH\" image_size is a 422 naming image_size; a preset or {width,height} is taken")
    func falImageSize() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let url = sim.url(.fal, "/fal-ai/flux/schnell")
            let string = try await HTTP.json(url, ["prompt": "x", "image_size": "1024x768"], scheme: "Key")
            #expect(string.status == 422, "\(string.text)")
            let detail = try #require(falDetail(string))
            #expect(detail["loc"] as? [String] == ["body", "image_size"])
            #expect(detail["type"] as? String == "literal_error")
            #expect((detail["msg"] as? String)?.contains("'landscape_4_3'") == true)

            let preset = try await HTTP.json(url, ["prompt": "x", "image_size": "landscape_16_9"], scheme: "Key")
            #expect(preset.status == 200, "\(preset.text)")
            let object = try await HTTP.json(url, ["prompt": "x", "image_size": ["width": 640, "height": 480]], scheme: "Key")
            #expect(object.status == 200, "\(object.text)")
            let badSide = try await HTTP.json(url, ["prompt": "x", "image_size": ["width": "640", "height": 480]], scheme: "Key")
            #expect(badSide.status == 422)
            #expect(falDetail(badSide)?["loc"] as? [String] == ["body", "image_size", "width"])
        }
    }

    @Test("fal: an unknown field, a wrong type and a missing prompt are each listed in pydantic's shape")
    func falUnknownFieldAndWrongType() async throws {
        try await withSimulator { sim in
            let reply = try await HTTP.json(
                sim.url(.fal, "/fal-ai/flux/schnell"), ["num_images": "2", "size": "square", "output_format": "webp"],
                scheme: "Key")
            #expect(reply.status == 422)
            let items = try #require(reply.json["detail"] as? [[String: Any]])
            let byField = Dictionary(uniqueKeysWithValues: items.map { (($0["loc"] as? [String])?.last ?? "", $0["type"] as? String ?? "") })
            #expect(byField == ["prompt": "missing", "num_images": "int_type", "size": "extra_forbidden",
                                "output_format": "literal_error"])
            #expect(sim.requests(.fal).last?.status == 422)
            #expect(sim.billing().isEmpty, "a refused request bills nothing")
        }
    }

    @Test("fal veo3/fast takes duration as \"8s\", not 8; kokoro takes `prompt` and its own voices")
    func falVideoAndSpeechSchemas() async throws {
        try await withSimulator { sim in
            let number = try await HTTP.json(sim.url(.fal, "/fal-ai/veo3/fast"), ["prompt": "x", "duration": 8], scheme: "Key")
            #expect(number.status == 422)
            #expect(falDetail(number)?["loc"] as? [String] == ["body", "duration"])
            let noImage = try await HTTP.json(
                sim.url(.fal, "/fal-ai/veo3/fast/image-to-video"), ["prompt": "x"], scheme: "Key")
            #expect(noImage.status == 422)
            #expect(falDetail(noImage)?["loc"] as? [String] == ["body", "image_url"])
            let text = try await HTTP.json(sim.url(.fal, "/fal-ai/kokoro/american-english"), ["text": "hello"], scheme: "Key")
            #expect(text.status == 422)
            let voice = try await HTTP.json(
                sim.url(.fal, "/fal-ai/kokoro/american-english"), ["prompt": "hello", "voice": "alloy"], scheme: "Key")
            #expect(voice.status == 422)
            let good = try await HTTP.json(
                sim.url(.fal, "/fal-ai/kokoro/american-english"), ["prompt": "hello", "voice": "af_heart", "speed": 1.2],
                scheme: "Key")
            #expect(good.status == 200, "\(good.text)")
        }
    }

    @Test("fal: a model without a schema here takes any fields, but the common ones are type-checked")
    func falUnknownModel() async throws {
        try await withSimulator { sim in
            let free = try await HTTP.json(
                sim.url(.fal, "/fal-ai/some-lab/new-model"), ["prompt": "x", "style": "anything", "steps": 9], scheme: "Key")
            #expect(free.status == 200, "\(free.text)")
            let wrong = try await HTTP.json(
                sim.url(.fal, "/fal-ai/some-lab/new-model"), ["prompt": "x", "image_size": "1024x768"], scheme: "Key")
            #expect(wrong.status == 422)
        }
    }

    @Test("Replicate flux-schnell: output_format jpeg, an unknown field and a wrong type are listed in invalid_fields")
    func replicateInvalidFields() async throws {
        try await withSimulator { sim in
            let reply = try await HTTP.json(
                sim.url(.replicate, "/models/black-forest-labs/flux-schnell/predictions"),
                ["input": ["prompt": "x", "output_format": "jpeg", "width": 512, "num_outputs": "1"]])
            #expect(reply.status == 422, "\(reply.text)")
            #expect(reply.json["title"] as? String == "Input validation failed")
            #expect(reply.json["status"] as? Int == 422)
            let fields = try #require(reply.json["invalid_fields"] as? [[String: Any]])
            let byField = Dictionary(uniqueKeysWithValues: fields.map { ($0["field"] as? String ?? "", $0["type"] as? String ?? "") })
            #expect(byField == ["input.output_format": "enum", "input.width": "additional_property_not_allowed",
                                "input.num_outputs": "invalid_type"])
            #expect((reply.json["detail"] as? String)?.contains("- input.output_format:") == true)

            for format in ["webp", "jpg", "png"] {
                let ok = try await HTTP.json(
                    sim.url(.replicate, "/models/black-forest-labs/flux-schnell/predictions"),
                    ["input": ["prompt": "x", "output_format": format]])
                #expect(ok.status == 201, "\(format): \(ok.text)")
            }
        }
    }

    @Test("Replicate openai/whisper: the models form answers 404, the version form creates it")
    func replicateWhisperForms() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let audio = "data:audio/wav;base64," + (try Data(contentsOf: samples.appendingPathComponent("speech.wav"))).base64EncodedString()
            let models = try await HTTP.json(
                sim.url(.replicate, "/models/openai/whisper/predictions"), ["input": ["audio": audio]])
            #expect(models.status == 404)
            #expect(models.json["title"] as? String == "Not found")

            let bare = try await HTTP.json(sim.url(.replicate, "/predictions"), ["version": "openai/whisper", "input": ["audio": audio]])
            #expect(bare.status == 422)
            let wrongVersion = try await HTTP.json(
                sim.url(.replicate, "/predictions"),
                ["version": "openai/whisper:" + String(repeating: "0", count: 64), "input": ["audio": audio]])
            #expect(wrongVersion.status == 422)

            #expect(Simulator.whisperVersion.count == 64)
            for version in [Simulator.whisperVersion, "openai/whisper:" + Simulator.whisperVersion] {
                let created = try await HTTP.json(
                    sim.url(.replicate, "/predictions"),
                    ["version": version, "input": ["audio": audio, "transcription": "plain text", "language": "en"]])
                #expect(created.status == 201, "\(created.text)")
                #expect(created.json["model"] as? String == "openai/whisper")
                #expect(created.json["version"] as? String == Simulator.whisperVersion)
            }
            let typo = try await HTTP.json(
                sim.url(.replicate, "/predictions"),
                ["version": Simulator.whisperVersion, "input": ["audio": audio, "transcription": "text"]])
            #expect(typo.status == 422)
        }
    }
}
