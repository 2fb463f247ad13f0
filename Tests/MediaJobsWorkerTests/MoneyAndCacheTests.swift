import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// The simulator on a free loopback port and a home pointed at it, with `config` as its config.json.
private func withSimulatorHome(
    config: String? = nil, _ body: (Simulator, RemoteHome) async throws -> Void
) async throws {
    let simulator = try await Simulator.start()
    do {
        let key = "sk-sim-key-000"
        let keys = ["OPENROUTER_API_KEY": key, "OPENAI_API_KEY": key, "FAL_KEY": key, "REPLICATE_API_TOKEN": key]
        let home = try RemoteHome(environment: simulator.environment.merging(keys) { $1 })
        defer { home.remove() }
        if let config { try home.writeConfig(config) }
        try await body(simulator, home)
    } catch {
        await simulator.stop()
        throw error
    }
    await simulator.stop()
}

extension RemoteHome {
    func writeConfig(_ json: String) throws {
        try Data(json.utf8).write(to: root.appendingPathComponent("config.json"))
    }

    /// What the catalog says `spec` costs on its first route.
    func estimate(_ spec: JobSpec) throws -> Money? {
        let (provider, model) = try providers.resolve(spec.routes[0], for: spec)
        return provider.estimate(ProviderRequest(jobID: JobID(rawValue: "estimate"), attempt: 1, spec: spec, model: model,
                                                 audioFile: nil, workDirectory: root)).usd
    }
}

@Suite("budgets and the result cache, against the simulator over loopback")
struct MoneyAndCacheTests {
    static func speech(_ text: String, maxCost: String? = nil) -> JobSpec {
        JobSpec(kind: .tts, provider: "openai", input: JobInput(text: text), maxCostUSD: maxCost.flatMap { Money(usd: $0) })
    }

    @Test("a job whose estimate exceeds its max_cost_usd fails before the simulator sees any request")
    func maxCostRefusedBeforeAnyRequest() async throws {
        try await withSimulatorHome { simulator, home in
            let spec = Self.speech("This sentence costs more than a millionth of a dollar.", maxCost: "0.000001")
            let estimate = try #require(try home.estimate(spec))
            #expect(estimate > Money(usd: "0.000001")!)
            // Submission refuses it at once...
            do {
                _ = try await home.submitter.submit(spec)
                Issue.record("expected budget.exceeded at submit")
            } catch let error as MediaJobsError {
                #expect(error.code == .budgetExceeded)
                #expect(error.message.contains("max_cost_usd") && error.message.contains("$\(estimate)"), "\(error.message)")
            }
            #expect(try await home.store.jobs(JobFilter()).isEmpty)
            // ...and a job that reached the queue anyway (another client, an older binary) fails in the worker.
            var resolved = spec
            resolved.model = try home.providers.resolve(spec.routes[0], for: spec).model
            let id = try await home.store.enqueue(resolved, now: Date()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .failed)
            #expect(job.attempts == 1)
            #expect(job.error?.code == MediaJobsError.Code.budgetExceeded.rawValue)
            #expect(job.error?.message.contains("no request was sent") == true, "\(job.error?.message ?? "")")
            #expect(simulator.requests(.openai).isEmpty)
            #expect(try await home.store.costs(id).isEmpty)
        }
    }

