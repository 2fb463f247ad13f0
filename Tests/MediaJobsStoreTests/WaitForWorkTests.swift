import Foundation
import MediaJobsCore
import Testing

@testable import MediaJobsStore

@Suite("idle workers wait for work and are woken when a job is queued")
struct WaitForWorkTests {
    @Test("a waiter is woken by an enqueue, however long it meant to wait", .timeLimit(.minutes(10)), arguments: Backend.all)
    func wokenByEnqueue(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let generation = store.workGeneration()
            #expect(try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60) == nil)
            #expect(store.workGeneration() == generation, "a claim that found nothing is no news")
            let waiter = Task { await store.waitForWork(since: generation, upTo: 3_600) }
            _ = try await store.enqueue(tts("wake up"), now: t0)
            await waiter.value
            #expect(store.workGeneration() != generation)
        }
    }

    @Test("a job queued between the claim and the wait is not missed", .timeLimit(.minutes(10)), arguments: Backend.all)
    func notMissedBetweenClaimAndWait(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let generation = store.workGeneration()
            #expect(try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60) == nil)
            _ = try await store.enqueue(tts("in the gap"), now: t0)
            await store.waitForWork(since: generation, upTo: 3_600)
            #expect(try await store.claim(worker: "w", now: t0 + 1, leaseExpiry: t0 + 60) != nil)
        }
    }

    @Test("retries, releases and rescues wake waiters; a seen key does not", .timeLimit(.minutes(10)), arguments: Backend.all)
    func otherWakeups(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await store.enqueue(tts("once", key: "k"), now: t0).job.id
            var generation = store.workGeneration()
            #expect(try await store.enqueue(tts("once", key: "k"), now: t0).created == false)
            #expect(store.workGeneration() == generation, "an enqueue that created nothing is no news")

            _ = try #require(try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60))
            generation = store.workGeneration()
            try await store.release(id, worker: "w", now: t0 + 1)
            await store.waitForWork(since: generation, upTo: 3_600)

            _ = try #require(try await store.claim(worker: "w", now: t0 + 2, leaseExpiry: t0 + 10))
            generation = store.workGeneration()
            #expect(try await store.rescueExpiredLeases(now: t0 + 11) == 1)
            await store.waitForWork(since: generation, upTo: 3_600)

            _ = try #require(try await store.claim(worker: "w", now: t0 + 12, leaseExpiry: t0 + 60))
            try await store.cancel(id, now: t0 + 13)
            generation = store.workGeneration()
            try await store.retry(id, now: t0 + 14)
            await store.waitForWork(since: generation, upTo: 3_600)
        }
    }

    @Test("a cancelled waiter returns", .timeLimit(.minutes(10)), arguments: Backend.all)
    func cancelled(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let waiter = Task { await store.waitForWork(since: store.workGeneration(), upTo: 3_600) }
            waiter.cancel()
            await waiter.value
            #expect(store.workGeneration() == 0)
        }
    }
}
