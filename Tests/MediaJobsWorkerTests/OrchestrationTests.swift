import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsHTTP
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// A home on one SQLite file whose providers point at a simulator and share their limits through the store, as
/// every `mediajobs worker` process on that home does. Two of them on the same folder stand for two processes.
struct OrchestrationHome {
    let root: URL
    let store: SQLiteJobStore
    let artifacts: ArtifactStore
    let providers: ProviderRegistry
    let logs = LogCollector()

    /// `key` is sent as every provider's credential: two homes with different keys tell their requests apart
    /// at the simulator.
    /// `http`: the client its providers send with; by default one of the home's own, so its requests never wait
    /// for the shared client's transfer threads, which the rest of a parallel test run keeps busy (deadline tests
    /// time their submissions).
    init(simulator: Simulator, root: URL? = nil, pollInterval: Double = 0.1, key: String = "sk-sim-key-000",
         http: HTTPClient? = nil) throws {
        self.root = root ?? FileManager.default.temporaryDirectory.appendingPathComponent("orch-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.root, withIntermediateDirectories: true)
        store = try SQLiteJobStore(path: self.root.appendingPathComponent("mediajobs.sqlite").path)
        artifacts = try ArtifactStore(root: self.root.appendingPathComponent("artifacts"))
        let keys = ["OPENROUTER_API_KEY": key, "OPENAI_API_KEY": key, "FAL_KEY": key, "REPLICATE_API_TOKEN": key]
        // Patient requests, as `RemoteHome`'s: under the whole suite's load an answer of the in-process simulator may take minutes.
        let fast = RemoteProviderSettings(timeouts: RemoteHome.settings.timeouts, pollIntervalSeconds: pollInterval)
        providers = try ProviderRegistry.configured(
            engine: .shared,
            configuration: ProvidersConfiguration(openrouter: OpenRouterSettings(common: fast), openai: fast, fal: fast,
                                                  replicate: fast),
            environment: simulator.environment.merging(keys) { $1 }, http: http ?? HTTPClient(maxConcurrentTransfers: 4),
            limiter: store)
    }

    var pipeline: Pipeline { Pipeline(store: store, artifacts: artifacts, engine: .shared, providers: providers) }
    var submitter: Submitter { Submitter(store: store, artifacts: artifacts, engine: .shared, providers: providers) }

    /// Runs a worker with separate work and poll pools until `done` says so.
    func run(id: String = "orch-worker", concurrency: Int = 1, pollSlots: Int = 2,
             until done: @escaping @Sendable (SQLiteJobStore) async -> Bool) async throws {
        let store = self.store
        let worker = Worker(store: store, pipeline: pipeline,
                            configuration: WorkerConfiguration(id: id, concurrency: concurrency, leaseDuration: 30,
                                                               pollConcurrency: pollSlots),
                            logger: logs.logger)
        try await worker.run(until: { await done(store) })
    }

    func runUntilFinal(_ ids: [JobID], concurrency: Int = 1, pollSlots: Int = 2) async throws {
        try await run(concurrency: concurrency, pollSlots: pollSlots) { store in
            for id in ids where (try? await store.job(id))?.state.isFinal == false { return false }
            return true
        }
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

private func withSimulator(_ body: (Simulator, OrchestrationHome) async throws -> Void) async throws {
    let simulator = try await Simulator.start()
    do {
        let home = try OrchestrationHome(simulator: simulator)
        defer { home.remove() }
        try await body(simulator, home)
    } catch {
        await simulator.stop()
        throw error
    }
    await simulator.stop()
}

private func video(_ provider: String, deadline: Double? = nil) -> JobSpec {
    var input = JobInput(prompt: "a boat at sunset")
    input.durationSeconds = provider == "fal" ? 8 : nil
    var spec = JobSpec(kind: .video, provider: provider, input: input)
    spec.deadlineSeconds = deadline
    return spec
}

@Suite("orchestration against the simulator: rate limits, fallbacks, cancellation, deadlines, submission safety")
struct OrchestrationTests {
    @Test("a 429 storm: after each 429 no request reaches that provider before its Retry-After, across two workers")
    func rateLimitStorm() async throws {
        try await withSimulator { simulator, home in
            // A second "process": its own store connection and providers on the same home.
            let other = try OrchestrationHome(simulator: simulator, root: home.root, key: "sk-sim-key-two")
            simulator.inject(.status(429, retryAfter: 4), count: 2, provider: .openai, path: "/audio/speech")
            var ids: [JobID] = []
            for index in 0..<6 {
                let spec = JobSpec(kind: .tts, provider: "openai", input: JobInput(text: "Sentence number \(index) is here."))
                ids.append(try await home.submitter.submit(spec).job.id)
            }
            let submitted = ids
            let done: @Sendable (SQLiteJobStore) async -> Bool = { store in
                for id in submitted where (try? await store.job(id))?.state.isFinal == false { return false }
                return true
            }
            // A control task that wakes every 50 ms: when the process stalls (a busy test run), writes to the store
            // land late, and the other process hears of a pause as late as that.
            let ticks = TickLog()
            let control = Task {
                while !Task.isCancelled {
                    ticks.add(Date())
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            async let first: Void = home.run(id: "one", concurrency: 2, until: done)
            async let second: Void = other.run(id: "two", concurrency: 2, until: done)
            _ = try await (first, second)
            control.cancel()

            for id in ids { #expect(try await home.store.job(id)?.state == .succeeded) }
            let calls = simulator.requests(.openai, path: "/audio/speech")
            let limited = calls.filter { $0.status == 429 }
            #expect(limited.count == 2)
            for storm in limited {
                let answered = try #require(storm.answeredAt)
                // Each process holds its requests from the moment a 429's head reaches it (on the transfer thread, and
                // checked again there just before each send); the other process from the moment the pause is in the
                // store. So the only requests that may arrive inside the pause are those whose send had started before
                // the 429 reached its client: already on the wire, they land milliseconds after the answer (at most
                // 29 ms measured with both cores busy). 0.25 s bounds that on a loaded machine, plus however long the
                // whole process stalled meanwhile (the control task's lateness); anything later and before Retry-After had
                // passed was sent into the pause.
                let early = calls.filter {
                    $0.receivedAt > answered.addingTimeInterval(0.25 + ticks.longestStall(from: answered, to: $0.receivedAt))
                        && $0.receivedAt < answered.addingTimeInterval(4)
                }
                let process = { (call: RecordedRequest) in
                    call.header("Authorization") == storm.header("Authorization") ? "same process" : "other process"
                }
                #expect(early.isEmpty, "requests \(early.map { "\(process($0)) \($0.receivedAt.timeIntervalSince(answered))" }) s after a 429 was answered")
            }
        }
    }

    @Test("Retry-After longer than a minute ends the attempt; the job goes back to the queue no sooner")
    func longRetryAfterRequeues() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.status(429, retryAfter: 90), count: 1, provider: .openai, path: "/audio/speech")
            let id = try await home.submitter.submit(JobSpec(kind: .tts, provider: "openai", input: JobInput(text: "Hi there."))).job.id
            let before = Date()
            try await home.run { store in (try? await store.job(id))?.error != nil }
            let job = try #require(try await home.store.job(id))
            #expect(job.state == .queued)
            #expect(job.error?.code == MediaJobsError.Code.rateLimited.rawValue)
            #expect(job.runAt >= before.addingTimeInterval(89))
            #expect(try await home.store.pausedUntil(provider: "openai").map { $0 >= before.addingTimeInterval(89) } == true)
        }
    }

    @Test("model not found on the first route: the job succeeds on its fallback, and its events show both attempts")
    func fallbackOnUnknownModel() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.unknownModel, count: 1, provider: .fal)
            let spec = JobSpec(kind: .image, provider: "fal", fallbacks: [Route(provider: "openai")],
                               input: JobInput(prompt: "a red panda astronaut"))
            let id = try await home.submitter.submit(spec).job.id
            try await home.runUntilFinal([id])
            let job = try #require(try await home.store.job(id))
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let details = try await home.store.events(id, after: nil).map(\.detail)
            #expect(details.contains { $0.hasPrefix("provider: fal/") }, "\(details)")
            #expect(details.contains { $0.hasPrefix("route fal/") && $0.contains("cannot serve this job") }, "\(details)")
            #expect(details.contains { $0.hasPrefix("provider: openai/") }, "\(details)")
            #expect(try await home.store.costs(id).map(\.provider) == ["openai"])
        }
    }

