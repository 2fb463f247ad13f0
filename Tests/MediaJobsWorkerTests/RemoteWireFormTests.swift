import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

@Suite("each provider's own wire forms, as the simulator received them")
struct RemoteWireFormTests {
    @Test("fal image_size goes as {width, height} for a size and as a preset name for an aspect ratio")
    func falImageSize() async throws {
        try await withSimulator { simulator, home in
            var sized = JobInput(prompt: "a lighthouse")
            sized.size = "1024x768"
            var ratio = JobInput(prompt: "a lighthouse")
            ratio.aspectRatio = "16:9"
            for input in [sized, ratio] {
                let id = try await home.submitter.submit(JobSpec(kind: .image, provider: "fal", input: input)).job.id
                let job = try await home.runUntilFinal(id)
                #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            }
            let bodies = createBodies(simulator, .fal, "/fal-ai/flux/schnell")
            #expect(bodies.count == 2)
            let object = bodies.first?["image_size"] as? [String: Any]
            #expect(object?["width"] as? Int == 1024 && object?["height"] as? Int == 768, "\(bodies.first ?? [:])")
            #expect(bodies.last?["image_size"] as? String == "landscape_16_9")
            #expect(bodies.allSatisfy { $0["aspect_ratio"] == nil })
        }
    }

    @Test("fal refuses a size that is not WIDTHxHEIGHT and a ratio it has no preset for, at submit")
    func falImageSizeRefused() async throws {
        try await withSimulator { _, home in
            var input = JobInput(prompt: "a lighthouse")
            input.aspectRatio = "21:9"
            #expect(await refusal(home, JobSpec(kind: .image, provider: "fal", input: input))
                .hasPrefix("input.aspect_ratio: fal's image sizes are 1:1, 4:3, 3:4, 16:9 and 9:16, not '21:9'"))
        }
    }

    @Test("Replicate: a jpeg output is asked for as output_format jpg")
    func replicateJPEG() async throws {
        try await withSimulator { simulator, home in
            let spec = JobSpec(kind: .image, provider: "replicate", input: JobInput(prompt: "a lighthouse"),
                               output: OutputSettings(format: "jpeg"))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let input = createBodies(simulator, .replicate, "/models").first?["input"] as? [String: Any]
            #expect(input?["output_format"] as? String == "jpg", "\(input ?? [:])")
        }
    }

    @Test("Replicate openai/whisper is created by version: POST /v1/predictions with its 64-hex version id")
    func whisperByVersion() async throws {
        try await withSimulator { simulator, home in
            let id = try await home.submitter.submit(RemoteCase.first("replicate", .transcribe).spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let creates = simulator.requests(.replicate).filter { $0.method == "POST" }
            #expect(creates.map(\.path) == ["/replicate/v1/predictions"])
            let version = try #require(creates.first?.json?["version"] as? String)
            #expect(version == "8099696689d249cf8b122d833c36ac3f75505c666a395ca40ef26f68e7d3d16e")
            #expect((creates.first?.json?["input"] as? [String: Any])?["audio"] as? String != nil)
        }
    }

    @Test("Replicate: a route model of the form owner/name:version is created by that version")
    func routeVersion() async throws {
        let version = String(repeating: "0123456789abcdef", count: 4)
        var catalog = ModelCatalog.builtIn
        var entry = try #require(catalog.model(provider: "replicate", id: "openai/whisper"))
        entry.id = "openai/whisper:\(version)"
        entry.version = nil
        catalog.models.append(entry)
        try await withSimulator(catalog: catalog) { simulator, home in
            let spec = JobSpec(kind: .transcribe, provider: "replicate", model: "openai/whisper:\(version)",
                               input: JobInput(audio: sampleSpeechPath))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let creates = simulator.requests(.replicate).filter { $0.method == "POST" }
            #expect(creates.map(\.path) == ["/replicate/v1/predictions"])
            #expect(creates.first?.json?["version"] as? String == version)
        }
    }

    @Test("Replicate whisper by version: a create answer cut by a reset is found by its version; one create request")
    func whisperLookupByVersion() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.connectionReset, count: 1, provider: .replicate, path: "/predictions", method: "POST")
            let id = try await home.submitter.submit(RemoteCase.first("replicate", .transcribe).spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(simulator.requests.contains { $0.fault == "reset" }, "the fault never fired")
            #expect(simulator.requests(.replicate).filter { $0.method == "POST" }.count == 1)
            let story = try await home.store.events(id, after: nil).map(\.detail)
            #expect(story.contains { $0.hasPrefix("found the submission at replicate: ") }, "\(story)")
        }
    }

    @Test("OpenAI whisper-1 with timestamps asks for verbose_json with segment and word granularities")
    func openAITimestamps() async throws {
        try await withSimulator { simulator, home in
            let spec = JobSpec(kind: .transcribe, provider: "openai", model: "whisper-1",
                               input: JobInput(audio: sampleSpeechPath, timestamps: true), output: OutputSettings(format: "srt"))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let form = String(decoding: try #require(simulator.requests(.openai, path: "/audio/transcriptions").first).body,
                              as: UTF8.self)
            #expect(form.contains("name=\"response_format\"\r\n\r\nverbose_json\r\n"))
            #expect(form.contains("name=\"timestamp_granularities[]\"\r\n\r\nsegment\r\n"))
            #expect(form.contains("name=\"timestamp_granularities[]\"\r\n\r\nword\r\n"))
        }
    }

    @Test("an OpenAI image asked as webp and delivered as PNG bytes labelled webp: one paid request, converted here, noted")
    func mislabelledImageConvertedLocally() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.pngInsteadOfAskedFormat, count: 1, provider: .openai, path: "/images/generations")
            let spec = JobSpec(kind: .image, provider: "openai", model: "gpt-image-1", input: JobInput(prompt: "a lighthouse"),
                               output: OutputSettings(format: "webp"))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(job.attempts == 1)
            let creates = simulator.requests(.openai, path: "/images/generations").filter { $0.method == "POST" }
            #expect(creates.count == 1, "paid once")
            #expect(creates.first?.json?["output_format"] as? String == "webp")
            let costs = try await home.store.costs(id)
            #expect(costs.count == 1)
            // What the provider billed for its one answer is what the ledger holds: an estimate, within 2 %.
            let recorded = try #require(costs.first?.usd).decimal
            let billed = try #require(simulator.billing(.openai).first?.usd)
            #expect(abs(NSDecimalNumber(decimal: recorded - billed).doubleValue) <= 0.02 * NSDecimalNumber(decimal: billed).doubleValue,
                    "\(costs)")

            let output = try #require(try await home.store.artifacts(id).first { $0.role == .output })
            #expect(output.format == "webp" && output.mime == "image/webp")
            let info = try await MediaEngine.shared.probe(try home.artifacts.url(for: output.sha256))
            #expect(info.videoStreams.first?.codec == "webp")
            let label = try #require(output.checks.first { $0.name == "label" }, "\(output.checks.map(\.name))")
            #expect(label.subject == "provider output" && !label.passed)
            #expect(label.detail.hasPrefix("labelled webp, but the bytes are png"), "\(label.detail)")
            #expect(output.checks.contains { $0.name == "convert" && $0.detail.hasPrefix("transcoded from png") },
                    "\(output.checks.map(\.detail))")
        }
    }
}
