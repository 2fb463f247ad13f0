import Foundation
import MediaJobsCore
import Testing
@testable import MediaJobsPostgres
import MediaJobsStore

@Suite("PostgresJobStore: leases, failures and retries", .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
struct LeaseAndRetryTests {
    @Test("a worker whose lease expired cannot complete the job it lost")
    func expiredLeaseCannotComplete() async throws {
        try await withPostgresStore { store in
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

    @Test("a busy worker is not a dead worker: its own rescue spares the jobs it holds, and a lapsed lease it renews is told as a lapse")
    func busyWorkerKeepsItsJobs() async throws {
        try await withPostgresStore { store in
            let id = try await store.enqueue(tts(), now: t0).job.id
            // The lease ran out while the worker was starved of CPU (t0 is long past).
            _ = try #require(try await store.claim(worker: "a", now: t0, leaseExpiry: t0 + 30))
            #expect(try await store.rescueExpiredLeases(now: Date(), sparing: [id]) == 0)
            #expect(try await store.job(id)?.state == .running)
            try await store.heartbeat(id, worker: "a", leaseExpiry: Date().addingTimeInterval(30))
            let notes = try await store.events(id, after: nil).filter { $0.kind == .note }.map(\.detail)
            #expect(notes.contains { $0.hasPrefix("the lease of worker a lapsed") && $0.hasSuffix("the worker was busy, not dead") },
                    "\(notes)")
            // Another worker, which cannot know that one is alive, still rescues an expired lease.
            #expect(try await store.rescueExpiredLeases(now: Date().addingTimeInterval(60)) == 1)
        }
    }

    @Test("heartbeat extends the lease so rescue leaves the job alone")
    func heartbeatExtends() async throws {
        try await withPostgresStore { store in
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

    @Test("only the lease holder may heartbeat, set a stage, wait, fail or complete")
    func otherWorkersRefused() async throws {
        try await withPostgresStore { store in
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

    @Test("completing a job that is not running is a lost lease; an unknown id is not found")
    func completeNotRunning() async throws {
        try await withPostgresStore { store in
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

    @Test("a retryable failure requeues with backoff, then fails once attempts are spent")
    func retryableFailure() async throws {
        // base 10 s, no jitter: 10 s after attempt 1, 20 s after attempt 2.
        try await withPostgresStore { store in
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

    @Test("a fatal failure fails at once and keeps the attempt's costs")
    func fatalFailure() async throws {
        try await withPostgresStore { store in
            let id = try await store.enqueue(tts(), now: t0).job.id
            _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60)
            let cost = CostRecord(jobID: id, attempt: 1, provider: "openai", model: "tts-1", units: ["characters": 5],
                                  usd: Money(usd: "0.000075")!, source: .estimated, charged: true, at: t0 + 1)
            let failed = try await store.fail(id, worker: "w", error: MediaJobsError(.mediaInvalidOutput, "empty audio"),
                                              retryable: false, costs: [cost], now: t0 + 1)
            #expect(failed.state == .failed)
            #expect(try await store.ledgerRows(id) == [cost])
        }
    }

    @Test("rescueExpiredLeases requeues while attempts remain and fails the last attempt")
    func rescue() async throws {
        try await withPostgresStore { store in
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

    @Test("cancel a queued job, and a running one whose worker then loses its lease")
    func cancel() async throws {
        try await withPostgresStore { store in
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

    @Test("retry puts a failed or canceled job back with fresh attempts")
    func retry() async throws {
        try await withPostgresStore { store in
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