    @Test("canceling a waiting job ends it at once, and the prediction is canceled at Replicate")
    func cancelWaitingAtProvider() async throws {
        try await withSimulator { simulator, home in
            simulator.setSchedule(.seconds(queued: 60, running: 60), for: .replicate)
            let id = try await home.submitter.submit(video("replicate")).job.id
            try await home.run { store in [.waiting, .succeeded, .failed, .canceled].contains((try? await store.job(id))?.state ?? .failed) }
            let canceled = try await home.store.cancel(id, now: Date())
            #expect(canceled.state == .canceled)
            let handle = try #require(canceled.providerHandle)
            #expect(try await home.pipeline.cancelGeneration(handle: handle) == .canceled)
            #expect(simulator.requests(.replicate).contains { $0.method == "POST" && $0.path.hasSuffix("/cancel") && $0.status == 200 })
        }
    }

    @Test("a job past its deadline fails with job.timeout and is canceled at the provider")
    func deadline() async throws {
        try await withSimulator { simulator, home in
            simulator.setSchedule(.seconds(queued: 300, running: 300), for: .fal)
            // Long enough for the submission to reach fal even on a loaded machine, so there is a generation to cancel.
            let id = try await home.submitter.submit(video("fal", deadline: 60)).job.id
            try await home.runUntilFinal([id])
            let job = try #require(try await home.store.job(id))
            #expect(job.state == .failed)
            #expect(job.error?.code == "job.timeout")
            #expect(job.error?.message.contains("deadline_seconds") == true)
            #expect(simulator.requests(.fal).contains { $0.method == "PUT" && $0.path.hasSuffix("/cancel") })
            let notes = try await home.store.events(id, after: nil).map(\.detail)
            #expect(notes.contains { $0.contains("canceled at the provider") }, "\(notes)")
        }
    }

