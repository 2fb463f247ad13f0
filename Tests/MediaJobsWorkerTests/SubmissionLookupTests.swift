import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// Create requests the simulator received for `provider` (Replicate's `POST …/predictions`, fal's `POST /{model}`).
private func creates(_ simulator: Simulator, _ provider: SimulatedProvider) -> [RecordedRequest] {
    simulator.requests(provider).filter { request in
        request.method == "POST" && !request.path.hasSuffix("/cancel")
    }
}

private func notes(_ home: RemoteHome, _ id: JobID) async throws -> [String] {
    try await home.store.events(id, after: nil).map(\.detail)
}

@Suite("a lost create request is looked up at the provider before anything is sent again")
struct SubmissionLookupTests {
    @Test("Replicate: a create answer cut by a reset is found in the prediction list and polled; one create request")
    func resetAnswerFoundAtReplicate() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.connectionReset, count: 1, provider: .replicate, path: "/models", method: "POST")
            let id = try await home.submitter.submit(RemoteCase.first("replicate", .image).spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(job.attempts == 1)
            #expect(simulator.requests.contains { $0.fault == "reset" }, "the fault never fired")
            #expect(creates(simulator, .replicate).count == 1)
            #expect(simulator.requests(.replicate).contains { $0.method == "GET" && $0.path.hasSuffix("/v1/predictions") })

            let story = try await notes(home, id)
            let found = try #require(story.first { $0.hasPrefix("found the submission at replicate: ") }, "\(story)")
            #expect(found.hasSuffix("; polling it instead of sending again"), "\(found)")
            let predictionID = String(found.dropFirst("found the submission at replicate: ".count).prefix { $0 != ";" })
            #expect(simulator.requests(.replicate).contains { $0.method == "GET" && $0.path.hasSuffix("/predictions/\(predictionID)") },
                    "the found prediction was polled")
            #expect(try await home.store.costs(id).count == 1)
        }
    }

    @Test("Replicate: when an identical request was sent shortly before, the newest match is taken, and the event says so")
    func severalMatchesTakeTheNewest() async throws {
        try await withSimulator { simulator, home in
            let spec = RemoteCase.first("replicate", .image).spec()
            // The same request sent just before, straight through the adapter (a whole earlier job, collected and
            // validated, can take longer than the look-up's 30 s allowance on a loaded machine).
            let replicate = try home.providers.provider(named: "replicate")
            let model = try #require(replicate.defaultModel(for: .image))
            let scratch = home.root.appendingPathComponent("earlier")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            _ = try await replicate.start(ProviderRequest(
                jobID: JobID(rawValue: "earlier"), attempt: 1, spec: spec, model: model, audioFile: nil,
                workDirectory: scratch))
            simulator.inject(.connectionReset, count: 1, provider: .replicate, path: "/models", method: "POST")
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(creates(simulator, .replicate).count == 2, "one per job")
            let story = try await notes(home, id)
            let found = try #require(story.first { $0.hasPrefix("found the submission at replicate: ") }, "\(story)")
            #expect(found.contains("(2 generations of this very request matched; took the newest)"), "\(found)")
        }
    }

    @Test("fal cannot list its requests: a create answer cut by a reset still fails the job naming the risk")
    func resetAnswerAtFalFails() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.connectionReset, count: 1, provider: .fal, method: "POST")
            let id = try await home.submitter.submit(RemoteCase.first("fal", .image).spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .failed)
            #expect(job.attempts == 1)
            #expect(job.error?.code == MediaJobsError.Code.providerOutcomeUnknown.rawValue)
            let message = job.error?.message ?? ""
            #expect(message.contains("fal offers no way to look the submission up"), "\(message)")
            #expect(message.contains("allow_duplicate_charge"), "\(message)")
            #expect(creates(simulator, .fal).count == 1)
            #expect(try await notes(home, id).allSatisfy { !$0.hasPrefix("found the submission") })
        }
    }

    @Test("Replicate: when the look-up itself fails, the job fails as before, saying the look-up found nothing")
    func failedLookupKeepsTheRule() async throws {
        try await withSimulator { simulator, home in
            simulator.inject(.connectionReset, count: 1, provider: .replicate, path: "/models", method: "POST")
            simulator.inject(.status(500), count: 1, provider: .replicate, path: "/predictions", method: "GET")
            let id = try await home.submitter.submit(RemoteCase.first("replicate", .image).spec()).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .failed)
            #expect(job.error?.code == MediaJobsError.Code.providerOutcomeUnknown.rawValue)
            let message = job.error?.message ?? ""
            #expect(message.contains("the look-up at replicate found nothing"), "\(message)")
            #expect(message.contains("HTTP 500"), "\(message)")
            #expect(message.contains("allow_duplicate_charge"), "\(message)")
            #expect(creates(simulator, .replicate).count == 1)
        }
    }

    @Test("a worker that died between sending a Replicate create request and storing its answer: the next attempt finds the prediction")
    func rescuedAttemptAdoptsPrediction() async throws {
        try await withSimulator { simulator, home in
            let spec = RemoteCase.first("replicate", .image).spec()
            let id = try await home.submitter.submit(spec).job.id
            let (provider, model) = try home.providers.resolve(Route(provider: "replicate"), for: spec)

            // The worker that dies: it claims the job, marks the submission, sends the create request (with the
            // real adapter, which gets its answer), and is gone before storing anything.
            let claimedAt = Date()
            let claimed = try #require(try await home.store.claim(worker: "doomed", now: claimedAt,
                                                                  leaseExpiry: claimedAt.addingTimeInterval(1)))
            #expect(claimed.id == id)
            try await home.store.markSubmissionStarted(id, worker: "doomed", detail: "replicate/\(model)", cost: nil, now: Date())
            let scratch = home.root.appendingPathComponent("doomed-work")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            _ = try await provider.start(ProviderRequest(jobID: id, attempt: claimed.attempts, spec: spec, model: model,
                                                         audioFile: nil, workDirectory: scratch))
            #expect(creates(simulator, .replicate).count == 1)
            #expect(try await home.store.rescueExpiredLeases(now: claimedAt.addingTimeInterval(2)) == 1)
            let risk = try #require(try await home.store.submissionRisks().first)
            #expect(risk.jobID == id && risk.attempt == 1 && risk.resolution == nil)
            #expect(risk.route == "replicate/\(model)")
            #expect(risk.submittedAt != nil)

            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(job.attempts == 2)
            #expect(creates(simulator, .replicate).count == 1, "no second create request")
            let story = try await notes(home, id)
            #expect(story.contains { $0.hasPrefix("found the submission at replicate: ") && $0.contains("attempt 1 sent it") },
                    "\(story)")
            let settled = try #require(try await home.store.submissionRisks().first)
            #expect(settled.resolution == .foundAtProvider)
            #expect(settled.resolutionDetail?.hasPrefix("replicate generation ") == true)
            #expect(try await home.store.unsettledSubmissionRisk(id) == nil)
        }
    }

    @Test("a rescued Replicate attempt whose create request never landed: the risk is settled as absent, and it submits")
    func rescuedAttemptFindsNothing() async throws {
        try await withSimulator { simulator, home in
            let spec = RemoteCase.first("replicate", .image).spec()
            let id = try await home.submitter.submit(spec).job.id
            let (_, model) = try home.providers.resolve(Route(provider: "replicate"), for: spec)
            let claimedAt = Date()
            _ = try #require(try await home.store.claim(worker: "doomed", now: claimedAt,
                                                        leaseExpiry: claimedAt.addingTimeInterval(1)))
            // Marked, then died before the request left: Replicate has nothing.
            try await home.store.markSubmissionStarted(id, worker: "doomed", detail: "replicate/\(model)", cost: nil, now: Date())
            #expect(try await home.store.rescueExpiredLeases(now: claimedAt.addingTimeInterval(2)) == 1)

            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            #expect(creates(simulator, .replicate).count == 1)
            let settled = try #require(try await home.store.submissionRisks().first)
            #expect(settled.resolution == .absentAtProvider)
            #expect(try await notes(home, id).allSatisfy { !$0.hasPrefix("found the submission") })
        }
    }
}
