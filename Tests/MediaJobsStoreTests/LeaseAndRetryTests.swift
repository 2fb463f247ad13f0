import Foundation
import MediaJobsCore
import Testing
@testable import MediaJobsStore

@Suite("the store contract: leases, failures and retries")
struct LeaseAndRetryTests {
    @Test("a worker whose lease expired cannot complete the job it lost", arguments: Backend.all)
    func expiredLeaseCannotComplete(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.enqueue(tts(), now: t0).job.id
            let lost = try #require(try await store.claim(worker: "a", now: t0, leaseExpiry: t0 + 1))
            #expect(try await store.rescueExpiredLeases(now: t0 + 2) == 1)
            let taken = try #require(try await store.claim(worker: "b", now: t0 + 2, leaseExpiry: t0 + 60))
            #expect(taken.id == id)
            #expect(taken.attempts == 2)
            do {
                try await store.complete(lost.id, worker: "a", result: JobCompletion(), now: t0 + 3)
                Issue.record("expected job.lease_lost")
            } catch {
                #expect(code(of: error) == .leaseLost)
                #expect("\(error)".contains(id.rawValue))
            }
            #expect(try await store.complete(taken.id, worker: "b", result: JobCompletion(), now: t0 + 3).state == .succeeded)
        }
    }

    @Test("a busy worker is not a dead worker: its own rescue spares the jobs it holds, and a lapsed lease it renews is told as a lapse", arguments: Backend.all)
    func busyWorkerKeepsItsJobs(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.enqueue(tts(), now: t0).job.id
            // The lease ran out while the worker was starved of CPU (t0 is long past).
            _ = try #require(try await store.claim(worker: "a", now: t0, leaseExpiry: t0 + 30))
            #expect(try await store.rescueExpiredLeases(now: Date(), sparing: [id]) == 0)
            #expect(try await store.job(id)?.state == .running)
            try await store.heartbeat(id, worker: "a", leaseExpiry: Date().addingTimeInterval(30))
            let notes = try await store.events(id, after: nil).filter { $0.kind == .note }.map(\.detail)
            #expect(notes.contains { $0.hasPrefix("the lease of worker a lapsed") && $0.hasSuffix("the worker was busy, not dead") },
                    "\(notes)")
            #expect(try await store.submissionRisks().isEmpty)
            // Another worker, which cannot know that one is alive, still rescues an expired lease.
            #expect(try await store.rescueExpiredLeases(now: Date().addingTimeInterval(60)) == 1)
        }
    }

    @Test("a blocking renewal extends the held leases, and those of jobs claimed since a claim still under way; not older ones nor other workers'", arguments: Backend.all)
    func blockingRenewalCoversClaimsUnderWay(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let stale = try await store.enqueue(tts(), now: t0).job.id
            let held = try await store.enqueue(tts(), now: t0).job.id
            let fresh = try await store.enqueue(tts(), now: t0).job.id
            let others = try await store.enqueue(tts(), now: t0).job.id
            // A running job of this worker that no run holds any more (its claim is older than the claims under way).
            #expect(try await store.claim(worker: "a", now: t0, leaseExpiry: t0 + 1)?.id == stale)
            #expect(try await store.claim(worker: "a", now: t0 + 5, leaseExpiry: t0 + 6)?.id == held)
            // Claimed at t0 + 10, its answer not yet at the worker.
            #expect(try await store.claim(worker: "a", now: t0 + 10, leaseExpiry: t0 + 11)?.id == fresh)
            #expect(try await store.claim(worker: "b", now: t0 + 10, leaseExpiry: t0 + 11)?.id == others)

            let renewal = try await Task.detached {
                try store.renewLeasesBlocking([held], claimedSince: t0 + 10, worker: "a", leaseExpiry: t0 + 40, now: t0 + 10.5)
            }.value
            #expect(renewal == LeaseRenewal(lost: [], claimed: [fresh]))
            #expect(try await store.job(held)?.leaseExpiresAt == t0 + 40)
            #expect(try await store.job(fresh)?.leaseExpiresAt == t0 + 40)
            #expect(try await store.job(stale)?.leaseExpiresAt == t0 + 1)
            #expect(try await store.job(others)?.leaseExpiresAt == t0 + 11)

            // Once rescued (all four leases have run out by t0 + 50), a held lease is reported lost.
            #expect(try await store.rescueExpiredLeases(now: t0 + 50) == 4)
            let again = try await Task.detached {
                try store.renewLeasesBlocking([held], claimedSince: nil, worker: "a", leaseExpiry: t0 + 80, now: t0 + 51)
            }.value
            #expect(again == LeaseRenewal(lost: [held], claimed: []))
        }
    }

    @Test("heartbeat extends the lease so rescue leaves the job alone", arguments: Backend.all)
    func heartbeatExtends(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.enqueue(tts(), now: t0).job.id
            _ = try await store.claim(worker: "a", now: t0, leaseExpiry: t0 + 10)
            try await store.heartbeat(id, worker: "a", leaseExpiry: t0 + 40)
            #expect(try await store.job(id)?.leaseExpiresAt == t0 + 40)
            #expect(try await store.rescueExpiredLeases(now: t0 + 20) == 0)
            #expect(try await store.job(id)?.state == .running)
            await #expect(throws: MediaJobsError.self) {
                try await store.heartbeat(id, worker: "someone-else", leaseExpiry: t0 + 100)
            }
        }
    }

    @Test("only the lease holder may heartbeat, set a stage, wait, fail or complete", arguments: Backend.all)
    func otherWorkersRefused(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.enqueue(tts(), now: t0).job.id
            _ = try await store.claim(worker: "a", now: t0, leaseExpiry: t0 + 60)
            let calls: [@Sendable () async throws -> Void] = [
                { try await store.heartbeat(id, worker: "b", leaseExpiry: t0 + 90) },
                { try await store.setStage(id, worker: "b", stage: "x", detail: "", now: t0) },
                { try await store.wait(id, worker: "b", handle: "h", pollAt: t0 + 5, now: t0) },
                { try await store.fail(id, worker: "b", error: MediaJobsError(.providerFailed, "x"), retryable: true,
                                       costs: [], now: t0) },
                { try await store.complete(id, worker: "b", result: JobCompletion(), now: t0) },
                { try await store.release(id, worker: "b", now: t0) },
            ]
            for call in calls {
                do {
                    try await call()
                    Issue.record("expected job.lease_lost")
                } catch {
                    #expect(code(of: error) == .leaseLost)
                }
            }
            #expect(try await store.job(id)?.leaseOwner == "a")
        }
    }

    @Test("completing a job that is not running is a lost lease; an unknown id is not found", arguments: Backend.all)
    func completeNotRunning(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.enqueue(tts(), now: t0).job.id
            do {
                try await store.complete(id, worker: "a", result: JobCompletion(), now: t0)
                Issue.record("expected job.lease_lost")
            } catch {
                #expect(code(of: error) == .leaseLost)
            }
            do {
                try await store.complete(JobID.generate(now: t0), worker: "a", result: JobCompletion(), now: t0)
                Issue.record("expected job.not_found")
            } catch {
                #expect(code(of: error) == .jobNotFound)
            }
        }
    }

    @Test("a retryable failure requeues with backoff, then fails once attempts are spent", arguments: Backend.all)
    func retryableFailure(_ backend: Backend) async throws {
        // base 10 s, no jitter: 10 s after attempt 1, 20 s after attempt 2.
        try await withStore(backend) { store, _ in
            let id = try await store.enqueue(tts(maxAttempts: 3), now: t0).job.id
            let error = MediaJobsError(.rateLimited, "openrouter: 429 Too Many Requests")
            var now = t0
            for attempt in 1...2 {
                let claimed = try #require(try await store.claim(worker: "w", now: now, leaseExpiry: now + 60))
                #expect(claimed.attempts == attempt)
                let requeued = try await store.fail(id, worker: "w", error: error, retryable: true, costs: [], now: now)
                #expect(requeued.state == .queued)
                let delay = 10 * pow(2, Double(attempt - 1))
                #expect(requeued.runAt == now + delay)
                #expect(requeued.error == JobFailure(error))
                #expect(try await store.claim(worker: "w", now: now + delay - 1, leaseExpiry: now + 60) == nil)
                now = now + delay
            }
            _ = try #require(try await store.claim(worker: "w", now: now, leaseExpiry: now + 60))
            let failed = try await store.fail(id, worker: "w", error: error, retryable: true, costs: [], now: now)
            #expect(failed.state == .failed)
            #expect(failed.attempts == 3)
            #expect(failed.finishedAt == now)
            #expect(failed.error?.code == "provider.rate_limited")
            let kinds = try await store.events(id, after: nil).map(\.kind)
            #expect(kinds == [.submitted, .claimed, .retryScheduled, .claimed, .retryScheduled, .claimed, .failed])
            let retryEvent = try #require(try await store.events(id, after: nil).first { $0.kind == .retryScheduled })
            #expect(retryEvent.detail.contains("429 Too Many Requests"))
        }
    }

    @Test("a fatal failure fails at once and keeps the attempt's costs", arguments: Backend.all)
    func fatalFailure(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.enqueue(tts(), now: t0).job.id
            _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60)
            let cost = CostRecord(jobID: id, attempt: 1, provider: "openai", model: "tts-1", units: ["characters": 5],
                                  usd: Money(usd: "0.000075")!, source: .estimated, charged: true, at: t0 + 1)
            let failed = try await store.fail(id, worker: "w", error: MediaJobsError(.mediaInvalidOutput, "empty audio"),
                                              retryable: false, costs: [cost], now: t0 + 1)
            #expect(failed.state == .failed)
            #expect(try await store.costs(id) == [cost])
        }
    }

    @Test("rescueExpiredLeases requeues while attempts remain and fails the last attempt", arguments: Backend.all)
    func rescue(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let spare = try await store.enqueue(tts("spare", maxAttempts: 2), now: t0).job.id
            let last = try await store.enqueue(tts("last", maxAttempts: 1), now: t0).job.id
            _ = try await store.claim(worker: "dead", now: t0, leaseExpiry: t0 + 5, limit: 2)
            #expect(try await store.rescueExpiredLeases(now: t0 + 5) == 0)
            #expect(try await store.rescueExpiredLeases(now: t0 + 6) == 2)
            let requeued = try #require(try await store.job(spare))
            #expect(requeued.state == .queued)
            #expect(requeued.runAt == t0 + 6)
            #expect(requeued.leaseOwner == nil)
            let failed = try #require(try await store.job(last))
            #expect(failed.state == .failed)
            #expect(failed.error?.code == MediaJobsError.Code.leaseExpired.rawValue)
            let event = try #require(try await store.events(spare, after: nil).last)
            #expect(event.kind == .leaseExpired)
            #expect(event.worker == "dead")
            #expect(event.detail.contains("dead"))
        }
    }

    @Test("cancel a queued job, and a running one whose worker then loses its lease", arguments: Backend.all)
    func cancel(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let queued = try await store.enqueue(tts("q"), now: t0).job.id
            #expect(try await store.cancel(queued, now: t0 + 1).state == .canceled)
            #expect(try await store.claim(worker: "w", now: t0 + 2, leaseExpiry: t0 + 60) == nil)

            let running = try await store.enqueue(tts("r"), now: t0).job.id
            _ = try await store.claim(worker: "w", now: t0 + 2, leaseExpiry: t0 + 60)
            let canceled = try await store.cancel(running, now: t0 + 3)
            #expect(canceled.state == .canceled)
            #expect(canceled.leaseOwner == nil)
            do {
                try await store.complete(running, worker: "w", result: JobCompletion(), now: t0 + 4)
                Issue.record("expected job.lease_lost")
            } catch {
                #expect(code(of: error) == .leaseLost)
            }
            do {
                try await store.cancel(running, now: t0 + 5)
                Issue.record("expected job.invalid_transition")
            } catch {
                #expect(code(of: error) == .invalidTransition)
            }
            do {
                try await store.cancel(JobID.generate(now: t0), now: t0 + 5)
                Issue.record("expected job.not_found")
            } catch {
                #expect(code(of: error) == .jobNotFound)
            }
        }
    }

    @Test("retry puts a failed or canceled job back with fresh attempts", arguments: Backend.all)
    func retry(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.enqueue(tts(maxAttempts: 1), now: t0).job.id
            _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60)
            _ = try await store.fail(id, worker: "w", error: MediaJobsError(.providerFailed, "boom"), retryable: true,
                                     costs: [], now: t0 + 1)
            #expect(try await store.job(id)?.state == .failed)
            let again = try await store.retry(id, now: t0 + 2)
            #expect(again.state == .queued)
            #expect(again.attempts == 0)
            #expect(again.error == nil)
            #expect(again.finishedAt == nil)
            #expect(try await store.claim(worker: "w", now: t0 + 2, leaseExpiry: t0 + 60)?.attempts == 1)
            do {
                try await store.retry(id, now: t0 + 3)
                Issue.record("expected job.invalid_transition")
            } catch {
                #expect(code(of: error) == .invalidTransition)
            }
        }
    }
}
