import Foundation
import Logging
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsStore
import MediaJobsWorker

/// `fake_providers.py` on a free loopback port, one per test (its fault list is its own).
final class FakeProviders: Sendable {
    let port: Int
    private let process: Process
    private let stdin: Pipe

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// What Samples/speech.wav and speech.mp3 say (scripts/make-samples.sh).
    static let sampleSpeechText =
        "MediaJobs turns media requests into validated files. This recording was made by the project itself."

    /// OpenRouter request bodies, one JSON line each, when `recording` was asked for.
    let recording: URL?

    init(recording: URL? = nil) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fake_providers.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, FakeProviders.repository.appendingPathComponent("Samples").path]
            + (recording.map { [$0.path] } ?? [])
        self.recording = recording
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else { throw CocoaError(.fileReadCorruptFile) }
        self.port = port
        self.process = process
        self.stdin = input
    }

    func stop() {
        process.terminate()
    }

    var origin: String { "http://127.0.0.1:\(port)" }

    /// The environment a user sets to point MediaJobs at these stand-ins, with `key` for every provider.
    func environment(key: String) -> [String: String] {
        ["OPENROUTER_BASE_URL": "\(origin)/openrouter/api/v1", "OPENAI_BASE_URL": "\(origin)/openai/v1",
         "FAL_BASE_URL": "\(origin)/fal", "REPLICATE_BASE_URL": "\(origin)/replicate/v1",
         "OPENROUTER_API_KEY": key, "OPENAI_API_KEY": key, "FAL_KEY": key, "REPLICATE_API_TOKEN": key]
    }

    /// Makes the next `count` requests whose path contains `match` answer `status`.
    func inject(match: String, status: Int, retryAfter: Int? = nil, count: Int = 1, body: [String: Any]? = nil) async throws {
        var fault: [String: Any] = ["match": match, "status": status, "count": count]
        if let retryAfter { fault["retry_after"] = retryAfter }
        if let body { fault["body"] = body }
        let body = String(decoding: try JSONSerialization.data(withJSONObject: fault), as: UTF8.self)
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-X", "POST", "--data-binary", body, "\(origin)/_faults"]
        curl.standardOutput = FileHandle.nullDevice
        try curl.run()
        // Set-up only: wait for the short-lived curl on a thread of its own, off the cooperative pool.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                curl.waitUntilExit()
                continuation.resume()
            }
        }
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

/// A real home (SQLite file, artifact store) whose remote providers point at the stand-ins.
struct RemoteHome {
    let root: URL
    let store: SQLiteJobStore
    let artifacts: ArtifactStore
    let providers: ProviderRegistry
    let logs = LogCollector()

    init(fake: FakeProviders, key: String = "sk-test-key-000", catalog: ModelCatalog = .builtIn,
         openrouter: OpenRouterSettings? = nil) throws {
        try self.init(environment: fake.environment(key: key), catalog: catalog, openrouter: openrouter)
    }

    /// A home whose providers are reached through `environment` (base URLs and keys).
    init(environment: [String: String], catalog: ModelCatalog = .builtIn, openrouter: OpenRouterSettings? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("remote-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        store = try SQLiteJobStore(path: root.appendingPathComponent("mediajobs.sqlite").path)
        artifacts = try ArtifactStore(root: root.appendingPathComponent("artifacts"))
        let fast = RemoteProviderSettings(pollIntervalSeconds: 0.1)
        let configuration = ProvidersConfiguration(openrouter: openrouter ?? OpenRouterSettings(common: fast), openai: fast, fal: fast,
                                                   replicate: fast)
        providers = try ProviderRegistry.configured(engine: .shared, configuration: configuration,
                                                    environment: environment, catalog: catalog)
    }

    var pipeline: Pipeline { Pipeline(store: store, artifacts: artifacts, engine: .shared, providers: providers) }
    var submitter: Submitter { Submitter(store: store, artifacts: artifacts, engine: .shared, providers: providers) }

    func runUntilFinal(_ id: JobID) async throws -> Job {
        let store = self.store
        let worker = Worker(store: store, pipeline: pipeline,
                            configuration: WorkerConfiguration(id: "remote-worker", concurrency: 1, leaseDuration: 30),
                            logger: logs.logger)
        try await worker.run(until: { (try? await store.job(id))?.state.isFinal ?? true })
        return try await store.job(id)!
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
