import Foundation
import Logging
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsStore
import MediaJobsWorker
import Testing

/// A real home in a temp folder: SQLite file, artifact store, the local provider.
struct TestHome {
    let root: URL
    let store: SQLiteJobStore
    let artifacts: ArtifactStore
    let providers = ProviderRegistry.standard(engine: MediaEngine.shared)

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("worker-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        store = try SQLiteJobStore(path: root.appendingPathComponent("mediajobs.sqlite").path)
        artifacts = try ArtifactStore(root: root.appendingPathComponent("artifacts"))
    }

    var pipeline: Pipeline { Pipeline(store: store, artifacts: artifacts, engine: .shared, providers: providers) }
    var submitter: Submitter { Submitter(store: store, artifacts: artifacts, engine: .shared, providers: providers) }

    func worker(concurrency: Int = 1, lease: TimeInterval = 30) -> Worker {
        Worker(store: store, pipeline: pipeline,
               configuration: WorkerConfiguration(id: "test-worker", concurrency: concurrency, leaseDuration: lease),
               logger: Logger(label: "test"))
    }

    /// Runs a worker until `id` ends.
    func runUntilFinal(_ id: JobID) async throws -> Job {
        let store = self.store
        try await worker().run(until: { (try? await store.job(id))?.state.isFinal ?? true })
        return try #require(try await store.job(id))
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

@Suite("the pipeline: provider, validate, transcode, store, cost")
struct PipelineTests {
    @Test("a tts job lands as the exact format asked for, validated and costed")
    func opusOutput() async throws {
        let home = try TestHome()
        defer { home.remove() }
        let spec = JobSpec(kind: .tts, input: JobInput(text: "Welcome to the show."),
                           output: OutputSettings(format: "opus", bitrateKbps: 48, sampleRate: 48000, channels: 1))
        let id = try await home.submitter.submit(spec).job.id
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .succeeded)
        let outputs = try await home.store.artifacts(id)
        #expect(outputs.count == 1)
        let output = try #require(outputs.first)
        #expect(output.format == "opus")
        let info = try await MediaEngine.shared.probe(try home.artifacts.url(for: output.sha256))
        let audio = try #require(info.streams.first { $0.type == "audio" })
        #expect(audio.codec == "opus")
        #expect(audio.sampleRate == 48000)
        #expect(audio.channels == 1)
        let costs = try await home.store.costs(id)
        #expect(costs.count == 1)
        #expect(costs.first?.usd == .zero)
        #expect(costs.first?.units == ["characters": 20])
        let stages = try await home.store.events(id, after: nil).filter { $0.kind == .stage }.map(\.detail)
        #expect(stages.count >= 3, "\(stages)")
    }

    @Test("text_file is read at submit, so the job no longer depends on the file")
    func textFileIsCopied() async throws {
        let home = try TestHome()
        defer { home.remove() }
        let file = home.root.appendingPathComponent("script.txt")
        try Data("Read me aloud.".utf8).write(to: file)
        var input = JobInput()
        input.textFile = file.path
        let id = try await home.submitter.submit(JobSpec(kind: .tts, input: input)).job.id
        try FileManager.default.removeItem(at: file)
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .succeeded)
        #expect(job.spec.input.text == "Read me aloud.")
    }

    @Test("the same idempotency key returns the existing job")
    func idempotency() async throws {
        let home = try TestHome()
        defer { home.remove() }
        let spec = JobSpec(kind: .tts, input: JobInput(text: "Once."), idempotencyKey: "intro-1")
        let first = try await home.submitter.submit(spec)
        let second = try await home.submitter.submit(spec)
        #expect(first.created)
        #expect(!second.created)
        #expect(first.job.id == second.job.id)
    }

    @Test("an input artifact that vanished from disk fails the job with a named, final error")
    func missingInputArtifact() async throws {
        let home = try TestHome()
        defer { home.remove() }
        let recording = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Samples/speech.wav")
        let id = try await home.submitter.submit(JobSpec(kind: .transcribe, input: JobInput(audio: recording.path))).job.id
        let input = try #require(try await home.store.artifacts(id).first { $0.role == .input })
        try FileManager.default.removeItem(at: try home.artifacts.url(for: input.sha256))
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .failed)
        #expect(job.attempts == 1)
        #expect(job.error?.code == "artifact.not_found")
        #expect(job.error?.message.contains(input.sha256) == true)
    }

    @Test("an input artifact whose bytes no longer match its name fails the attempt as corrupt before any provider reads it")
    func corruptInputArtifact() async throws {
        let home = try TestHome()
        defer { home.remove() }
        let recording = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Samples/speech.wav")
        let spec = JobSpec(kind: .transcribe, input: JobInput(audio: recording.path), maxAttempts: 1)
        let id = try await home.submitter.submit(spec).job.id
        let input = try #require(try await home.store.artifacts(id).first { $0.role == .input })
        let file = try home.artifacts.url(for: input.sha256)
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0x5A
        try bytes.write(to: file)
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .failed)
        #expect(job.error?.code == "store.failure")
        #expect(job.error?.message.contains("input.audio: artifact \(input.sha256) is corrupt") == true, "\(job.error?.message ?? "")")
        #expect(try await home.store.costs(id).isEmpty)
    }

    @Test("a worker cancelled mid-job releases it without counting the attempt")
    func releaseOnCancel() async throws {
        let home = try TestHome()
        defer { home.remove() }
        let text = (1...40).map { "Sentence \($0) keeps the synthesizer and the encoder busy for a while." }.joined(separator: " ")
        let id = try await home.submitter.submit(JobSpec(kind: .tts, input: JobInput(text: text),
                                                          output: OutputSettings(format: "flac"))).job.id
        let store = home.store
        let worker = home.worker()
        let running = Task { try await worker.run() }
        for _ in 0..<200 {
            if try await store.job(id)?.state == .running { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        running.cancel()
        _ = try? await running.value
        let job = try #require(try await store.job(id))
        #expect(job.state == .queued)
        #expect(job.attempts == 0)
        #expect(job.leaseOwner == nil)
        #expect(try await store.events(id, after: nil).contains { $0.kind == .released })
    }
}
