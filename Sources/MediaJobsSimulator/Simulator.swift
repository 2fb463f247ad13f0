import Foundation
import Hummingbird
import Logging
import MediaJobsFFmpeg
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import UnixSignals

/// An HTTP server that answers like OpenRouter, OpenAI, fal and Replicate, each under its own prefix.
///
/// ```swift
/// let sim = try await Simulator.start()
/// let base = sim.baseURL(.openai)                       // http://127.0.0.1:PORT/openai/v1
/// sim.inject(.status(429, retryAfter: 1), count: 2, provider: .openai, path: "/audio/speech")
/// sim.setSchedule(.polls(queued: 1, running: 1))
/// …
/// #expect(sim.requests(.openai).last?.header("Authorization") == "Bearer sk-test")
/// await sim.stop()
/// ```
public final class Simulator: Sendable {
    /// The simulator's own FFmpeg pool, apart from `MediaEngine.shared`: it stands for a remote
    /// service, so its media work must not queue behind the client's (as it would not if it ran in
    /// a process of its own, as `mediajobs simulator` does).
    static let engine = MediaEngine(threads: 2)

    /// The port the server listens on.
    public let port: Int
    /// The address it listens on.
    public let host: String
    let state: SimulatorState
    let media: MediaFactory
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    private init(host: String, port: Int, state: SimulatorState, media: MediaFactory, group: ServiceGroup,
                 running: Task<Void, any Error>) {
        self.host = host
        self.port = port
        self.state = state
        self.media = media
        self.group = group
        self.running = running
    }

