import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// Samples/image.png: a small real picture.
let sampleImage = repository.appendingPathComponent("Samples/image.png")

/// `data:<mime>;base64,…` of `file`, as an adapter sends a stored image inline.
func dataURI(_ file: URL, mime: String) throws -> String {
    "data:\(mime);base64,\(try Data(contentsOf: file).base64EncodedString())"
}

/// Samples/image.png made a JPEG by FFmpeg, in `folder`: a second, different real picture.
func sampleJPEG(in folder: URL) async throws -> URL {
    let jpeg = folder.appendingPathComponent("last-frame.jpg")
    _ = try await MediaEngine.shared.convertImage(sampleImage, to: jpeg, options: ImageOutputOptions(format: .jpeg))
    return jpeg
}

/// The JSON bodies of the create requests `provider` received at paths starting with `path`.
func createBodies(_ simulator: Simulator, _ provider: SimulatedProvider, _ path: String) -> [[String: Any]] {
    simulator.requests(provider, path: path).filter { $0.method == "POST" }.compactMap(\.json)
}

/// What `submit` refused, as the user reads it.
func refusal(_ home: RemoteHome, _ spec: JobSpec) async -> String {
    do {
        _ = try await home.submitter.submit(spec)
        return "accepted"
    } catch let error as MediaJobsError {
        return error.message
    } catch {
        return "\(error)"
    }
}

@Suite("input images are stored at submit and sent in each provider's own form")
struct RemoteInputImagesTests {
    @Test("OpenRouter video: first and last frames go as frame_images, stored at submit as input artifacts")
    func openRouterFrames() async throws {
        try await withSimulator { simulator, home in
            let jpeg = try await sampleJPEG(in: home.root)
            var input = JobInput(prompt: "the picture comes alive")
            input.durationSeconds = 4
            input.firstFrame = sampleImage.path
            input.lastFrame = jpeg.path
            let id = try await home.submitter.submit(JobSpec(kind: .video, provider: "openrouter", input: input)).job.id

            // The stored spec names the copies by sha256, and both are recorded as the job's inputs.
            let stored = try #require(try await home.store.job(id))
            let inputs = try await home.store.artifacts(id).filter { $0.role == .input }
            #expect(Set(inputs.map(\.sha256)) == Set([stored.spec.input.firstFrame, stored.spec.input.lastFrame].compactMap { $0 }))
            #expect(Set(inputs.map(\.mime)) == ["image/png", "image/jpeg"])

            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let body = try #require(createBodies(simulator, .openrouter, "/videos").first)
            let frames = try #require(body["frame_images"] as? [[String: Any]])
            #expect(frames.map { $0["frame_type"] as? String } == ["first_frame", "last_frame"])
            #expect(frames.allSatisfy { $0["type"] as? String == "image_url" })
            let urls = frames.map { ($0["image_url"] as? [String: Any])?["url"] as? String }
            #expect(urls == [try dataURI(sampleImage, mime: "image/png"), try dataURI(jpeg, mime: "image/jpeg")])
            #expect(body["input_references"] == nil)
        }
    }

    @Test("fal veo3 fast with a first frame goes to its image-to-video endpoint with image_url")
    func falFirstFrame() async throws {
        try await withSimulator { simulator, home in
            var input = JobInput(prompt: "the picture comes alive")
            input.durationSeconds = 8
            input.firstFrame = sampleImage.path
            let spec = JobSpec(kind: .video, provider: "fal", model: "fal-ai/veo3/fast", input: input)
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let creates = simulator.requests(.fal).filter { $0.method == "POST" }
            #expect(creates.map(\.path) == ["/fal/fal-ai/veo3/fast/image-to-video"], "\(creates.map(\.path))")
            #expect(creates.first?.json?["image_url"] as? String == (try dataURI(sampleImage, mime: "image/png")))
        }
    }

