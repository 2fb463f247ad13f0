import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// The simulator on a free loopback port, every provider's key set, and a home whose providers reach it.
private func withSimulatedProviders(_ body: (RemoteHome) async throws -> Void) async throws {
    let simulator = try await Simulator.start()
    do {
        let keys = ["OPENROUTER_API_KEY": "sk-sim", "OPENAI_API_KEY": "sk-sim", "FAL_KEY": "sk-sim", "REPLICATE_API_TOKEN": "sk-sim"]
        let home = try RemoteHome(environment: simulator.environment.merging(keys) { $1 })
        defer { home.remove() }
        try await body(home)
    } catch {
        await simulator.stop()
        throw error
    }
    await simulator.stop()
}

@Suite("image and video outputs converted to what the job asked for, with the checks kept")
struct VisualOutputTests {
    @Test("an OpenRouter image asked for as webp 320 wide is converted from the png it made, and probes as asked")
    func imageToWebP() async throws {
        try await withSimulatedProviders { home in
            let spec = JobSpec(kind: .image, provider: "openrouter", input: JobInput(prompt: "a lighthouse at dawn"),
                               output: OutputSettings(format: "webp", width: 320))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let output = try #require(try await home.store.artifacts(id).first { $0.role == .output })
            #expect(output.format == "webp" && output.mime == "image/webp")
            let info = try await MediaEngine.shared.probe(try home.artifacts.url(for: output.sha256))
            let picture = try #require(info.streams.first { $0.type == "video" })
            #expect(picture.codec == "webp")
            #expect(picture.width == 320 && picture.height == 320)
            #expect(output.width == 320 && output.height == 320)

            // The checks of both files are kept with the artifact, named, and said of the file they were made on.
            let checks = output.checks
            #expect(checks.contains { $0.subject == "provider output" && $0.name == "decode" })
            #expect(checks.contains { $0.name == "convert" && $0.detail == "transcoded from png 1024x1024 to webp 320x?" },
                    "\(checks.map(\.detail))")
            #expect(checks.contains { $0.subject == "webp output" && $0.name == "format" && $0.detail == "format webp as expected" })
            #expect(checks.contains { $0.subject == "webp output" && $0.name == "size" && $0.detail.contains("320x320") })
            #expect(checks.contains { $0.subject == "webp output" && $0.name == "flat_image" })
            #expect(checks.allSatisfy { $0.passed })

            // …and appear in the job's JSON view.
            let view = try await JobView.load(try #require(try await home.store.job(id)), store: home.store,
                                              artifacts: home.artifacts, withEvents: false)
            let json = try JSONSerialization.jsonObject(with: JobView.makeEncoder().encode(view)) as? [String: Any]
            let artifact = try #require((json?["artifacts"] as? [[String: Any]])?.first)
            let viewed = try #require(artifact["checks"] as? [[String: Any]])
            #expect(viewed.count == checks.count)
            #expect(viewed.contains { $0["name"] as? String == "convert" && $0["subject"] as? String == "provider output" })
        }
    }

    @Test("an image already in the format and size asked for is stored as the provider made it, decoded once")
    func imageAlreadyFits() async throws {
        try await withSimulatedProviders { home in
            let spec = JobSpec(kind: .image, provider: "fal", input: JobInput(prompt: "a red panda astronaut"),
                               output: OutputSettings(format: "png"))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let output = try #require(try await home.store.artifacts(id).first { $0.role == .output })
            #expect(output.format == "png")
            #expect(output.checks.contains { $0.name == "convert" && $0.detail.hasPrefix("already png as asked") })
            // One validation pass, on the provider's file, against the full request.
            #expect(Set(output.checks.map(\.subject)) == ["provider output"])
            #expect(output.checks.contains { $0.name == "format" })
            let stages = try await home.store.events(id, after: nil).filter { $0.kind == .stage }.map(\.detail)
            #expect(!stages.contains { $0.hasPrefix("transcode") }, "\(stages)")
        }
    }

    @Test("a video asked for as webm 240 high is transcoded from the provider's mp4: VP9 and Opus at 240 lines")
    func videoToWebM() async throws {
        try await withSimulatedProviders { home in
            var input = JobInput(prompt: "a boat at sunset")
            input.durationSeconds = 4
            let spec = JobSpec(kind: .video, provider: "openrouter", input: input,
                               output: OutputSettings(format: "webm", height: 240, fps: 10))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let output = try #require(try await home.store.artifacts(id).first { $0.role == .output })
            #expect(output.format == "webm" && output.mime == "video/webm")
            let info = try await MediaEngine.shared.probe(try home.artifacts.url(for: output.sha256))
            #expect(info.container == "matroska,webm")
            let video = try #require(info.videoStreams.first)
            #expect(video.codec == "vp9")
            #expect(video.height == 240)
            #expect(video.width == 426 || video.width == 428, "the 16:9 aspect kept: \(video.width ?? 0)")
            #expect(abs((video.frameRate ?? 0) - 10) < 0.01)
            #expect(info.audioStreams.first?.codec == "opus")
            #expect(abs((output.durationSeconds ?? 0) - 4) <= 0.5)
            #expect(output.checks.contains { $0.subject == "webm output" && $0.name == "frame_rate" })
            #expect(output.checks.contains { $0.subject == "webm output" && $0.name == "freeze" })
            #expect(output.checks.contains { $0.subject == "provider output" && $0.name == "duration"
                && $0.detail.contains("of 4.00 s") })
        }
    }

    /// Promptness is shown at the engine (ConversionTests); here, under the whole suite's load, the conversion may
    /// wait its turn on the shared media pool before it sees the cancellation, so only the outcome is judged.
    @Test("cancelling the worker during a video's conversion stores nothing and leaves no partial file")
    func cancelDuringConversion() async throws {
        try await withSimulatedProviders { home in
            var input = JobInput(prompt: "waves on rocks")
            input.durationSeconds = 8
            // 8 s of 720p made into VP9 at 24 fps: long enough to be caught in the middle.
            let spec = JobSpec(kind: .video, provider: "fal", input: input,
                               output: OutputSettings(format: "webm", height: 720, fps: 24))
            let id = try await home.submitter.submit(spec).job.id
            let store = home.store
            let worker = Worker(store: store, pipeline: home.pipeline,
                                configuration: WorkerConfiguration(id: "cancel-worker", concurrency: 1, leaseDuration: 30),
                                logger: home.logs.logger)
            let running = Task { try await worker.run() }
            var transcoding = false
            // The event itself; 20 minutes only as a safety net: the fal video is generated, polled, downloaded and
            // validated first, which took over 5 minutes on a machine loaded far beyond the suite's own load.
            let patience = Date().addingTimeInterval(1200)
            while !transcoding && Date() < patience {
                transcoding = try await store.job(id)?.stage == "transcode"
                if !transcoding { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(transcoding, "the job never reached its conversion")
            try await Task.sleep(for: .milliseconds(300))
            running.cancel()
            _ = try? await running.value
            let job = try #require(try await store.job(id))
            #expect(job.state != .succeeded && job.state != .failed, "\(job.state)")
            #expect(try await store.artifacts(id).filter { $0.role == .output }.isEmpty)
            // Neither a stored object nor a partial file is left in the artifact store.
            let files = FileManager.default.enumerator(at: home.artifacts.root, includingPropertiesForKeys: nil)?
                .compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath } ?? []
            #expect(files.isEmpty, "\(files.map(\.path))")
        }
    }
}
