import Foundation
import MediaJobsCore
import Testing
@testable import MediaJobsStore

@Suite("the store contract: Retry-After, pool claims, shared provider limits, submission risks")
struct OrchestrationStoreTests {
    @Test("a retryable failure with Retry-After goes back to the queue no sooner than it", arguments: Backend.all)
    func retryAfterIsTheEarliestRunTime(_ backend: Backend) async throws {
        try await withStore(backend, retryPolicy: RetryPolicy(baseDelay: 2, maxDelay: 100, jitter: 0)) { store, _ in
            let id = try await store.enqueue(tts(), now: t0).job.id
            _ = try #require(try await store.claim(worker: "a", now: t0, leaseExpiry: t0 + 30))
            let job = try await store.fail(id, worker: "a", error: MediaJobsError(.rateLimited, "HTTP 429"), retryable: true,
                                           costs: [], notBefore: t0 + 90, now: t0)
            #expect(job.state == .queued)
            #expect(job.runAt >= t0 + 90)
            #expect(try await store.claim(worker: "b", now: t0 + 89, leaseExpiry: t0 + 120) == nil)
            #expect(try await store.claim(worker: "b", now: t0 + 90, leaseExpiry: t0 + 120)?.id == id)
            let notes = try await store.events(id, after: nil).map(\.detail)
            #expect(notes.contains { $0.contains("Retry-After") }, "\(notes)")
        }
    }

