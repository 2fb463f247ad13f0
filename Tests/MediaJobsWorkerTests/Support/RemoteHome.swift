import Foundation
import Logging
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsHTTP
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// The repository's root, for `Samples/`.
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// What Samples/speech.wav and speech.mp3 say (scripts/make-samples.sh).
let sampleSpeechText =
    "MediaJobs turns media requests into validated files. This recording was made by the project itself."

/// One job per adapter and kind it serves.
struct RemoteCase: Sendable, CustomTestStringConvertible {
    var provider: String
    var kind: JobKind
    var asynchronous: Bool

    var testDescription: String { "\(provider) \(kind)" }

    static let all: [RemoteCase] = [
        RemoteCase(provider: "openrouter", kind: .tts, asynchronous: false),
        RemoteCase(provider: "openrouter", kind: .transcribe, asynchronous: false),
        RemoteCase(provider: "openrouter", kind: .image, asynchronous: false),
        RemoteCase(provider: "openrouter", kind: .video, asynchronous: true),
        RemoteCase(provider: "openai", kind: .tts, asynchronous: false),
        RemoteCase(provider: "openai", kind: .transcribe, asynchronous: false),
        RemoteCase(provider: "openai", kind: .image, asynchronous: false),
        RemoteCase(provider: "fal", kind: .tts, asynchronous: true),
        RemoteCase(provider: "fal", kind: .image, asynchronous: true),
        RemoteCase(provider: "fal", kind: .video, asynchronous: true),
        RemoteCase(provider: "replicate", kind: .image, asynchronous: false),
        RemoteCase(provider: "replicate", kind: .video, asynchronous: true),
        RemoteCase(provider: "replicate", kind: .transcribe, asynchronous: true),
    ]

    static func first(_ provider: String, _ kind: JobKind) -> RemoteCase {
        all.first { $0.provider == provider && $0.kind == kind }!
    }

    func spec() -> JobSpec {
        var input = JobInput()
        switch kind {
        // The validator judges the length of speech against its text, so the text is one that speaks for a while.
        case .tts: input.text = sampleSpeechText
        case .transcribe: input.audio = repository.appendingPathComponent("Samples/speech.wav").path
        case .image: input.prompt = "a red panda astronaut"
        case .video:
            input.prompt = "a boat at sunset"
            input.durationSeconds = provider == "fal" ? 8 : provider == "openrouter" ? 4 : nil
        }
        return JobSpec(kind: kind, provider: provider, input: input)
    }
}

/// Log lines a worker wrote, kept to search them.
final class LogCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return lines.joined(separator: "\n")
    }

    var logger: Logger {
        var logger = Logger(label: "remote-test") { _ in CollectingHandler(collector: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct CollectingHandler: LogHandler {
    let collector: LogCollector
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let error = event.error.map { " error=\($0)" } ?? ""
        collector.append("\(event.level) \(event.message) \(all.map { "\($0)=\($1)" }.sorted().joined(separator: " "))\(error)")
    }
}

/// A real home (SQLite file, artifact store) whose remote providers are reached through `environment`.
struct RemoteHome {
    let root: URL
    let store: SQLiteJobStore
    let artifacts: ArtifactStore
    let providers: ProviderRegistry
    var transcripts = TranscriptSettings.defaults
    /// Broken downloads are fetched again at once (a few milliseconds apart): the policy, not the clock, is tested.
    var downloadRetry = DownloadRetryPolicy(maxAttempts: 4, delays: [0.01, 0.02, 0.04])
    let logs = LogCollector()

    init(environment: [String: String], catalog: ModelCatalog = .builtIn, openrouter: OpenRouterSettings? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("remote-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        store = try SQLiteJobStore(path: root.appendingPathComponent("mediajobs.sqlite").path)
        artifacts = try ArtifactStore(root: root.appendingPathComponent("artifacts"))
        let fast = RemoteHome.settings
        let configuration = ProvidersConfiguration(openrouter: openrouter ?? OpenRouterSettings(common: fast), openai: fast, fal: fast,
                                                   replicate: fast)
        providers = try ProviderRegistry.configured(engine: .shared, configuration: configuration,
                                                    environment: environment, catalog: catalog)
    }

    /// Quick polls, and patient requests and downloads: the in-process simulator makes its answers and media in one
    /// small FFmpeg pool shared with every other test of the suite, so an answer, or a video's first bytes, may take
    /// minutes under the whole suite's load.
    static let settings = RemoteProviderSettings(
        timeouts: ProviderTimeouts(
            submit: HTTPTimeouts(connect: 10, total: 900, lowSpeedBytesPerSecond: 1, lowSpeedSeconds: 600),
            download: HTTPTimeouts(connect: 10, total: 1800, lowSpeedBytesPerSecond: 1, lowSpeedSeconds: 600)),
        pollIntervalSeconds: 0.1)

    var pipeline: Pipeline {
        var pipeline = Pipeline(store: store, artifacts: artifacts, engine: .shared, providers: providers)
        pipeline.transcripts = transcripts
        pipeline.downloadRetry = downloadRetry
        return pipeline
    }

    var submitter: Submitter { Submitter(store: store, artifacts: artifacts, engine: .shared, providers: providers) }

    func runUntilFinal(_ id: JobID) async throws -> Job {
        let store = self.store
        let worker = Worker(store: store, pipeline: pipeline,
                            configuration: WorkerConfiguration(id: "remote-worker", concurrency: 1, leaseDuration: 30),
                            logger: logs.logger)
        try await worker.run(until: { (try? await store.job(id))?.state.isFinal ?? true })
        return try await store.job(id)!
    }

    /// The text of the job's one output artifact.
    func outputText(_ id: JobID) async throws -> String {
        guard let output = try await store.artifacts(id).first(where: { $0.role == .output }) else { return "" }
        return String(decoding: try Data(contentsOf: try artifacts.url(for: output.sha256)), as: UTF8.self)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// The simulator on a free loopback port and a home pointed at it, with `key` for every provider.
func withSimulator(
    key: String = "sk-sim-key-000", catalog: ModelCatalog = .builtIn, openrouter: OpenRouterSettings? = nil,
    transcripts: TranscriptSettings = .defaults, _ body: (Simulator, RemoteHome) async throws -> Void
) async throws {
    let simulator = try await Simulator.start()
    do {
        let keys = ["OPENROUTER_API_KEY": key, "OPENAI_API_KEY": key, "FAL_KEY": key, "REPLICATE_API_TOKEN": key]
        var home = try RemoteHome(environment: simulator.environment.merging(keys) { $1 }, catalog: catalog,
                                  openrouter: openrouter)
        home.transcripts = transcripts
        defer { home.remove() }
        try await body(simulator, home)
    } catch {
        await simulator.stop()
        throw error
    }
    await simulator.stop()
}
