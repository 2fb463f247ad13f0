import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

@Suite("a refused key or missing credit fails the route, pauses the provider for every worker, and jobs go on elsewhere")
struct AccountPauseTests {
    static let key = "sk-or-account-test-0001"

    /// A tts job for OpenRouter with a fallback to the local engine (or none).
    static func speech(fallback: Bool = true) -> JobSpec {
        JobSpec(kind: .tts, provider: "openrouter", fallbacks: fallback ? [Route(provider: "local", model: "flite")] : [],
                input: JobInput(text: sampleSpeechText))
    }

    static func speechRequests(_ simulator: Simulator) -> Int {
        simulator.requests(.openrouter, path: "/audio/speech").count
    }

    /// Runs `id` to its end with a worker whose providers have `key` for OpenRouter, on `home`'s store.
    static func run(_ id: JobID, home: RemoteHome, simulator: Simulator, key: String) async throws -> Job {
        let keys = ["OPENROUTER_API_KEY": key, "OPENAI_API_KEY": key, "FAL_KEY": key, "REPLICATE_API_TOKEN": key]
        let fast = RemoteHome.settings
        let providers = try ProviderRegistry.configured(
            engine: .shared,
            configuration: ProvidersConfiguration(openrouter: OpenRouterSettings(common: fast), openai: fast, fal: fast,
                                                  replicate: fast),
            environment: simulator.environment.merging(keys) { $1 })
        let store = home.store
        let pipeline = Pipeline(store: store, artifacts: home.artifacts, engine: .shared, providers: providers)
        let worker = Worker(store: store, pipeline: pipeline,
                            configuration: WorkerConfiguration(id: "worker-\(key.suffix(4))", concurrency: 1, leaseDuration: 30),
                            logger: home.logs.logger)
        try await worker.run(until: { (try? await store.job(id))?.state.isFinal ?? true })
        return try #require(try await store.job(id))
    }

    @Test("402 at OpenRouter: the job succeeds on local, OpenRouter is paused, a second job skips it without a request")
    func insufficientCreditsFallsBack() async throws {
        try await withSimulator(key: Self.key) { simulator, home in
            simulator.inject(.status(402), count: 5, provider: .openrouter, path: "/audio/speech")
            let first = try await home.submitter.submit(Self.speech()).job.id
            let job = try await home.runUntilFinal(first)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(job.attempts == 1)
            #expect(try await home.store.costs(first).map(\.provider) == ["local"])
            #expect(Self.speechRequests(simulator) == 1)

            let pause = try #require(try await home.store.accountPause(provider: "openrouter"))
            #expect(pause.code == .providerInsufficientCredits)
            #expect(pause.keyFingerprint == ProviderAccount.fingerprint(of: Self.key))
            #expect(pause.detail.contains("HTTP 402"), "\(pause.detail)")
            // The default credit recheck: ten minutes after the 402.
            #expect(pause.recheckAt.map { $0.timeIntervalSince(pause.since) } == 600)

            let second = try await home.submitter.submit(Self.speech()).job.id
            let again = try await home.runUntilFinal(second)
            #expect(again.state == .succeeded, "\(again.error?.description ?? "")")
            #expect(Self.speechRequests(simulator) == 1, "the paused provider was sent a request")
            let notes = try await home.store.events(second, after: nil).map(\.detail)
            #expect(notes.contains { $0.contains("skipped, nothing sent") && $0.contains("out of credit") }, "\(notes)")
        }
    }

    @Test("401 at OpenRouter: provider.unauthorized; a job with no other route fails at once naming the paused provider")
    func unauthorizedFallsBack() async throws {
        try await withSimulator(key: Self.key) { simulator, home in
            simulator.inject(.status(401), count: 1, provider: .openrouter, path: "/audio/speech")
            let first = try await home.submitter.submit(Self.speech()).job.id
            let job = try await home.runUntilFinal(first)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let pause = try #require(try await home.store.accountPause(provider: "openrouter"))
            #expect(pause.code == .providerUnauthorized)
            #expect(pause.recheckAt == nil)

            let alone = try await home.submitter.submit(Self.speech(fallback: false)).job.id
            let failed = try await home.runUntilFinal(alone)
            #expect(failed.state == .failed)
            #expect(failed.attempts == 1)
            #expect(failed.error?.code == MediaJobsError.Code.providerUnauthorized.rawValue, "\(failed.error?.description ?? "")")
            let message = failed.error?.message ?? ""
            #expect(message.contains("openrouter is paused") && message.contains("the key was refused")
                    && message.contains(ProviderAccount.fingerprint(of: Self.key)), "\(message)")
            #expect(!message.contains(Self.key))
            #expect(Self.speechRequests(simulator) == 1)
        }
    }

    @Test("a worker with another key ends the pause and sends the job to the provider")
    func changedKeyClearsPause() async throws {
        try await withSimulator(key: Self.key) { simulator, home in
            simulator.inject(.status(401), count: 1, provider: .openrouter, path: "/audio/speech")
            let first = try await home.submitter.submit(Self.speech()).job.id
            _ = try await home.runUntilFinal(first)
            #expect(try await home.store.accountPause(provider: "openrouter") != nil)

            let second = try await home.submitter.submit(Self.speech()).job.id
            let job = try await Self.run(second, home: home, simulator: simulator, key: "sk-or-the-new-key-0002")
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(try await home.store.costs(second).map(\.provider) == ["openrouter"])
            #expect(Self.speechRequests(simulator) == 2)
            #expect(try await home.store.accountPause(provider: "openrouter") == nil)
            let notes = try await home.store.events(second, after: nil).map(\.detail)
            #expect(notes.contains { $0.contains("pause (provider.unauthorized) ended") && $0.contains("the key is now") }, "\(notes)")
        }
    }

    @Test("a 402 pause whose credit recheck time has passed lets the next job try the provider again")
    func creditRecheck() async throws {
        try await withSimulator(key: Self.key) { simulator, home in
            let then = Date().addingTimeInterval(-700)
            try await home.store.pauseAccount(ProviderAccountPause(
                provider: "openrouter", code: .providerInsufficientCredits, detail: "openrouter speech: HTTP 402: Insufficient credits",
                keyFingerprint: ProviderAccount.fingerprint(of: Self.key), since: then, recheckAt: then.addingTimeInterval(600)))
            let id = try await home.submitter.submit(Self.speech()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(try await home.store.costs(id).map(\.provider) == ["openrouter"])
            #expect(try await home.store.accountPause(provider: "openrouter") == nil)
        }
    }

    @Test("a resumed provider is sent jobs again")
    func resumed() async throws {
        try await withSimulator(key: Self.key) { simulator, home in
            try await home.store.pauseAccount(ProviderAccountPause(
                provider: "openrouter", code: .providerUnauthorized, detail: "openrouter speech: HTTP 401: Unauthorized",
                keyFingerprint: ProviderAccount.fingerprint(of: Self.key), since: Date(), recheckAt: nil))
            let skipped = try await home.submitter.submit(Self.speech()).job.id
            #expect(try await home.runUntilFinal(skipped).state == .succeeded)
            #expect(Self.speechRequests(simulator) == 0)
            let ended = try await home.store.resumeAccount(provider: "openrouter")
            #expect(ended?.code == .providerUnauthorized)
            let id = try await home.submitter.submit(Self.speech()).job.id
            #expect(try await home.runUntilFinal(id).state == .succeeded)
            #expect(Self.speechRequests(simulator) == 1)
            #expect(try await home.store.costs(id).map(\.provider) == ["openrouter"])
        }
    }
}
