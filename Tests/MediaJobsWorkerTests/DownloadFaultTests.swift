import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// A finished generation's result, broken on its way down, and where it is fetched from.
struct DownloadFaultCase: Sendable, CustomTestStringConvertible {
    var fault: Fault
    var remote: RemoteCase
    var provider: SimulatedProvider
    /// The download's path (after the provider's base), as a fault rule matches it.
    var path: String

    var testDescription: String { "\(fault) on \(remote.provider) \(path)" }

    static let faults: [Fault] = [
        .connectionReset, .truncatedBody, .corruptMedia, .wrongContentType, .mislabelled(contentType: "text/html"),
    ]
    static let downloads: [(RemoteCase, SimulatedProvider, String)] = [
        (.first("openrouter", .video), .openrouter, "/videos/*/content"),
        (.first("fal", .image), .fal, "/files/"),
        (.first("replicate", .image), .replicate, "/files/"),
    ]
    static let all: [DownloadFaultCase] = downloads.flatMap { remote, provider, path in
        faults.map { DownloadFaultCase(fault: $0, remote: remote, provider: provider, path: path) }
    }
}

@Suite("a paid result is downloaded again, never bought again; an answer is judged by its bytes, not its label")
struct DownloadFaultTests {
    /// The job's ledger against what the simulator billed: equal for reported amounts, within 2 % for estimates.
    static func expectLedgerMatchesBill(_ costs: [CostRecord], _ simulator: Simulator, _ what: String) {
        let billed = simulator.totalBilled
        #expect(billed > 0, "\(what): the simulator billed nothing")
        #expect(costs.allSatisfy { $0.source != .unknown && $0.usd != nil }, "\(what): \(costs)")
        let recorded = costs.reduce(Decimal(0)) { $0 + ($1.usd?.decimal ?? 0) }
        if costs.allSatisfy({ $0.source == .reported }) {
            #expect(recorded == billed, "\(what): ledger \(recorded), billed \(billed)")
        } else {
            let gap = abs(NSDecimalNumber(decimal: recorded - billed).doubleValue)
            #expect(gap <= 0.02 * NSDecimalNumber(decimal: billed).doubleValue,
                    "\(what): ledger \(recorded) (\(costs)), billed \(billed) (\(simulator.billing()))")
        }
    }

    static func creates(_ simulator: Simulator, _ provider: SimulatedProvider) -> Int {
        simulator.requests(provider).filter { $0.method == "POST" }.count
    }

    @Test("the job succeeds with one create request, and its ledger is what was billed", arguments: DownloadFaultCase.all)
    func downloadedAgain(_ fault: DownloadFaultCase) async throws {
        try await withSimulator { simulator, home in
            simulator.inject(fault.fault, count: 1, provider: fault.provider, path: fault.path, method: "GET")
            let id = try await home.submitter.submit(fault.remote.spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(job.attempts == 1)
            #expect(simulator.requests.contains { $0.fault == fault.fault.description }, "the fault never fired")
            #expect(Self.creates(simulator, fault.provider) == 1, "\(simulator.requests(fault.provider).map(\.path))")
            Self.expectLedgerMatchesBill(try await home.store.costs(id), simulator, "\(fault)")
            let notes = try await home.store.events(id, after: nil).map(\.detail)
            let output = try #require(try await home.store.artifacts(id).first { $0.role == .output })
            if case .mislabelled = fault.fault {
                // Valid bytes under a wrong label: used at once, the mismatch noted.
                #expect(output.checks.contains { $0.name == "label" && !$0.passed }, "\(output.checks)")
                #expect(!notes.contains { $0.contains("downloaded again") }, "\(notes)")
            } else {
                #expect(notes.contains { $0.contains("download 1 of 4") && $0.contains("not bought again") }, "\(notes)")
            }
        }
    }

    @Test("OpenRouter speech labelled text/html whose bytes are MP3 succeeds after one request, with a check note")
    func mislabelledSpeech() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.mislabelled(contentType: "text/html; charset=utf-8"), count: 1, provider: .openrouter,
                             path: "/audio/speech")
            let id = try await home.submitter.submit(RemoteCase.first("openrouter", .tts).spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(job.attempts == 1)
            #expect(simulator.requests(.openrouter, path: "/audio/speech").count == 1)
            #expect(simulator.requests(.openrouter, path: "/audio/speech").first?.fault != nil, "the fault never fired")
            let output = try #require(try await home.store.artifacts(id).first { $0.role == .output })
            let label = try #require(output.checks.first { $0.name == "label" }, "\(output.checks)")
            #expect(label.detail.contains("html") && label.detail.contains("mp3"), "\(label.detail)")
            Self.expectLedgerMatchesBill(try await home.store.costs(id), simulator, "openrouter speech")
        }
    }

    @Test("a worker lost between downloads leaves the handle: another worker downloads again, nothing is bought again")
    func downloadSurvivesWorker() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.corruptMedia, count: 1, provider: .fal, path: "/files/", method: "GET")
            let id = try await home.submitter.submit(RemoteCase.first("fal", .image).spec()).job.id
            let store = home.store
            // The first worker stops as soon as the bad download is recorded (the job waits on its handle).
            let first = Worker(store: store, pipeline: home.pipeline,
                               configuration: WorkerConfiguration(id: "first", concurrency: 1), logger: home.logs.logger)
            try await first.run(until: {
                let notes = (try? await store.events(id, after: nil).map(\.detail)) ?? []
                let ended = (try? await store.job(id))?.state.isFinal ?? true
                return ended || notes.contains { $0.contains("download 1 of 4") }
            })
            let waiting = try #require(try await store.job(id))
            #expect(waiting.state == .waiting)
            #expect(waiting.providerHandle?.contains("\"bad_downloads\":1") == true, "\(waiting.providerHandle ?? "")")
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(Self.creates(simulator, .fal) == 1)
            Self.expectLedgerMatchesBill(try await store.costs(id), simulator, "fal image")
        }
    }

    @Test("a result that stays broken ends the job after the policy's downloads, not bought again, paid in the ledger")
    func downloadsSpent() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.corruptMedia, count: 4, provider: .fal, path: "/files/", method: "GET")
            let id = try await home.submitter.submit(RemoteCase.first("fal", .image).spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .failed)
            #expect(job.error?.code == MediaJobsError.Code.providerDownloadFailed.rawValue, "\(job.error?.description ?? "")")
            #expect(simulator.requests(.fal, path: "/files/").count == 4)
            #expect(Self.creates(simulator, .fal) == 1)
            Self.expectLedgerMatchesBill(try await home.store.costs(id), simulator, "fal image")
        }
    }

    @Test("a result gone at the provider (404) is bought again within the budget, both purchases in the ledger")
    func resultGone() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.status(404), count: 1, provider: .fal, path: "/files/", method: "GET")
            var spec = RemoteCase.first("fal", .image).spec()
            spec.maxCostUSD = Money(usd: "0.05")
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(Self.creates(simulator, .fal) == 2)
            let costs = try await home.store.costs(id)
            #expect(costs.count == 2, "\(costs)")
            Self.expectLedgerMatchesBill(costs, simulator, "fal image")
            let notes = try await home.store.events(id, after: nil).map(\.detail)
            #expect(notes.contains { $0.contains("provider.result_gone") || $0.contains("gone at the provider") }, "\(notes)")
        }
    }

    @Test("the download policy: growing delays, at least Retry-After, bounded")
    func policy() {
        let policy = DownloadRetryPolicy(maxAttempts: 4, delays: [1, 5, 20])
        #expect(policy.delay(afterFailures: 1) == 1)
        #expect(policy.delay(afterFailures: 2, retryAfter: 7) == 7)
        #expect(policy.delay(afterFailures: 3) == 20)
        #expect(policy.delay(afterFailures: 4) == nil)
        #expect(DownloadRetryPolicy(maxAttempts: 6, delays: [1, 2]).delay(afterFailures: 5) == 2)
    }
}
