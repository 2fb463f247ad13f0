import Foundation
import MediaJobsFFmpeg
import MediaJobsSimulator
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("Fault injection")
struct FaultTests {
    static var speech: [String: Any] { ["model": "tts-1", "input": "Fault injection needs a whole sentence of speech", "voice": "alloy"] }

    @Test("429 with Retry-After for the next two requests only, in OpenAI's envelope")
    func rateLimitForNextTwo() async throws {
        try await withSimulator { sim in
            sim.inject(.status(429, retryAfter: 1), count: 2, provider: .openai, path: "/audio/speech")
            var statuses: [Int] = []
            for _ in 0..<3 {
                let reply = try await HTTP.json(sim.url(.openai, "/audio/speech"), Self.speech)
                statuses.append(reply.status)
                if reply.status == 429 {
                    #expect(reply.header("Retry-After") == "1")
                    #expect((reply.json["error"] as? [String: Any])?["code"] as? String == "rate_limit_exceeded")
                }
            }
            #expect(statuses == [429, 429, 200])
            #expect(sim.requests(.openai).map(\.fault) == ["429:1", "429:1", nil])
        }
    }

    @Test("each status fault answers in the provider's own envelope", arguments: [401, 402, 429, 500, 502, 503, 524, 529])
    func statusEnvelopes(code: Int) async throws {
        try await withSimulator { sim in
            sim.inject(.status(code), count: 4)
            let openrouter = try await HTTP.json(sim.url(.openrouter, "/videos"), ["model": "google/veo-3.1-lite"])
            #expect(openrouter.status == code)
            #expect((openrouter.json["error"] as? [String: Any])?["code"] as? Int == code)
            let openai = try await HTTP.json(sim.url(.openai, "/audio/speech"), Self.speech)
            #expect(openai.status == code)
            #expect((openai.json["error"] as? [String: Any])?["message"] is String)
            let fal = try await HTTP.json(sim.url(.fal, "/fal-ai/flux/dev"), ["prompt": "x"], scheme: "Key")
            #expect(fal.status == code)
            #expect(fal.json["detail"] != nil)
            let replicate = try await HTTP.json(sim.url(.replicate, "/predictions"), ["version": "a/b", "input": ["prompt": "x"]])
            #expect(replicate.status == code)
            #expect(replicate.json["status"] as? Int == code)
        }
    }

