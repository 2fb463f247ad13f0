import Foundation
import MediaJobsSimulator
import Testing

@Suite("What the simulated providers bill, in exact decimals")
struct BillingTests {
    private func decimal(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }

    @Test("Replicate: predict_time 37.123456 s on A100 (80GB) at $0.0014/s bills exactly $0.0519728384")
    func replicatePredictTime() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            sim.setPredictTime(decimal("37.123456"), model: "wan-video/wan-2.2-t2v-fast")
            let create = try await HTTP.json(
                sim.url(.replicate, "/models/wan-video/wan-2.2-t2v-fast/predictions"),
                ["input": ["prompt": "job-1. a lighthouse", "resolution": "480p", "num_frames": 81]])
            #expect(create.status == 201, "\(create.text)")
            #expect(sim.billing().isEmpty, "not billed before it ends")
            let get = try #require((create.json["urls"] as? [String: Any])?["get"] as? String)
            let done = try await HTTP.get(URL(string: get)!)
            #expect(done.json["status"] as? String == "succeeded")
            #expect(done.text.contains("\"predict_time\":37.123456"), "\(done.text)")

            let bills = sim.billing(.replicate)
            #expect(bills.count == 1)
            #expect(bills.first?.usd == decimal("0.0519728384"))
            #expect(bills.first?.model == "wan-video/wan-2.2-t2v-fast")
            #expect(bills.first?.lines.first?.unitPrice == decimal("0.0014"))
            #expect(try sim.billed(markedWith: "job-") == [1: decimal("0.0519728384")])