    @Test("fal veo3 fast without a first frame keeps its text-to-video endpoint")
    func falTextToVideo() async throws {
        try await withSimulator { simulator, home in
            let id = try await home.submitter.submit(RemoteCase.first("fal", .video).spec()).job.id
            _ = try await home.runUntilFinal(id)
            let creates = simulator.requests(.fal).filter { $0.method == "POST" }
            #expect(creates.map(\.path) == ["/fal/fal-ai/veo3/fast"])
            #expect(creates.first?.json?["image_url"] == nil)
        }
    }

    @Test("Replicate wan 2.2 with a first frame runs its i2v sibling with the image field")
    func replicateFirstFrame() async throws {
        try await withSimulator { simulator, home in
            var input = JobInput(prompt: "the picture comes alive")
            input.firstFrame = sampleImage.path
            let spec = JobSpec(kind: .video, provider: "replicate", model: "wan-video/wan-2.2-t2v-fast", input: input)
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let creates = simulator.requests(.replicate).filter { $0.method == "POST" }
            #expect(creates.map(\.path) == ["/replicate/v1/models/wan-video/wan-2.2-i2v-fast/predictions"],
                    "\(creates.map(\.path))")
            let sent = try #require(creates.first?.json?["input"] as? [String: Any])
            #expect(sent["image"] as? String == (try dataURI(sampleImage, mime: "image/png")))
        }
    }

    @Test("OpenRouter images: reference images go as input_references")
    func openRouterReferences() async throws {
        try await withSimulator { simulator, home in
            var input = JobInput(prompt: "the same cat, in winter")
            input.referenceImages = [sampleImage.path]
            let id = try await home.submitter.submit(JobSpec(kind: .image, provider: "openrouter", input: input)).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let body = try #require(createBodies(simulator, .openrouter, "/images").first)
            let references = try #require(body["input_references"] as? [[String: Any]])
            #expect(references.count == 1)
            #expect(references.first?["type"] as? String == "image_url")
            #expect((references.first?["image_url"] as? [String: Any])?["url"] as? String
                == (try dataURI(sampleImage, mime: "image/png")))
        }
    }

    @Test("OpenRouter chat image models: reference images are image parts of the user's message")
    func openRouterChatReferences() async throws {
        try await withSimulator { simulator, home in
            var input = JobInput(prompt: "the same cat, in winter")
            input.referenceImages = [sampleImage.path]
            let spec = JobSpec(kind: .image, provider: "openrouter", model: "google/gemini-2.5-flash-image", input: input)
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let body = try #require(createBodies(simulator, .openrouter, "/chat/completions").first)
            let message = try #require((body["messages"] as? [[String: Any]])?.first)
            let parts = try #require(message["content"] as? [[String: Any]])
            #expect(parts.map { $0["type"] as? String } == ["text", "image_url"])
            #expect(parts.first?["text"] as? String == "the same cat, in winter")
            #expect((parts.last?["image_url"] as? [String: Any])?["url"] as? String == (try dataURI(sampleImage, mime: "image/png")))
        }
    }

    /// The simulator has no `/images/edits` yet (it answers 404, so the job fails): what is checked is what was sent.
    @Test("OpenAI gpt-image-1 with reference images sends them as image[] file parts to /images/edits")
    func openAIEdits() async throws {
        try await withSimulator { simulator, home in
            var input = JobInput(prompt: "the same cat, in winter")
            input.referenceImages = [sampleImage.path]
            let spec = JobSpec(kind: .image, provider: "openai", model: "gpt-image-1", input: input,
                               output: OutputSettings(format: "png"))
            let id = try await home.submitter.submit(spec).job.id
            _ = try await home.runUntilFinal(id)
            let edit = try #require(simulator.requests(.openai, path: "/images/edits").first { $0.method == "POST" })
            let upload = try #require(edit.uploads.first)
            #expect(upload.field == "image[]")
            #expect(upload.contentType == "image/png")
            #expect(upload.data == (try Data(contentsOf: sampleImage)))
            let form = String(decoding: edit.body, as: UTF8.self)
            #expect(form.contains("name=\"model\"\r\n\r\ngpt-image-1\r\n"))
            #expect(form.contains("name=\"output_format\"\r\n\r\npng\r\n"))
            #expect(simulator.requests(.openai, path: "/images/generations").isEmpty)
        }
    }

    @Test("an artifact sha256 of a stored image is accepted as a frame")
    func storedImageBySHA() async throws {
        try await withSimulator { _, home in
            var input = JobInput(prompt: "the picture comes alive")
            input.durationSeconds = 4
            input.firstFrame = sampleImage.path
            let first = try await home.submitter.submit(JobSpec(kind: .video, provider: "openrouter", input: input)).job
            let sha = try #require(try await home.store.job(first.id)?.spec.input.firstFrame)
            #expect(ArtifactRef.isValidSHA256(sha))
            input.firstFrame = sha
            let second = try await home.submitter.submit(JobSpec(kind: .video, provider: "openrouter", input: input)).job
            #expect(try await home.store.job(second.id)?.spec.input.firstFrame == sha)
        }
    }

    @Test("a combination a route cannot take is refused at submit, naming the field")
    func refusedAtSubmit() async throws {
        try await withSimulator { _, home in
            var video = JobInput(prompt: "the picture comes alive")
            video.durationSeconds = 8
            video.firstFrame = sampleImage.path
            video.lastFrame = sampleImage.path
            #expect(await refusal(home, JobSpec(kind: .video, provider: "fal", model: "fal-ai/veo3/fast", input: video))
                == "input.last_frame: fal/fal-ai/veo3/fast takes no last frame")
            // A fallback route is checked too, and named.
            #expect(await refusal(home, JobSpec(kind: .video, provider: "openrouter",
                                                fallbacks: [Route(provider: "fal", model: "fal-ai/veo3/fast")], input: video))
                .hasPrefix("fallbacks[0]: input.last_frame: fal/fal-ai/veo3/fast takes no last frame"))

            var image = JobInput(prompt: "a cat")
            image.referenceImages = [sampleImage.path]
            #expect(await refusal(home, JobSpec(kind: .image, provider: "replicate", input: image))
                == "input.reference_images: replicate/black-forest-labs/flux-schnell takes no reference images")
            image.referenceImages = ["https://example.com/cat.png"]
            #expect(await refusal(home, JobSpec(kind: .image, provider: "openai", model: "gpt-image-1", input: image))
                .hasPrefix("input.reference_images[0]: openai/gpt-image-1 takes the image itself, not a URL"))

            var speech = JobInput(audio: sampleSpeechPath, timestamps: true)
            speech.language = "en"
            #expect(await refusal(home, JobSpec(kind: .transcribe, provider: "openrouter", model: "google/chirp-3", input: speech))
                .hasPrefix("input.timestamps: openrouter/google/chirp-3 answers without timestamps"))

            var tts = JobInput(text: "Hello.")
            tts.referenceImages = [sampleImage.path]
            #expect(await refusal(home, JobSpec(kind: .tts, provider: "openai", input: tts))
                == "input.reference_images: only image and video jobs take reference images")
            let queued = try await home.store.jobs(JobFilter())
            #expect(queued.isEmpty, "nothing was queued")
        }
    }

    @Test("an input image that is not an image, or not there, is refused naming the field and the file")
    func badImageFiles() async throws {
        try await withSimulator { _, home in
            var input = JobInput(prompt: "the picture comes alive")
            input.durationSeconds = 4
            input.firstFrame = sampleSpeechPath
            let notImage = await refusal(home, JobSpec(kind: .video, provider: "openrouter", input: input))
            #expect(notImage.hasPrefix("input.first_frame: \(sampleSpeechPath) is not a usable image"), "\(notImage)")
            input.firstFrame = sampleImage.path
            input.lastFrame = "/nowhere/last.png"
            #expect(await refusal(home, JobSpec(kind: .video, provider: "openrouter", input: input))
                == "input.last_frame: /nowhere/last.png: no such file")
            input.lastFrame = String(repeating: "ab", count: 32)
            #expect(await refusal(home, JobSpec(kind: .video, provider: "openrouter", input: input))
                == "input.last_frame: no artifact \(String(repeating: "ab", count: 32)) in this home")
        }
    }
}

let sampleSpeechPath = repository.appendingPathComponent("Samples/speech.wav").path