    @Test("a provider's daily budget counts what earlier jobs cost today")
    func dailyBudgetAcrossJobs() async throws {
        try await withSimulatorHome(config: #"{"budgets": {"daily_usd": 10, "providers": {"openai": {"daily_usd": 1}}}}"#) {
            simulator, home in
            let first = try await home.submitter.submit(Self.speech("The first job fits in the budget.")).job.id
            #expect(try await home.runUntilFinal(first).state == .succeeded)
            let notes = try await home.store.events(first, after: nil).map(\.detail)
            #expect(notes.contains { $0.contains("within budgets.daily_usd, budgets.providers.openai.daily_usd") }, "\(notes)")
            let firstCost = try #require(try await home.store.costs(first).first)
            let spent = try #require(firstCost.usd)
            // Tighten the budget to what was spent plus a little: the same-length second job no longer fits.
            let second = Self.speech("The other job goes over budget.")
            let estimate = try #require(try home.estimate(second))
            let limit = Money(picos: spent.picos + estimate.picos / 2)
            try home.writeConfig(#"{"budgets": {"providers": {"openai": {"daily_usd": \#(limit)}}}}"#)
            let id = try await home.submitter.submit(second).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .failed)
            #expect(job.error?.code == MediaJobsError.Code.budgetExceeded.rawValue)
            let message = job.error?.message ?? ""
            #expect(message.contains("budgets.providers.openai.daily_usd") && message.contains("$\(spent) was spent on openai today")
                    && message.contains("limit of $\(limit)"), "\(message)")
            #expect(simulator.requests(.openai, path: "/audio/speech").count == 1)
        }
    }

    @Test("a remote transcription under a budget is priced by its audio seconds, so it runs and fits")
    func transcriptionPricedByItsLength() async throws {
        try await withSimulatorHome(config: #"{"budgets": {"daily_usd": 1}}"#) { simulator, home in
            let spec = JobSpec(kind: .transcribe, provider: "openai", model: "whisper-1",
                               input: JobInput(audio: repository.appendingPathComponent("Samples/speech.wav").path),
                               maxCostUSD: Money(usd: "0.01"))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let notes = try await home.store.events(id, after: nil).map(\.detail)
            // whisper-1 is $0.0001 per audio second; the sample is 7.0 s long.
            #expect(notes.contains { $0.contains("estimate for openai/whisper-1: $0.0007005, within max_cost_usd, budgets.daily_usd") }, "\(notes)")
            #expect(simulator.requests(.openai, path: "/audio/transcriptions").count == 1)
        }
    }

    @Test("an unknown price is refused against a budget, at submit and again in the worker, never taken as 0")
    func unknownPriceAgainstBudget() async throws {
        try await withSimulatorHome(config: #"{"budgets": {"monthly_usd": 100}}"#) { simulator, home in
            let spec = JobSpec(kind: .video, provider: "replicate", model: "someone/new-video-model",
                               input: JobInput(prompt: "waves on rocks"))
            #expect(try home.estimate(spec) == nil)
            await #expect(throws: MediaJobsError.self) { _ = try await home.submitter.submit(spec) }
            // A job that reached the queue anyway (another client, an older binary) is refused before any request.
            let id = try await home.store.enqueue(spec, now: Date()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .failed)
            #expect(job.error?.code == MediaJobsError.Code.budgetExceeded.rawValue)
            let message = job.error?.message ?? ""
            #expect(message.contains("unknown") && message.contains("budgets.monthly_usd ($100)")
                    && message.contains("config.json: catalog.models[].prices") && message.contains("no request was sent"),
                    "\(message)")
            #expect(simulator.requests(.replicate).isEmpty)
        }
    }

    @Test("the same tts job twice: the second is a cache hit with no provider request and no cost")
    func sameSpeechTwiceIsACacheHit() async throws {
        try await withSimulatorHome { simulator, home in
            let first = try await home.submitter.submit(Self.speech("Say this only once, please.")).job.id
            #expect(try await home.runUntilFinal(first).state == .succeeded)
            // The same words with other spacing are the same request.
            let second = try await home.submitter.submit(Self.speech("  Say this only once,\n please. ")).job.id
            let job = try await home.runUntilFinal(second)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(simulator.requests(.openai, path: "/audio/speech").count == 1)
            let costs = try await home.store.costs(second)
            #expect(costs.count == 1)
            #expect(costs.first?.source == .cached && costs.first?.usd == .zero && costs.first?.charged == false)
            let original = try await home.store.artifacts(first).filter { $0.role == .output }.map(\.sha256)
            let reused = try await home.store.artifacts(second).filter { $0.role == .output }.map(\.sha256)
            #expect(!original.isEmpty && reused == original)
            let notes = try await home.store.events(second, after: nil).map(\.detail)
            #expect(notes.contains("cache hit from job \(first)"), "\(notes)")
        }
    }

    @Test("cache: false (submit --no-cache) asks the provider again; a missing artifact is no hit")
    func cacheOff() async throws {
        try await withSimulatorHome { simulator, home in
            let first = try await home.submitter.submit(Self.speech("Say this twice.")).job.id
            #expect(try await home.runUntilFinal(first).state == .succeeded)
            var again = Self.speech("Say this twice.")
            again.cache = false
            let second = try await home.submitter.submit(again).job.id
            #expect(try await home.runUntilFinal(second).state == .succeeded)
            #expect(simulator.requests(.openai, path: "/audio/speech").count == 2)
            #expect(try await home.store.costs(second).allSatisfy { $0.source != .cached })
            // With every stored output gone, a third identical job cannot be answered from the cache.
            for artifact in try await home.store.artifacts(first) + home.store.artifacts(second) where artifact.role == .output {
                try? FileManager.default.removeItem(at: try home.artifacts.url(for: artifact.sha256))
            }
            let third = try await home.submitter.submit(Self.speech("Say this twice.")).job.id
            #expect(try await home.runUntilFinal(third).state == .succeeded)
            #expect(simulator.requests(.openai, path: "/audio/speech").count == 3)
        }
    }
}

@Suite("the budgets section of config.json")
struct BudgetsConfigurationTests {
    private func budgets(_ json: String) throws -> BudgetsConfiguration {
        try Configuration(json: Data(json.utf8)).section(BudgetsConfiguration.self)
    }

    private func message(_ json: String) -> String {
        do {
            _ = try budgets(json)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test("the example in docs parses into limits per UTC day and month")
    func example() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/config.example.json")
        let section = try Configuration(json: try Data(contentsOf: url)).section(BudgetsConfiguration.self)
        let now = Date(timeIntervalSince1970: 1_795_685_400)  // 2026-11-26T09:30:00Z
        let limits = section.limits(for: "fal", now: now)
        #expect(limits.map(\.name) == ["budgets.daily_usd", "budgets.monthly_usd", "budgets.providers.fal.daily_usd"])
        #expect(limits.map(\.limit) == [Money(usd: "5")!, Money(usd: "50")!, Money(usd: "2")!])
        #expect(limits[0].since == Date(timeIntervalSince1970: 1_795_651_200))  // 2026-11-26T00:00:00Z
        #expect(limits[1].since == Date(timeIntervalSince1970: 1_793_491_200))  // 2026-11-01T00:00:00Z
        #expect(limits[2].provider == "fal")
        #expect(section.limits(for: "local", now: now).count == 2)
        #expect(BudgetsConfiguration.defaults.limits(for: "fal", now: now).isEmpty)
    }

    @Test("typos, unknown providers and negative amounts are refused, naming the field")
    func refused() {
        #expect(message(#"{"budgets": {"daily": 5}}"#).contains("config.json: budgets.daily: unknown field"))
        #expect(message(#"{"budgets": {"providers": {"fal": {"daily_usdd": 1}}}}"#)
            .contains("config.json: budgets.providers.fal.daily_usdd: unknown field"))
        #expect(message(#"{"budgets": {"providers": {"fall": {"daily_usd": 1}}}}"#)
            .contains("'fall' is not a provider"))
        #expect(message(#"{"budgets": {"monthly_usd": -1}}"#).contains("budgets.monthly_usd: must not be negative"))
    }
}