    @Test("a status fault creates nothing: the video job list stays empty")
    func statusFaultHasNoSideEffect() async throws {
        try await withSimulator { sim in
            sim.inject(.status(503, retryAfter: 2), provider: .openrouter, path: "/videos")
            let refused = try await HTTP.json(
                sim.url(.openrouter, "/videos"), ["model": "google/veo-3.1-lite", "prompt": "x", "duration": 4])
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "2")
            #expect(refused.json["id"] == nil)
        }
    }

    @Test("a rate fault fires on about that share of requests, the same way for the same seed")
    func rateFault() async throws {
        func run() async throws -> [Int] {
            let sim = try await Simulator.start(seed: 7)
            sim.inject(.status(500), rate: 0.5, provider: .openrouter, path: "/videos/models")
            var statuses: [Int] = []
            for _ in 0..<20 { statuses.append(try await HTTP.get(sim.url(.openrouter, "/videos/models")).status) }
            await sim.stop()
            return statuses
        }
        let first = try await run()
        let second = try await run()
        #expect(first == second)
        #expect(first.contains(500) && first.contains(200))
    }

    @Test("corrupt media: the speech answer no longer decodes")
    func corruptMedia() async throws {
        try await withSimulator { sim in
            sim.inject(.corruptMedia, provider: .openai)
            let reply = try await HTTP.json(sim.url(.openai, "/audio/speech"), Self.speech)
            #expect(reply.status == 200)
            await #expect(throws: (any Error).self) { try await validateMedia(reply.body, ext: "mp3", kind: .audio) }
        }
    }

    @Test("corrupt media reaches a fal job's output file")
    func corruptJobOutput() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            sim.inject(.corruptMedia, provider: .fal, method: "POST")
            let submit = try await HTTP.json(sim.url(.fal, "/fal-ai/kling-video"), ["prompt": "x"], scheme: "Key")
            _ = try await HTTP.get(URL(string: submit.json["status_url"] as! String)!, scheme: "Key")
            let result = try await HTTP.get(URL(string: submit.json["response_url"] as! String)!, scheme: "Key")
            let url = try #require((result.json["video"] as? [String: Any])?["url"] as? String)
            let file = try await HTTP.get(URL(string: url)!, key: nil)
            await #expect(throws: (any Error).self) { try await validateMedia(file.body, ext: "mp4", kind: .video) }
        }
    }

    @Test("wrong content type: a 200 text/html page instead of audio")
    func wrongContentType() async throws {
        try await withSimulator { sim in
            sim.inject(.wrongContentType, provider: .openrouter)
            let reply = try await HTTP.json(
                sim.url(.openrouter, "/audio/speech"), ["model": "openai/gpt-4o-mini-tts", "input": "x"])
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type")?.hasPrefix("text/html") == true)
        }
    }

    @Test("mislabelled: the normal body, untouched, under another Content-Type")
    func mislabelled() async throws {
        try await withSimulator { sim in
            sim.inject(.mislabelled(contentType: "text/html"), provider: .openai)
            let reply = try await HTTP.json(sim.url(.openai, "/audio/speech"), Self.speech)
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "text/html")
            _ = try await validateMedia(reply.body, ext: "mp3", kind: .audio)
            #expect(try Fault(spec: "mislabel:image/png") == .mislabelled(contentType: "image/png"))
        }
    }

    @Test("a * in a fault rule's path stands for one segment")
    func pathSegmentWildcard() throws {
        let rule = try FaultRule(spec: "corrupt@openrouter/videos/*/content^GET")
        #expect(rule.path == "/videos/*/content")
        #expect(FaultRule.path("/videos/abc/content", startsWith: "/videos/*/content"))
        #expect(!FaultRule.path("/videos/abc", startsWith: "/videos/*/content"))
        #expect(!FaultRule.path("/images/abc/content", startsWith: "/videos/*/content"))
    }

    @Test("truncated body and connection reset make the client fail mid-body", arguments: [Fault.truncatedBody, .connectionReset])
    func brokenBodies(fault: Fault) async throws {
        try await withSimulator { sim in
            sim.inject(fault, provider: .openai)
            await #expect(throws: (any Error).self) {
                _ = try await HTTP.json(sim.url(.openai, "/audio/speech"), Self.speech)
            }
            // The next request is served normally.
            let next = try await HTTP.json(sim.url(.openai, "/audio/speech"), Self.speech)
            #expect(next.status == 200)
        }
    }

    @Test("slow body: the whole body still arrives")
    func slowBody() async throws {
        try await withSimulator { sim in
            sim.inject(.slowBody(seconds: 0.3), provider: .openai)
            let reply = try await HTTP.json(sim.url(.openai, "/audio/speech"), Self.speech)
            #expect(reply.status == 200)
            _ = try await validateMedia(reply.body, ext: "mp3", kind: .audio)
        }
    }

    @Test("content policy and unknown model answer in each provider's shape")
    func policyAndUnknownModel() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            sim.inject(.contentPolicy, provider: .openrouter)
            let openrouter = try await HTTP.json(sim.url(.openrouter, "/images"), ["model": "google/gemini-2.5-flash-image", "prompt": "x"])
            #expect(openrouter.status == 403)
            let metadata = (openrouter.json["error"] as? [String: Any])?["metadata"] as? [String: Any]
            #expect(metadata?["error_type"] as? String == "content_policy_violation")

            sim.inject(.contentPolicy, provider: .openai)
            let openai = try await HTTP.json(sim.url(.openai, "/images/generations"), ["prompt": "x"])
            #expect(openai.status == 400)
            #expect((openai.json["error"] as? [String: Any])?["code"] as? String == "content_policy_violation")

            sim.inject(.contentPolicy, provider: .replicate)
            let create = try await HTTP.json(sim.url(.replicate, "/predictions"), ["version": "a/flux", "input": ["prompt": "x"]])
            #expect(create.status == 201)
            let poll = try await HTTP.get(URL(string: (create.json["urls"] as! [String: Any])["get"] as! String)!)
            #expect(poll.json["status"] as? String == "failed")
            #expect((poll.json["error"] as? String)?.contains("NSFW") == true)

            sim.inject(.unknownModel, provider: .openai)
            let unknown = try await HTTP.json(sim.url(.openai, "/audio/speech"), Self.speech)
            #expect(unknown.status == 404)
            #expect((unknown.json["error"] as? [String: Any])?["code"] as? String == "model_not_found")
        }
    }

    @Test("fault specs parse and print back; bad specs say what is wrong")
    func faultSpecs() throws {
        let rules = try FaultRule.parseList("429:2@openai/audio/speech*3,503~0.1,reset@fal^GET,job-fail:boom@openrouter/videos")
        #expect(rules.count == 4)
        #expect(rules[0] == FaultRule(.status(429, retryAfter: 2), provider: .openai, path: "/audio/speech", frequency: .next(3)))
        #expect(rules[1] == FaultRule(.status(503), frequency: .rate(0.1)))
        #expect(rules[2] == FaultRule(.connectionReset, provider: .fal, method: "GET"))
        #expect(rules[3].fault == .jobFailure("boom"))
        #expect(rules[0].description == "429:2@openai/audio/speech*3")
        #expect(throws: SimulatorSpecError.self) { try FaultRule.parseList("418x") }
        #expect(throws: SimulatorSpecError.self) { try FaultRule.parseList("500@nowhere") }
        #expect(throws: SimulatorSpecError.self) { try FaultRule.parseList("500~2") }
        #expect(try JobSchedule(spec: "polls:2:3") == .polls(queued: 2, running: 3))
        #expect(try JobSchedule(spec: "seconds:0.5:1") == .seconds(queued: 0.5, running: 1))
        #expect(throws: SimulatorSpecError.self) { try JobSchedule(spec: "minutes:1:2") }
    }
}