    /// Starts a simulator on `host`:`port` (0: an ephemeral port) and returns once it accepts connections.
    ///
    /// - Parameters:
    ///   - faults: rules in force from the start (more can be injected later).
    ///   - schedule: how asynchronous jobs advance, for every provider until `setSchedule` says otherwise.
    ///   - seed: seeds the generator that decides rate faults, so a run can be repeated.
    ///   - validatesRequests: check OpenRouter request bodies against its OpenAPI document (400 when they break it).
    ///   - shutdownSignals: signals that stop the server (the CLI passes SIGINT and SIGTERM).
    public static func start(
        host: String = "127.0.0.1", port: Int = 0, faults: [FaultRule] = [],
        schedule: JobSchedule = .polls(queued: 1, running: 1), seed: UInt64 = 1, validatesRequests: Bool = true,
        shutdownSignals: [UnixSignal] = [], logger: Logger? = nil
    ) async throws -> Simulator {
        let log = logger ?? {
            var quiet = Logger(label: "mediajobs.simulator")
            quiet.logLevel = .warning
            return quiet
        }()
        if validatesRequests {
            // Parse OpenRouter's document (about 2 s, once per process) now, not in the first request.
            _ = await Task.detached { try? OpenRouterSchema.bundled() }.value
        }
        let state = SimulatorState(rules: faults, schedule: schedule, seed: seed)
        let media = MediaFactory(engine: Simulator.engine)
        let apis: [SimulatedProvider: any ProviderAPI] = [
            .openai: OpenAIAPI(media: media, state: state),
            .openrouter: OpenRouterAPI(media: media, state: state, validatesRequests: validatesRequests),
            .fal: FalAPI(media: media, state: state),
            .replicate: ReplicateAPI(media: media, state: state),
        ]
        let responder = SimulatorResponder(state: state, apis: apis)
        let started = StartSignal()
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "mediajobs-simulator"),
            onServerRunning: { channel in started.succeed(channel.localAddress?.port ?? port) },
            logger: log)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [app], gracefulShutdownSignals: shutdownSignals, logger: log))
        let running = Task {
            do {
                try await group.run()
                started.fail(SimulatorSpecError("the simulator stopped before it started"))
            } catch {
                started.fail(error)
                throw error
            }
        }
        let boundPort = try await started.wait()
        return Simulator(host: host, port: boundPort, state: state, media: media, group: group, running: running)
    }

    /// Where a client reaches `provider`: `http://127.0.0.1:PORT/openrouter/api/v1`.
    public func baseURL(_ provider: SimulatedProvider) -> URL {
        URL(string: "http://\(hostForURLs):\(port)\(provider.pathPrefix)")!
    }

    private var hostForURLs: String {
        host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host.contains(":") ? "[\(host)]" : host
    }

    /// The environment that points MediaJobs at this simulator (`OPENAI_BASE_URL=…` for each provider).
    public var environment: [String: String] {
        Dictionary(uniqueKeysWithValues: SimulatedProvider.allCases.map { ($0.baseURLVariable, baseURL($0).absoluteString) })
    }

    // MARK: Models

    /// Makes OpenRouter serve a speech model released after the simulator's own list was written (new models
    /// appear every week), billed `pricePerCharacter` dollars per input character.
    public func releaseSpeechModel(_ model: String, pricePerCharacter: Decimal) {
        state.releaseSpeechModel(model, pricePerCharacter: pricePerCharacter)
    }

    // MARK: Faults

    /// Injects `fault` into the next `count` requests that match `provider`, `path` (a prefix of the path after
    /// the provider's prefix) and `method`.
    public func inject(
        _ fault: Fault, count: Int = 1, provider: SimulatedProvider? = nil, path: String? = nil, method: String? = nil
    ) {
        state.add(FaultRule(fault, provider: provider, path: path, method: method, frequency: .next(max(1, count))))
    }

    /// Injects `fault` into each matching request with probability `rate` (0…1).
    public func inject(
        _ fault: Fault, rate: Double, provider: SimulatedProvider? = nil, path: String? = nil, method: String? = nil
    ) {
        state.add(FaultRule(fault, provider: provider, path: path, method: method, frequency: .rate(rate)))
    }

    public func inject(_ rule: FaultRule) { state.add(rule) }

    /// Rules still in force (a `next(n)` rule disappears after its n-th use).
    public var faults: [FaultRule] { state.rules }

    public func clearFaults() { state.clearFaults() }

    // MARK: Schedules

    /// How jobs submitted from now on advance: for `provider`, or for all when nil.
    public func setSchedule(_ schedule: JobSchedule, for provider: SimulatedProvider? = nil) {
        state.setSchedule(schedule, for: provider)
    }

    /// With `false`, transcriptions answer stand-in text timed to the uploaded audio (a 5 s segment at a time, each
    /// naming its own seconds) instead of pocketsphinx's reading: for tests of times, sizes and counts, not words.
    public func setRecognition(_ on: Bool) {
        media.recognition.set(on)
    }

    // MARK: Requests

    /// Every request received, oldest first.
    public var requests: [RecordedRequest] { state.requests }

    /// Requests to `provider`, optionally only those whose path after the prefix starts with `path`.
    public func requests(_ provider: SimulatedProvider, path: String? = nil) -> [RecordedRequest] {
        state.requests.filter { request in
            guard request.provider == provider else { return false }
            guard let path else { return true }
            return request.path.hasPrefix(provider.pathPrefix + path)
        }
    }

    public func clearRequests() { state.clearRequests() }

    /// How many `method` requests named each job, by its number: a caller that puts `<prefix><N>.` in every job's
    /// text or prompt can count what the providers were really asked to make per job (a create request carries the
    /// marker in its body; polls, downloads and cancels carry none).
    public func requestCounts(markedWith prefix: String, method: String = "POST") throws -> [Int: Int] {
        let marker = try Regex(NSRegularExpression.escapedPattern(for: prefix) + #"([0-9]+)\."#)
        var counts: [Int: Int] = [:]
        for request in state.requests where request.method == method {
            guard let match = String(decoding: request.body, as: UTF8.self).firstMatch(of: marker),
                  let number = Int(match.output[1].substring ?? "") else { continue }
            counts[number, default: 0] += 1
        }
        return counts
    }

    // MARK: Billing

    /// Everything the simulated providers billed, oldest first, in exact decimals (see `BillingEntry`).
    public func billing() -> [BillingEntry] { state.billing }

    /// What `provider` billed, oldest first.
    public func billing(_ provider: SimulatedProvider) -> [BillingEntry] {
        state.billing.filter { $0.provider == provider }
    }

    /// The sum of every bill so far (unpriced entries count as 0: see `BillingEntry.priced`).
    public var totalBilled: Decimal { state.billing.reduce(Decimal(0)) { $0 + $1.usd } }

    /// The bills that name each job, by its number: a caller that puts `<prefix><N>.` in every job's text or prompt
    /// (as for `requestCounts(markedWith:)`) finds what the providers billed per job.
    public func billing(markedWith prefix: String) throws -> [Int: [BillingEntry]] {
        let marker = try Regex(NSRegularExpression.escapedPattern(for: prefix) + #"([0-9]+)\."#)
        var entries: [Int: [BillingEntry]] = [:]
        for entry in state.billing {
            guard let match = ((entry.text ?? "") + "\n" + entry.searchable).firstMatch(of: marker),
                  let number = Int(match.output[1].substring ?? "") else { continue }
            entries[number, default: []].append(entry)
        }
        return entries
    }

    /// The dollars billed per job number (see `billing(markedWith:)`), exact.
    public func billed(markedWith prefix: String) throws -> [Int: Decimal] {
        try billing(markedWith: prefix).mapValues { $0.reduce(Decimal(0)) { $0 + $1.usd } }
    }

    public func clearBilling() { state.clearBilling() }

    /// Makes jobs of `model` (nil: every model) submitted from now on report `seconds` as Replicate's
    /// `metrics.predict_time` and fal's `metrics.inference_time`, billed exactly: `37.123456` on A100 (80GB) at
    /// $0.0014/s bills $0.0519728384. Nil returns to the simulator's own plausible six-decimal run times.
    public func setPredictTime(_ seconds: Decimal?, model: String? = nil) {
        state.setPredictTime(seconds, model: model)
    }

    /// The `openai/whisper` version id the simulated Replicate serves (a real one, from
    /// https://replicate.com/openai/whisper/versions): create with `POST /v1/predictions` and
    /// `"version": whisperVersion` or `"openai/whisper:" + whisperVersion`.
    public static var whisperVersion: String { ModelSchemas.replicateVersions["openai/whisper"]! }

    // MARK: Lifetime

    /// Stops accepting connections and waits for the server to end.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = await running.result
    }

    /// Waits until the server ends (a shutdown signal, or `stop`).
    public func waitUntilStopped() async throws {
        try await running.value
    }
}

/// Resumes the starter once, with the port or the error that prevented it.
private final class StartSignal: Sendable {
    private let box = NIOLockedValueBox<(result: Result<Int, any Error>?, waiter: CheckedContinuation<Int, any Error>?)>(
        (nil, nil))

    func succeed(_ port: Int) { finish(.success(port)) }
    func fail(_ error: any Error) { finish(.failure(error)) }

    private func finish(_ result: Result<Int, any Error>) {
        let waiter: CheckedContinuation<Int, any Error>? = box.withLockedValue { contents in
            guard contents.result == nil else { return nil }
            contents.result = result
            defer { contents.waiter = nil }
            return contents.waiter
        }
        waiter?.resume(with: result)
    }

    func wait() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, any Error>? = box.withLockedValue { contents in
                if let result = contents.result { return result }
                contents.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