            _ = try await HTTP.get(URL(string: get)!)
            #expect(sim.billing().count == 1, "a second read bills nothing more")
        }
    }

    @Test("Replicate: predict_time has six decimals of its own when no test sets it; flux bills per image")
    func replicateDefaults() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let wan = try await HTTP.json(
                sim.url(.replicate, "/models/wan-video/wan-2.2-t2v-fast/predictions"), ["input": ["prompt": "x"]])
            let done = try await HTTP.get(URL(string: (wan.json["urls"] as! [String: Any])["get"] as! String)!)
            let time = try #require((done.json["metrics"] as? [String: Any])?["predict_time"] as? Double)
            #expect(time >= 30 && time < 45)
            let seconds = try #require(sim.billing().first?.lines.first?.quantity)
            #expect(sim.billing().first?.usd == seconds * decimal("0.0014"))

            let flux = try await HTTP.json(
                sim.url(.replicate, "/models/black-forest-labs/flux-1.1-pro/predictions"), ["input": ["prompt": "x"]])
            _ = try await HTTP.get(URL(string: (flux.json["urls"] as! [String: Any])["get"] as! String)!)
            #expect(sim.billing().last?.usd == decimal("0.04"))
            let schnell = try await HTTP.json(
                sim.url(.replicate, "/models/black-forest-labs/flux-schnell/predictions"),
                ["input": ["prompt": "x", "num_outputs": 2]])
            let four = try await HTTP.get(URL(string: (schnell.json["urls"] as! [String: Any])["get"] as! String)!)
            #expect((four.json["output"] as? [String])?.count == 2)
            #expect(sim.billing().last?.usd == decimal("0.006"))
        }
    }

    @Test("fal veo3/fast: audio is on unless turned off, $0.15/s; off, $0.10/s; billed once it completes")
    func falVeo3Audio() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let withAudio = try await HTTP.json(
                sim.url(.fal, "/fal-ai/veo3/fast"), ["prompt": "job-7. waves", "duration": "8s"], scheme: "Key")
            let silent = try await HTTP.json(
                sim.url(.fal, "/fal-ai/veo3/fast"), ["prompt": "job-8. waves", "duration": "4s", "generate_audio": false],
                scheme: "Key")
            #expect(sim.billing().isEmpty)
            for reply in [withAudio, silent] {
                let status = try await HTTP.get(URL(string: reply.json["status_url"] as! String)!, scheme: "Key")
                #expect(status.json["status"] as? String == "COMPLETED")
            }
            #expect(try sim.billed(markedWith: "job-") == [7: decimal("1.20"), 8: decimal("0.40")])
            #expect(sim.billing(.fal).first?.lines.first?.unitPrice == decimal("0.15"))
        }
    }

    @Test("fal flux/schnell $0.003 a megapixel per image; kokoro $0.02 per 1,000 characters")
    func falImageAndSpeech() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let flux = try await HTTP.json(
                sim.url(.fal, "/fal-ai/flux/schnell"), ["prompt": "x", "image_size": "square_hd", "num_images": 2],
                scheme: "Key")
            _ = try await HTTP.get(URL(string: flux.json["status_url"] as! String)!, scheme: "Key")
            #expect(sim.billing().last?.usd == decimal("0.006"))
            let text = String(repeating: "a", count: 250)
            let kokoro = try await HTTP.json(
                sim.url(.fal, "/fal-ai/kokoro/american-english"), ["prompt": text], scheme: "Key")
            _ = try await HTTP.get(URL(string: kokoro.json["status_url"] as! String)!, scheme: "Key")
            #expect(sim.billing().last?.usd == decimal("0.005"))
        }
    }

    @Test("OpenAI gpt-4o-mini-tts bills the input characters and the audio it returned; tts-1 the characters")
    func openAISpeechTwoParts() async throws {
        try await withSimulator { sim in
            let text = "Billing needs both parts of the price"
            let reply = try await HTTP.json(
                sim.url(.openai, "/audio/speech"), ["model": "gpt-4o-mini-tts", "input": text, "voice": "coral"])
            #expect(reply.status == 200)
            let bill = try #require(sim.billing(.openai).last)
            #expect(bill.lines.count == 2)
            #expect(bill.lines[0].usd == Decimal(text.count) * decimal("0.0000006"))
            let milliseconds = bill.lines[1].quantity
            #expect(milliseconds > 500, "the audio plays for a while")
            #expect(bill.lines[1].usd == milliseconds * decimal("0.00000025"), "$0.015 a minute")
            #expect(bill.usd == bill.lines[0].usd + bill.lines[1].usd)
            #expect(bill.text == text)

            _ = try await HTTP.json(sim.url(.openai, "/audio/speech"), ["model": "tts-1", "input": text, "voice": "alloy"])
            #expect(sim.billing(.openai).last?.usd == Decimal(text.count) * decimal("0.000015"))
        }
    }

    @Test("OpenAI gpt-image-1: auto quality is billed and answered as medium, plus the prompt's text tokens; a status fault bills nothing")
    func openAIImagePrices() async throws {
        try await withSimulator { sim in
            let auto = try await HTTP.json(sim.url(.openai, "/images/generations"), ["model": "gpt-image-1", "prompt": "x"])
            #expect(auto.json["quality"] as? String == "medium")
            // $0.042 for the image, and $0.002 per 1K text tokens: "x" is one token.
            #expect(sim.billing().last?.usd == decimal("0.042002"))
            #expect((auto.json["usage"] as? [String: Any]).flatMap { $0["input_tokens_details"] as? [String: Any] }?["text_tokens"] as? Int == 1)
            _ = try await HTTP.json(
                sim.url(.openai, "/images/generations"),
                ["model": "gpt-image-1", "prompt": "x", "quality": "high", "size": "1536x1024", "n": 2])
            #expect(sim.billing().last?.usd == decimal("0.500002"))
            sim.inject(.status(500), provider: .openai)
            _ = try await HTTP.json(sim.url(.openai, "/images/generations"), ["model": "gpt-image-1", "prompt": "x"])
            #expect(sim.billing().count == 2)
        }
    }

    @Test("OpenRouter: usage.cost and /generation total_cost are the exact amounts billed")
    func openRouterExactCosts() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let text = "OpenRouter passes the two-part price through"
            let speech = try await HTTP.json(
                sim.url(.openrouter, "/audio/speech"), ["model": "openai/gpt-4o-mini-tts", "input": text, "voice": "alloy"])
            let generation = try #require(speech.header("X-Generation-Id"))
            let bill = try #require(sim.billing(.openrouter).last)
            #expect(bill.lines.count == 2)
            let lookup = try await HTTP.get(sim.url(.openrouter, "/generation?id=\(generation)"))
            #expect(lookup.text.contains("\"total_cost\":\(bill.usd)"), "\(lookup.text)")

            let video = try await HTTP.json(
                sim.url(.openrouter, "/videos"),
                ["model": "google/veo-3.1-lite", "prompt": "x", "duration": 8, "resolution": "1080p"])
            let poll = try await HTTP.get(URL(string: video.json["polling_url"] as! String)!)
            #expect(poll.json["status"] as? String == "completed")
            #expect(poll.text.contains("\"cost\":0.64"), "8 s at the 1080p SKU, $0.08/s: \(poll.text)")
            #expect(sim.billing(.openrouter).last?.usd == decimal("0.64"))

            let models = try await HTTP.get(sim.url(.openrouter, "/videos/models"))
            let lite = try #require((models.json["data"] as? [[String: Any]])?.first { $0["id"] as? String == "google/veo-3.1-lite" })
            #expect(lite["pricing_skus"] as? [String: String] == ["per-video-second": "0.05", "per-video-second-1080p": "0.08"])
        }
    }
}