    @Test("backoff per error class: a 429 waits at least 5 s, a bad output half the base, others the base", arguments: Backend.all)
    func backoffPerErrorClass(_ backend: Backend) async throws {
        try await withStore(backend, retryPolicy: RetryPolicy(baseDelay: 2, maxDelay: 100, jitter: 0)) { store, _ in
            let codes: [MediaJobsError.Code] = [.rateLimited, .providerFailed, .mediaInvalidOutput]
            var ids: [JobID] = []
            for code in codes { ids.append(try await store.enqueue(tts(code.rawValue), now: t0).job.id) }
            _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 30, limit: 3)
            var delays: [TimeInterval] = []
            for (id, code) in zip(ids, codes) {
                let job = try await store.fail(id, worker: "w", error: MediaJobsError(code, "failed"), retryable: true,
                                               costs: [], now: t0)
                delays.append(job.runAt.timeIntervalSince(t0))
            }
            #expect(delays == [5, 2, 1])
        }
    }

    @Test("the poll pool claims only due waiting jobs, the work pool only queued ones", arguments: Backend.all)
    func poolClaims(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let queued = try await store.enqueue(tts("queued", priority: 9), now: t0).job.id
            let polled = try await store.enqueue(tts("polled"), now: t0).job.id
            let later = try await store.enqueue(tts("later"), now: t0).job.id
            #expect(try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 30, limit: 5, scope: .queued).count == 3)
            // Every job is running now; move two of them to waiting, one due soon and one later.
            try await store.release(queued, worker: "w", now: t0)
            try await store.wait(polled, worker: "w", handle: "{}", pollAt: t0 + 5, now: t0)
            try await store.wait(later, worker: "w", handle: "{}", pollAt: t0 + 500, now: t0)
            #expect(try await store.claim(worker: "p", now: t0 + 1, leaseExpiry: t0 + 60, limit: 5, scope: .duePolls).isEmpty)
            let polls = try await store.claim(worker: "p", now: t0 + 6, leaseExpiry: t0 + 60, limit: 5, scope: .duePolls)
            #expect(polls.map(\.id) == [polled])
            #expect(polls.first?.attempts == 1, "a poll does not start an attempt")
            let work = try await store.claim(worker: "h", now: t0 + 600, leaseExpiry: t0 + 660, limit: 5, scope: .queued)
            #expect(work.map(\.id) == [queued])
        }
    }

    @Test("a waiting job is polled by a store opened later on the same file (a restarted worker)", arguments: Backend.all)
    func waitingSurvivesRestart(_ backend: Backend) async throws {
        try await withDatabase(backend) { database in
            let id: JobID
            do {
                let first = try await database.open()
                id = try await first.enqueue(tts(), now: t0).job.id
                _ = try await first.claim(worker: "old", now: t0, leaseExpiry: t0 + 30)
                try await first.wait(id, worker: "old", handle: "{\"handle\":\"h1\"}", pollAt: t0 + 10, now: t0)
            }
            let second = try await database.open()
            let job = try #require(try await second.claim(worker: "new", now: t0 + 10, leaseExpiry: t0 + 40, limit: 1,
                                                          scope: .duePolls).first)
            #expect(job.id == id)
            #expect(job.providerHandle == "{\"handle\":\"h1\"}")
        }
    }

    @Test("a 429 pause set through one connection holds requests made through another on the same file", arguments: Backend.all)
    func pauseIsShared(_ backend: Backend) async throws {
        try await withStore(backend) { store, folder in
            let other = try await folder.open()
            let now = Date()
            try await store.pause(provider: "fal", until: now + 30, reason: "HTTP 429", now: now)
            try await store.pause(provider: "fal", until: now + 5, reason: "shorter", now: now)
            for limits in [ProviderLimits(), ProviderLimits(concurrency: 2)] {
                guard case .wait(let seconds, _) = try await other.admit(provider: "fal", limits: limits, now: now + 1,
                                                                         slotLease: 60) else {
                    Issue.record("a paused provider admitted a request")
                    return
                }
                #expect(seconds > 28 && seconds <= 29.001, "an earlier, longer pause is never shortened")
            }
            #expect(try await other.admit(provider: "openai", limits: ProviderLimits(), now: now + 1, slotLease: 60)
                == .granted(permit: ""))
            guard case .granted = try await other.admit(provider: "fal", limits: ProviderLimits(concurrency: 2),
                                                        now: now + 31, slotLease: 60) else {
                Issue.record("the pause did not end at its time")
                return
            }
        }
    }

    @Test("concurrency and requests per minute are counted across connections; a dead process's slot lapses", arguments: Backend.all)
    func sharedLimits(_ backend: Backend) async throws {
        try await withStore(backend) { store, folder in
            let other = try await folder.open()
            let one = ProviderLimits(concurrency: 1)
            guard case .granted(let permit) = try await store.admit(provider: "fal", limits: one, now: t0, slotLease: 60) else {
                Issue.record("the first request waited")
                return
            }
            guard case .wait = try await other.admit(provider: "fal", limits: one, now: t0, slotLease: 60) else {
                Issue.record("two requests in flight with concurrency 1")
                return
            }
            try await store.release(provider: "fal", permit: permit)
            guard case .granted = try await other.admit(provider: "fal", limits: one, now: t0, slotLease: 60) else {
                Issue.record("a released slot was not reusable")
                return
            }
            // That slot is never released (its process died): it lapses after its lease.
            guard case .granted = try await store.admit(provider: "fal", limits: one, now: t0 + 61, slotLease: 60) else {
                Issue.record("a dead process's slot never lapsed")
                return
            }
            let rpm = ProviderLimits(requestsPerMinute: 2)
            for second in [0.0, 1.0] {
                guard case .granted = try await store.admit(provider: "replicate", limits: rpm, now: t0 + second, slotLease: 60)
                else {
                    Issue.record("request \(second) of 2 per minute waited")
                    return
                }
            }
            guard case .wait(let seconds, _) = try await other.admit(provider: "replicate", limits: rpm, now: t0 + 2,
                                                                     slotLease: 60) else {
                Issue.record("a third request within the minute was admitted")
                return
            }
            #expect(abs(seconds - 58) < 0.01)
        }
    }

    @Test("a job whose worker died after sending a create request is counted as a possible duplicate submission", arguments: Backend.all)
    func submissionRiskCounted(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let risky = try await store.enqueue(tts("risky"), now: t0).job.id
            let safe = try await store.enqueue(tts("safe"), now: t0).job.id
            _ = try await store.claim(worker: "a", now: t0, leaseExpiry: t0 + 5, limit: 2)
            try await store.markSubmissionStarted(risky, worker: "a", detail: "fal/fal-ai/veo3", cost: nil, now: t0 + 1)
            #expect(try await store.rescueExpiredLeases(now: t0 + 10) == 2)
            let risks = try await store.submissionRisks()
            #expect(risks.map(\.jobID) == [risky])
            #expect(risks.first?.attempt == 1)
            let notes = try await store.events(risky, after: nil).map(\.detail)
            #expect(notes.contains { $0.hasPrefix("submission started: fal/fal-ai/veo3") })
            #expect(notes.contains { $0.hasPrefix("possible duplicate paid submission") }, "\(notes)")
            #expect(try await store.events(safe, after: nil).allSatisfy { !$0.detail.contains("duplicate") })
            // The next attempt, rescued again without submitting, is not counted again.
            _ = try await store.claim(worker: "b", now: t0 + 10, leaseExpiry: t0 + 15, limit: 2)
            _ = try await store.rescueExpiredLeases(now: t0 + 20)
            #expect(try await store.submissionRisks().count == 1)
        }
    }

    @Test("a look-up's finding settles a submission risk, recorded only by the worker holding the lease", arguments: Backend.all)
    func submissionRiskSettled(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.enqueue(tts("risky"), now: t0).job.id
            _ = try await store.claim(worker: "a", now: t0, leaseExpiry: t0 + 5, limit: 1)
            try await store.markSubmissionStarted(id, worker: "a", detail: "replicate/owner/model", cost: nil, now: t0 + 1)
            #expect(try await store.rescueExpiredLeases(now: t0 + 10) == 1)
            let risk = try #require(try await store.unsettledSubmissionRisk(id))
            #expect(risk.attempt == 1)
            #expect(risk.route == "replicate/owner/model")
            #expect(risk.submittedAt == t0 + 1)
            #expect(risk.resolution == nil)

            _ = try #require(try await store.claim(worker: "b", now: t0 + 10, leaseExpiry: t0 + 20))
            await #expect(throws: MediaJobsError.self) {
                try await store.resolveSubmissionRisk(id, attempt: 1, resolution: .foundAtProvider, detail: "p1",
                                                      worker: "a", now: t0 + 11)
            }
            #expect(try await store.unsettledSubmissionRisk(id) != nil)
            try await store.resolveSubmissionRisk(id, attempt: 1, resolution: .foundAtProvider,
                                                  detail: "replicate generation p1", worker: "b", now: t0 + 11)
            #expect(try await store.unsettledSubmissionRisk(id) == nil)
            let settled = try #require(try await store.submissionRisks().first)
            #expect(settled.resolution == .foundAtProvider)
            #expect(settled.resolutionDetail == "replicate generation p1")
            #expect(settled.resolvedAt == t0 + 11)
            let notes = try await store.events(id, after: nil).map(\.detail)
            #expect(notes.contains { $0.hasPrefix("submission risk of attempt 1 settled: found at the provider") }, "\(notes)")
        }
    }

    @Test("a request in flight when its worker died enters the ledger at its marked cost, and leaves the totals once settled", arguments: Backend.all)
    func unknownOutcomeInTheLedger(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.enqueue(tts("risky"), now: t0).job.id
            _ = try await store.claim(worker: "a", now: t0, leaseExpiry: t0 + 5, limit: 1)
            #expect(try await store.costs(id).isEmpty)
            let line = PriceLine(unit: "video_seconds", quantity: 8, usdPerUnit: Decimal(string: "0.4")!, source: "test")
            let marked = CostRecord(jobID: id, attempt: 1, provider: "fal", model: "fal-ai/veo3", units: ["video_seconds": 8],
                                    usd: Money(Decimal(string: "3.2")!), source: .estimated, lines: [line], charged: true,
                                    outcome: .unknown, at: t0 + 1)
            try await store.markSubmissionStarted(id, worker: "a", detail: "fal/fal-ai/veo3", cost: marked, now: t0 + 1)
            // Sent, not yet lost: nothing in the ledger until the answer is lost or arrives.
            #expect(try await store.costs(id).isEmpty)
            #expect(try await store.rescueExpiredLeases(now: t0 + 10) == 1)

            let lost = try #require(try await store.costs(id).first)
            #expect(lost.outcome == .unknown && lost.charged && lost.attempt == 1)
            #expect(lost.usd == Money(Decimal(string: "3.2")!) && lost.source == .estimated && lost.lines == [line])
            #expect(lost.units == ["video_seconds": 8] && lost.provider == "fal" && lost.model == "fal-ai/veo3")
            let before = CostReport(lines: try await store.costLines(since: nil, until: nil, label: nil), groupBy: ["provider"])
            #expect(before.usd == Money(Decimal(string: "3.2")!) && before.unknownOutcomes == 1)
            #expect(try await store.totalCost(since: nil, until: nil).usd == Money(Decimal(string: "3.2")!))
            // Rescued again without a new submission: not counted twice.
            _ = try await store.claim(worker: "b", now: t0 + 10, leaseExpiry: t0 + 15, limit: 1)
            _ = try await store.rescueExpiredLeases(now: t0 + 20)
            #expect(try await store.costs(id).count == 1)

            // The next attempt finds the generation at the provider: it collects and costs it, so the entry stops counting.
            _ = try #require(try await store.claim(worker: "c", now: t0 + 20, leaseExpiry: t0 + 60))
            try await store.resolveSubmissionRisk(id, attempt: 1, resolution: .foundAtProvider, detail: "fal request r1",
                                                  worker: "c", now: t0 + 21)
            let settled = try #require(try await store.costs(id).first)
            #expect(settled.outcome == .unknown && !settled.charged)
            let after = CostReport(lines: try await store.costLines(since: nil, until: nil, label: nil), groupBy: ["provider"])
            #expect(after.usd == nil && after.unknownOutcomes == 0, "\(String(describing: after.usd))")
            #expect(try await store.totalCost(since: nil, until: nil).usd == .zero)
            let notes = try await store.events(id, after: nil).map(\.detail)
            #expect(notes.contains { $0.contains("its ledger entry of unknown outcome no longer counts") }, "\(notes)")
        }
    }

    @Test("a lost answer noticed by a live worker is a risk and a ledger entry at once, only under its lease", arguments: Backend.all)
    func unknownOutcomeNotedByTheWorker(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.enqueue(tts("cut"), now: t0).job.id
            _ = try await store.claim(worker: "a", now: t0, leaseExpiry: t0 + 30, limit: 1)
            let marked = CostRecord(jobID: id, attempt: 1, provider: "openai", model: "tts-1", units: ["characters": 100],
                                    usd: Money(Decimal(string: "0.0015")!), source: .estimated, charged: true,
                                    outcome: .unknown, at: t0 + 1)
            try await store.markSubmissionStarted(id, worker: "a", detail: "openai/tts-1", cost: marked, now: t0 + 1)
            await #expect(throws: MediaJobsError.self) {
                try await store.noteUnknownOutcome(id, worker: "intruder", detail: "\(SubmissionRisk.unknownOutcomePrefix): x",
                                                   now: t0 + 2)
            }
            #expect(try await store.costs(id).isEmpty)
            try await store.noteUnknownOutcome(id, worker: "a", detail: "\(SubmissionRisk.unknownOutcomePrefix): cut", now: t0 + 2)
            let risk = try #require(try await store.unsettledSubmissionRisk(id))
            #expect(risk.route == "openai/tts-1" && risk.submittedAt == t0 + 1)
            #expect(try await store.costs(id).map(\.outcome) == [.unknown])
            #expect(try await store.costs(id).first?.usd == Money(Decimal(string: "0.0015")!))
            // The failure that follows adds nothing more.
            _ = try await store.fail(id, worker: "a", error: MediaJobsError(.providerFailed, "cut"), retryable: false,
                                     costs: [], now: t0 + 3)
            #expect(try await store.costs(id).count == 1)
        }
    }
}
