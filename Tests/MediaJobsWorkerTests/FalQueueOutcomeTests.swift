import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsWorker
import Testing

/// What the simulator saw of one fal request, in order: its status reads and result fetches.
struct FalTrail {
    enum Step: Equatable {
        case status(Int), result(Int)
    }

    var requestID: String
    var steps: [Step]

    /// The trail of the `index`-th request created at fal.
    init(_ simulator: Simulator, index: Int = 0) throws {
        let creates = simulator.requests(.fal).filter { $0.method == "POST" }
        let answer = try #require(creates.dropFirst(index).first?.answer, "no create request \(index) at fal")
        let object = try #require(try JSONSerialization.jsonObject(with: answer) as? [String: Any])
        requestID = try #require(object["request_id"] as? String)
        let id = requestID
        steps = simulator.requests(.fal).filter { $0.method == "GET" && $0.path.contains("/requests/\(id)") }.map {
            $0.path.hasSuffix("/status") ? .status($0.status) : .result($0.status)
        }
    }

    /// Whether the request was left alone after the status that said `COMPLETED` (fal answers it 200, the others 202)
    /// and the one fetch of its result that followed, answered `status`.
    func endsAtCompletion(resultStatus status: Int) -> Bool {
        guard let completed = steps.firstIndex(of: .status(200)) else { return false }
        return Array(steps[completed...]) == [.status(200), .result(status)]
    }
}

@Suite("fal's queue: a COMPLETED request whose result is an error ends its attempt at once, classified")
struct FalQueueOutcomeTests {
    @Test("a failed generation (COMPLETED, result 500 with the model's error) fails at that poll: provider.generation_failed")
    func generationFailed() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.jobFailure("CUDA out of memory"), count: 1, provider: .fal, method: "POST")
            var spec = RemoteCase.first("fal", .image).spec()
            spec.maxAttempts = 1
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .failed)
            #expect(job.error?.code == MediaJobsError.Code.providerGenerationFailed.rawValue, "\(job.error?.description ?? "")")
            #expect(job.error?.message.contains("CUDA out of memory") == true, "\(job.error?.message ?? "")")
            #expect(job.error?.message.contains("internal_server_error") == true, "\(job.error?.message ?? "")")
            let trail = try FalTrail(simulator)
            #expect(trail.endsAtCompletion(resultStatus: 500), "\(trail.steps)")
            // Nothing was billed, and nothing is in the ledger as paid.
            #expect(simulator.totalBilled == 0)
            #expect(try await home.store.costs(id).allSatisfy { $0.usd == nil || $0.usd?.decimal == 0 || !$0.charged })
        }
    }

    @Test("a failed generation is tried again by a new attempt, which buys a new one")
    func generationFailedRetried() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.jobFailure("CUDA out of memory"), count: 1, provider: .fal, method: "POST")
            let id = try await home.submitter.submit(RemoteCase.first("fal", .image).spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(job.attempts == 2)
            let trail = try FalTrail(simulator)
            #expect(trail.endsAtCompletion(resultStatus: 500), "\(trail.steps)")
            let events = try await home.store.events(id, after: nil)
            #expect(events.contains { $0.kind == .retryScheduled && $0.detail.contains("provider.generation_failed") },
                    "\(events.map(\.detail))")
        }
    }

    @Test("an expired result (COMPLETED, result 410) fails at that poll: provider.generation_expired, the paid generation in the ledger")
    func generationExpired() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.resultExpired, count: 1, provider: .fal, method: "POST")
            var spec = RemoteCase.first("fal", .image).spec()
            spec.maxAttempts = 1
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .failed)
            #expect(job.error?.code == MediaJobsError.Code.providerGenerationExpired.rawValue, "\(job.error?.description ?? "")")
            let trail = try FalTrail(simulator)
            #expect(trail.endsAtCompletion(resultStatus: 410), "\(trail.steps)")
            // fal billed the generation it finished; the ledger says so.
            #expect(simulator.totalBilled > 0)
            let costs = try await home.store.costs(id)
            #expect(costs.count == 1 && costs.first?.usd != nil, "\(costs)")
        }
    }

    @Test("a request cancelled at fal fails with provider.canceled and is not submitted again")
    func canceledAtProvider() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.canceledAtProvider, count: 1, provider: .fal, method: "POST")
            let id = try await home.submitter.submit(RemoteCase.first("fal", .video).spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .failed)
            #expect(job.attempts == 1)
            #expect(job.error?.code == MediaJobsError.Code.providerCanceled.rawValue, "\(job.error?.description ?? "")")
            #expect(simulator.requests(.fal).filter { $0.method == "POST" }.count == 1)
            let trail = try FalTrail(simulator)
            #expect(trail.endsAtCompletion(resultStatus: 499), "\(trail.steps)")
            #expect(simulator.totalBilled == 0)
        }
    }

    @Test("a generation cancelled at OpenRouter or Replicate fails with provider.canceled too",
          arguments: [(RemoteCase.first("openrouter", .video), SimulatedProvider.openrouter, "/videos"),
                      (RemoteCase.first("replicate", .video), SimulatedProvider.replicate, "/models")])
    func canceledElsewhere(_ remote: RemoteCase, _ provider: SimulatedProvider, _ path: String) async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.canceledAtProvider, count: 1, provider: provider, path: path, method: "POST")
            let id = try await home.submitter.submit(remote.spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .failed)
            #expect(job.error?.code == MediaJobsError.Code.providerCanceled.rawValue, "\(job.error?.description ?? "")")
            #expect(simulator.requests(provider).filter { $0.method == "POST" }.count == 1)
        }
    }
}
