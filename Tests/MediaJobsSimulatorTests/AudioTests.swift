import Foundation
import MediaJobsFFmpeg
import MediaJobsSimulator
import Testing

@Suite("Simulated speech and transcription")
struct AudioTests {
    @Test("OpenAI /audio/speech answers mp3 that decodes as audio")
    func openAISpeechIsRealMP3() async throws {
        try await withSimulator { sim in
            let reply = try await HTTP.json(
                sim.url(.openai, "/audio/speech"),
                ["model": "gpt-4o-mini-tts", "input": "Hello from the simulator", "voice": "coral"])
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "audio/mpeg")
            let report = try await validateMedia(reply.body, ext: "mp3", kind: .audio)
            #expect(report.durationSeconds > 0.5)
            let recorded = try #require(sim.requests(.openai, path: "/audio/speech").last)
            #expect(recorded.method == "POST")
            #expect(recorded.header("Authorization") == "Bearer sk-test")
            #expect(recorded.json?["input"] as? String == "Hello from the simulator")
        }
    }

    @Test("OpenAI speech without a key answers 401 in OpenAI's envelope")
    func openAISpeechNeedsKey() async throws {
        try await withSimulator { sim in
            for key: String? in [nil, ""] {
                let reply = try await HTTP.json(
                    sim.url(.openai, "/audio/speech"), ["model": "tts-1", "input": "x", "voice": "alloy"], key: key)
                #expect(reply.status == 401)
                let error = try #require(reply.json["error"] as? [String: Any])
                #expect(error["type"] as? String == "invalid_request_error")
                #expect(error.keys.sorted() == ["code", "message", "param", "type"])
            }
        }
    }

    @Test("OpenAI speech refuses an unknown voice and an unknown model the way OpenAI does")
    func openAISpeechRefusesBadInput() async throws {
        try await withSimulator { sim in
            let voice = try await HTTP.json(
                sim.url(.openai, "/audio/speech"), ["model": "tts-1", "input": "x", "voice": "darth"])
            #expect(voice.status == 400)
            #expect((voice.json["error"] as? [String: Any])?["param"] as? String == "voice")
            let model = try await HTTP.json(
                sim.url(.openai, "/audio/speech"), ["model": "tts-9", "input": "x", "voice": "alloy"])
            #expect(model.status == 404)
            #expect((model.json["error"] as? [String: Any])?["code"] as? String == "model_not_found")
        }
    }

    @Test("OpenAI /audio/transcriptions gives a real transcript in json, verbose_json, text, srt and vtt")
    func openAITranscriptionFormats() async throws {
        try await withSimulator { sim in
            let audio = try Data(contentsOf: samples.appendingPathComponent("speech.wav"))
            var texts: [String: String] = [:]
            for format in ["json", "verbose_json", "text", "srt", "vtt"] {
                let form = HTTP.multipart(
                    fields: [("model", "whisper-1"), ("response_format", format)],
                    file: ("file", "speech.wav", audio))
                let reply = try await HTTP.send(
                    "POST", sim.url(.openai, "/audio/transcriptions"),
                    headers: ["Authorization": "Bearer sk-test", "Content-Type": form.contentType], body: form.body)
                #expect(reply.status == 200, "\(format): \(reply.text)")
                texts[format] = reply.text
            }
            let json = try #require(try JSONSerialization.jsonObject(with: Data(texts["json"]!.utf8)) as? [String: Any])
            let text = try #require(json["text"] as? String)
            #expect(text.split(separator: " ").count >= 3, "a real transcript of speech.wav: \(text)")
            #expect((json["usage"] as? [String: Any])?["type"] as? String == "duration")
            let verbose = try #require(
                try JSONSerialization.jsonObject(with: Data(texts["verbose_json"]!.utf8)) as? [String: Any])
            #expect((verbose["segments"] as? [Any])?.isEmpty == false)
            #expect((verbose["duration"] as? Double ?? 0) > 1)
            #expect(texts["srt"]!.contains(" --> "))
            #expect(texts["vtt"]!.hasPrefix("WEBVTT"))
            // Each request is recognised afresh; the plain-text answer is a transcript of the same speech.
            let plain = Set(texts["text"]!.split(whereSeparator: \.isWhitespace))
            #expect(plain.intersection(text.split(separator: " ")).count * 2 >= plain.count, "\(plain) vs \(text)")
        }
    }

    @Test("OpenRouter /audio/speech answers pcm by default with X-Generation-Id, and the generation lookup costs it")
    func openRouterSpeech() async throws {
        try await withSimulator { sim in
            let pcm = try await HTTP.json(
                sim.url(.openrouter, "/audio/speech"),
                ["model": "openai/gpt-4o-mini-tts-2025-12-15", "input": "Testing one two three", "voice": "alloy"])
            #expect(pcm.status == 200)
            #expect(pcm.header("Content-Type")?.hasPrefix("audio/pcm") == true)
            #expect(pcm.body.count > 24_000, "at least half a second of 24 kHz 16-bit samples")
            let generation = try #require(pcm.header("X-Generation-Id"))
            #expect(generation.hasPrefix("gen-tts-"))

            let mp3 = try await HTTP.json(
                sim.url(.openrouter, "/audio/speech"),
                ["model": "openai/gpt-4o-mini-tts-2025-12-15", "input": "Testing the speech endpoint with a whole sentence", "voice": "alloy", "response_format": "mp3"])
            #expect(mp3.header("Content-Type") == "audio/mpeg")
            _ = try await validateMedia(mp3.body, ext: "mp3", kind: .audio)

            let lookup = try await HTTP.get(sim.url(.openrouter, "/generation?id=\(generation)"))
            #expect(lookup.status == 200)
            let data = try #require(lookup.json["data"] as? [String: Any])
            #expect((data["total_cost"] as? Double ?? 0) > 0)
        }
    }

    @Test("OpenRouter transcription takes base64 JSON and multipart, reports usage.cost, refuses srt")
    func openRouterTranscription() async throws {
        try await withSimulator { sim in
            let audio = try Data(contentsOf: samples.appendingPathComponent("speech.wav"))
            let json = try await HTTP.json(
                sim.url(.openrouter, "/audio/transcriptions"),
                ["model": "openai/whisper-large-v3", "input_audio": ["data": audio.base64EncodedString(), "format": "wav"]])
            #expect(json.status == 200, "\(json.text)")
            #expect((json.json["text"] as? String ?? "").split(separator: " ").count >= 3)
            let usage = try #require(json.json["usage"] as? [String: Any])
            #expect((usage["cost"] as? Double ?? 0) > 0)

            let form = HTTP.multipart(
                fields: [("model", "openai/whisper-large-v3"), ("response_format", "verbose_json")],
                file: ("file", "speech.wav", audio))
            let multipart = try await HTTP.send(
                "POST", sim.url(.openrouter, "/audio/transcriptions"),
                headers: ["Authorization": "Bearer k", "Content-Type": form.contentType], body: form.body)
            #expect(multipart.status == 200)
            #expect(multipart.json["segments"] is [Any])

            let srt = HTTP.multipart(
                fields: [("model", "openai/whisper-large-v3"), ("response_format", "srt")], file: ("file", "speech.wav", audio))
            let refused = try await HTTP.send(
                "POST", sim.url(.openrouter, "/audio/transcriptions"),
                headers: ["Authorization": "Bearer k", "Content-Type": srt.contentType], body: srt.body)
            #expect(refused.status == 400)
            #expect((refused.json["error"] as? [String: Any])?["code"] as? Int == 400)
        }
    }

    @Test("a multipart transcription is checked against the document's form schema, and its file is in the request log")
    func openRouterMultipartSchemaAndUploads() async throws {
        try await withSimulator { sim in
            let audio = try Data(contentsOf: samples.appendingPathComponent("speech.wav"))
            let badGranularity = HTTP.multipart(
                fields: [("model", "openai/whisper-large-v3"), ("response_format", "verbose_json"),
                         ("timestamp_granularities[]", "sentence")],
                file: ("file", "speech.wav", audio))
            let refused = try await HTTP.send(
                "POST", sim.url(.openrouter, "/audio/transcriptions"),
                headers: ["Authorization": "Bearer k", "Content-Type": badGranularity.contentType], body: badGranularity.body)
            #expect(refused.status == 400)
            let message = (refused.json["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("body.timestamp_granularities[]"), "\(message)")
            let noModel = HTTP.multipart(fields: [], file: ("file", "speech.wav", audio))
            let missing = try await HTTP.send(
                "POST", sim.url(.openrouter, "/audio/transcriptions"),
                headers: ["Authorization": "Bearer k", "Content-Type": noModel.contentType], body: noModel.body)
            #expect(missing.status == 400)
            #expect(((missing.json["error"] as? [String: Any])?["message"] as? String)?.contains("body.model: required") == true)

            let recorded = sim.requests(.openrouter, path: "/audio/transcriptions")
            #expect(recorded.count == 2)
            #expect(recorded[0].openRouterSchemaProblems?.isEmpty == false)
            let upload = try #require(recorded[0].uploads.first)
            #expect(upload.field == "file")
            #expect(upload.filename == "speech.wav")
            #expect(upload.contentType == "application/octet-stream")
            #expect(upload.bytes == audio.count)
            #expect(upload.data == audio)
            #expect(upload.sha256.count == 64)
        }
    }

    @Test("OpenRouter without a key answers its 401 envelope")
    func openRouterNeedsKey() async throws {
        try await withSimulator { sim in
            let reply = try await HTTP.json(
                sim.url(.openrouter, "/audio/speech"), ["model": "openai/gpt-4o-mini-tts", "input": "x"], key: nil)
            #expect(reply.status == 401)
            let error = try #require(reply.json["error"] as? [String: Any])
            #expect(error["code"] as? Int == 401)
            #expect(error["message"] as? String == "Missing Authentication header")
        }
    }
}
