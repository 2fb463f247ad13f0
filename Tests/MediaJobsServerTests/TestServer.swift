import Foundation
import Logging
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsServer
import MediaJobsStore
import MediaJobsWorker
import ServiceLifecycle
import Testing

/// A real home in a temp folder served over real loopback HTTP on a free port, with a worker
/// running the local provider in the same ServiceGroup (as `mediajobs serve` runs them).
final class TestServer: Sendable {
    let root: URL
    let store: SQLiteJobStore
    let artifacts: ArtifactStore
    let client: HTTPClient
    let server: MediaJobsServer
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    /// The folder job bodies may name inputs under (`server.input_folders`).
    var inputs: URL { root.appendingPathComponent("inputs") }

    static func start(workers: Int = 1, token: String? = nil) async throws -> TestServer {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("server-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("inputs"), withIntermediateDirectories: true)
        let store = try SQLiteJobStore(path: root.appendingPathComponent("mediajobs.sqlite").path)
        let artifacts = try ArtifactStore(root: root.appendingPathComponent("artifacts"))
        let providers = ProviderRegistry.standard(engine: MediaEngine.shared)
        let submitter = Submitter(store: store, artifacts: artifacts, engine: .shared, providers: providers)
        var logger = Logger(label: "server-test")
        logger.logLevel = .warning
        let options = ServerOptions(host: "127.0.0.1", port: 0, token: token,
                                    limits: ServerSection(inputFolders: [root.appendingPathComponent("inputs").path],
                                                          maxBodyBytes: 64 * 1024, maxUploadBytes: 8 << 20))
        let server = MediaJobsServer(store: store, artifacts: artifacts, submitter: submitter, options: options, logger: logger)
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = server.makeApplication { port in portContinuation.yield(port) }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app)]
        if workers > 0 {
            let pipeline = Pipeline(store: store, artifacts: artifacts, engine: .shared, providers: providers)
            services.append(.init(service: Worker(
                store: store, pipeline: pipeline,
                configuration: WorkerConfiguration(concurrency: workers, maxIdleSleep: 0.05), logger: logger)))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ClientError("the server did not start") }
        return TestServer(root: root, store: store, artifacts: artifacts, server: server, group: group, running: running, port: port)
    }

    private init(root: URL, store: SQLiteJobStore, artifacts: ArtifactStore, server: MediaJobsServer, group: ServiceGroup,
                 running: Task<Void, any Error>, port: Int) {
        self.root = root
        self.store = store
        self.artifacts = artifacts
        self.server = server
        self.group = group
        self.running = running
        self.client = HTTPClient(port: port)
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
        try? FileManager.default.removeItem(at: root)
    }

    /// Polls the API until job `id` is final; returns its JSON.
    func waitUntilFinal(_ id: String, timeout: TimeInterval = 600) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let job = try await client.get("/v1/jobs/\(id)").object
            if let state = job["state"] as? String, ["succeeded", "failed", "canceled"].contains(state) { return job }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ClientError("job \(id) did not end in \(timeout) s")
    }
}

/// Runs `body` against a fresh server, stopping it afterwards whatever happens.
func withServer(workers: Int = 1, token: String? = nil, _ body: (TestServer) async throws -> Void) async throws {
    let server = try await TestServer.start(workers: workers, token: token)
    do {
        try await body(server)
    } catch {
        try? await server.stop()
        throw error
    }
    try await server.stop()
}