    @Test("a generation finished at the provider while its job passed the deadline is collected, not thrown away")
    func lastLookCollectsAFinishedGeneration() async throws {
        try await withSimulator { simulator, home in
            simulator.setSchedule(.seconds(queued: 0, running: 0.5), for: .fal)
            // Submitted 420 s "ago" with a 600 s deadline: 180 s to reach fal and wait there, even on a machine loaded by
            // the whole suite (60 s was not always enough).
            let created = Date().addingTimeInterval(-420)
            let id = try await home.store.enqueue(video("fal", deadline: 600), now: created).job.id
            try await home.run(id: "first") { store in
                guard let job = try? await store.job(id) else { return true }
                return job.state == .waiting || job.state.isFinal
            }
            try #require(try await home.store.job(id)?.state == .waiting)
            // No worker comes back before the deadline; the generation is long finished by then.
            try await Task.sleep(for: .seconds(max(0, created.addingTimeInterval(601).timeIntervalSinceNow)))
            try await home.runUntilFinal([id])
            let job = try #require(try await home.store.job(id))
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(simulator.requests(.fal).filter { $0.method == "POST" }.count == 1)
            #expect(!simulator.requests(.fal).contains { $0.method == "PUT" })
            let notes = try await home.store.events(id, after: nil).map(\.detail)
            #expect(notes.contains { $0.hasPrefix("past its deadline") }, "\(notes)")
            #expect(try await home.store.costs(id).count == 1)
        }
    }

    @Test("a job already past its deadline times out without running; a retry by request gets a fresh deadline")
    func deadlineCountsFromRetry() async throws {
        try await withSimulator { _, home in
            var spec = JobSpec(kind: .tts, provider: "local", input: JobInput(text: "The quick brown fox jumps over the lazy dog."))
            spec.deadlineSeconds = 600
            let id = try await home.store.enqueue(spec, now: Date().addingTimeInterval(-700)).job.id
            try await home.runUntilFinal([id])
            let late = try #require(try await home.store.job(id))
            #expect(late.state == .failed)
            #expect(late.error?.code == "job.timeout")
            #expect(try await home.store.events(id, after: nil).allSatisfy { $0.kind != .stage }, "it never ran")
            try await home.store.retry(id, now: Date())
            try await home.runUntilFinal([id])
            let retried = try #require(try await home.store.job(id))
            #expect(retried.state == .succeeded, "\(retried.error?.description ?? "")")
        }
    }

    @Test("a worker started later polls the jobs an earlier one left waiting, and nothing is submitted twice")
    func resumesWaitingOnStart() async throws {
        try await withSimulator { simulator, home in
            simulator.setSchedule(.polls(queued: 2, running: 2), for: .fal)
            let id = try await home.submitter.submit(video("fal")).job.id
            try await home.run(id: "first") { store in [.waiting, .succeeded, .failed, .canceled].contains((try? await store.job(id))?.state ?? .failed) }
            let restarted = try OrchestrationHome(simulator: simulator, root: home.root)
            try await restarted.runUntilFinal([id])
            let job = try #require(try await restarted.store.job(id))
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(job.attempts == 1)
            #expect(simulator.requests(.fal).filter { $0.method == "POST" }.count == 1)
            let pollers = try await restarted.store.events(id, after: nil).filter { $0.kind == .claimed }.compactMap(\.worker)
            #expect(pollers.contains("first") && pollers.contains("orch-worker"), "\(pollers)")
        }
    }

    @Test("a create request with an unknown outcome is not sent again, unless the job accepts a second charge")
    func outcomeUnknown() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.connectionReset, count: 2, provider: .fal, method: "POST")
            let careful = try await home.submitter.submit(video("fal")).job.id
            try await home.runUntilFinal([careful])
            let failed = try #require(try await home.store.job(careful))
            #expect(failed.state == .failed)
            #expect(failed.error?.code == "provider.outcome_unknown")
            #expect(failed.error?.message.contains("allow_duplicate_charge") == true)
            #expect(simulator.requests(.fal).filter { $0.method == "POST" }.count == 1)

            var spec = video("fal")
            spec.allowDuplicateCharge = true
            let willing = try await home.submitter.submit(spec).job.id
            try await home.runUntilFinal([willing])
            let job = try #require(try await home.store.job(willing))
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(job.attempts == 2)
            #expect(simulator.requests(.fal).filter { $0.method == "POST" }.count == 3)
        }
    }
}
