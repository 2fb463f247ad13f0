import Foundation
import MediaJobsCore
@testable import MediaJobsPostgres
@testable import MediaJobsStore
import Synchronization
import Testing

/// Two stores on one database stand for two worker machines sharing a queue.
@Suite("PostgreSQL: what every worker machine shares (budgets, provider slots and pauses, workers, wake-ups)",
       .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
struct PostgresFleetTests {
    /// Runs `body` with two stores connected to one fresh database, both shut down afterwards.
    private func withTwoStores<T>(
        retryPolicy: RetryPolicy = RetryPolicy(baseDelay: 10, maxDelay: 100, jitter: 0),
        _ body: (PostgresJobStore, PostgresJobStore) async throws -> T
    ) async throws -> T {
        try await PostgresTestServer.withDatabase { url in
            let first = try await PostgresJobStore.connect(url: url, retryPolicy: retryPolicy,
                                                           logger: PostgresTestServer.logger)
            let second: PostgresJobStore
            do {
                second = try await PostgresJobStore.connect(url: url, retryPolicy: retryPolicy,
                                                            logger: PostgresTestServer.logger)
            } catch {
                await first.shutdown()
                throw error
            }
            do {
                let result = try await body(first, second)
                await first.shutdown()
                await second.shutdown()
                return result
            } catch {
                await first.shutdown()
                await second.shutdown()
                throw error
            }
        }
    }

    @Test("two stores racing for the last of a budget never hold more than it", .timeLimit(.minutes(10)))
    func budgetHoldsRace() async throws {
        try await withTwoStores { first, second in
            var ids: [JobID] = []
            for index in 0..<12 { ids.append(try await first.enqueue(tts("job \(index)"), now: t0).job.id) }
            #expect(try await first.claim(worker: "w", now: t0, leaseExpiry: t0 + 600, limit: 12).count == 12)
            // $1.00 a day; each request holds $0.30: three fit, whichever stores ask.
            let daily = BudgetLimit(name: "budgets.daily_usd", limit: Money(picos: 1_000_000_000_000), since: t0)
            let now = t0 + 1
            let decisions = try await withThrowingTaskGroup(of: BudgetDecision.self) { group in
                for (index, id) in ids.enumerated() {
                    let store = index.isMultiple(of: 2) ? first : second
                    let hold = BudgetHold(jobID: id, attempt: 1, provider: "fal", usd: Money(picos: 300_000_000_000))
                    group.addTask { try await store.reserveBudget(hold, limits: [daily], now: now) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(decisions.filter { $0 == .reserved }.count == 3)
            let refusal = try #require(decisions.first { $0 != .reserved })
            guard case .refused(let limit, let spent, let inFlight) = refusal else { return }
            #expect(limit == daily)
            #expect(spent == .zero)
            #expect(inFlight == Money(picos: 900_000_000_000))
        }
    }

    @Test("two stores sharing a provider's two slots never have more than two requests in flight",
          .timeLimit(.minutes(10)))
    func providerSlotsShared() async throws {
        try await withTwoStores { first, second in
            let limits = ProviderLimits(concurrency: 2)
            let inFlight = InFlight()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<16 {
                    let store = index.isMultiple(of: 2) ? first : second
                    group.addTask {
                        while true {
                            switch try await store.admit(provider: "fal", limits: limits, now: Date(), slotLease: 60) {
                            case .wait(let seconds, _):
                                try await Task.sleep(for: .seconds(min(seconds, 0.05)))
                            case .granted(let permit):
                                inFlight.counts.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                                try await Task.sleep(for: .milliseconds(5))  // the request
                                inFlight.counts.withLock { $0.now -= 1 }
                                try await store.release(provider: "fal", permit: permit)
                                return
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let counts = inFlight.counts.withLock { $0 }
            #expect(counts.most <= 2)
            #expect(counts.now == 0)
        }
    }

    @Test("a 429's pause set by one store holds the other's requests, and is never shortened")
    func rateLimitPauseShared() async throws {
        try await withTwoStores { first, second in
            let now = Date()
            try await first.pause(provider: "openrouter", until: now + 30, reason: "HTTP 429", now: now)
            try await first.pause(provider: "openrouter", until: now + 5, reason: "shorter", now: now)
            let until = try #require(try await second.pausedUntil(provider: "openrouter"))
            #expect(abs(until.timeIntervalSince(now + 30)) < 0.001)
            for limits in [ProviderLimits(), ProviderLimits(concurrency: 1), ProviderLimits(requestsPerMinute: 10)] {
                guard case .wait(let seconds, let reason) = try await second.admit(
                    provider: "openrouter", limits: limits, now: now + 1, slotLease: 60) else {
                    Issue.record("the other store admitted a request to a paused provider (\(limits))")
                    continue
                }
                #expect(abs(seconds - 29) < 0.001)
                #expect(reason == "openrouter is paused (429 Retry-After)")
            }
            #expect(try await second.pausedUntil(provider: "fal") == nil)
        }
    }

    @Test("an account pause made by one store is read, replaced and resumed by the other")
    func accountPauseRoundTrip() async throws {
        try await withTwoStores { first, second in
            let pause = ProviderAccountPause(
                provider: "openai", code: MediaJobsError.Code("provider.insufficient_credits"),
                detail: "openai tts: HTTP 402: Insufficient credits", keyFingerprint: "sha256:0123abcd", since: t0,
                recheckAt: t0 + 3_600)
            try await first.pauseAccount(pause)
            #expect(try await second.accountPause(provider: "openai") == pause)
            #expect(try await second.accountPause(provider: "fal") == nil)

            var refused = pause
            refused.code = MediaJobsError.Code("provider.unauthorized")
            refused.keyFingerprint = "sha256:feedbeef"
            refused.recheckAt = nil
            try await second.pauseAccount(refused)
            let other = ProviderAccountPause(provider: "fal", code: MediaJobsError.Code("provider.unauthorized"),
                                             detail: "fal: HTTP 401", keyFingerprint: "sha256:00000000", since: t0,
                                             recheckAt: nil)
            try await second.pauseAccount(other)
            #expect(try await first.accountPauses() == [other, refused])

            #expect(try await first.resumeAccount(provider: "openai") == refused)
            #expect(try await second.accountPause(provider: "openai") == nil)
            #expect(try await second.resumeAccount(provider: "openai") == nil)
        }
    }

    @Test("workers registered through either store are listed while their heartbeat is fresh")
    func workerRegistry() async throws {
        try await withTwoStores { first, second in
            let a = WorkerInfo(id: "host-a:1", host: "host-a", pid: 1, concurrency: 4, startedAt: t0, heartbeatAt: t0)
            let b = WorkerInfo(id: "host-b:2", host: "host-b", pid: 2, concurrency: 2, startedAt: t0, heartbeatAt: t0)
            try await first.registerWorker(a)
            try await second.registerWorker(b)
            try await second.workerHeartbeat(a.id, now: t0 + 50)
            var fresh = a
            fresh.heartbeatAt = t0 + 50
            #expect(try await first.liveWorkers(now: t0 + 60, staleAfter: 30) == [fresh])
            #expect(try await second.liveWorkers(now: t0 + 20, staleAfter: 30) == [fresh, b])

            let error = await #expect(throws: MediaJobsError.self) {
                try await first.workerHeartbeat("host-c:3", now: t0)
            }
            #expect(error?.code == .storeFailure)
            #expect(error?.message == "worker host-c:3: not registered")

            try await first.removeWorker(a.id)
            #expect(try await second.liveWorkers(now: t0 + 20, staleAfter: 30) == [b])
        }
    }

    @Test("a job queued through one store wakes an idle waiter of the other (NOTIFY)", .timeLimit(.minutes(10)))
    func notifyWakesOtherStore() async throws {
        try await withTwoStores { first, second in
            let generation = second.workGeneration()
            #expect(try await second.claim(worker: "b", now: t0, leaseExpiry: t0 + 60) == nil)
            let waiter = Task { await second.waitForWork(since: generation, upTo: 3_600) }
            _ = try await first.enqueue(tts("for whoever listens"), now: t0)
            await waiter.value
            #expect(second.workGeneration() != generation)
            #expect(try await second.claim(worker: "b", now: t0, leaseExpiry: t0 + 60) != nil)
        }
    }

    @Test("a retry that falls due in 300 ms wakes a waiter that meant to wait a minute", .timeLimit(.minutes(10)))
    func fallsDueWakes() async throws {
        try await withTwoStores(retryPolicy: RetryPolicy(baseDelay: 0.01, maxDelay: 0.01, jitter: 0)) { store, _ in
            let id = try await store.enqueue(tts("again soon"), now: Date()).job.id
            _ = try #require(try await store.claim(worker: "w", now: Date(), leaseExpiry: Date() + 60))
            let failedAt = Date()
            let job = try await store.fail(id, worker: "w", error: MediaJobsError(.providerFailed, "HTTP 503"),
                                           retryable: true, costs: [], notBefore: failedAt + 0.3, now: failedAt)
            #expect(job.state == .queued)
            let generation = store.workGeneration()
            await store.waitForWork(since: generation, upTo: 60)
            let woken = Date()
            #expect(woken >= job.runAt)
            #expect(woken.timeIntervalSince(failedAt) < 10, "woken when the retry fell due, not after the minute")
            #expect(try await store.claim(worker: "w", now: woken, leaseExpiry: woken + 60)?.id == id)
        }
    }

    @Test("a due job wakes a waiter of the pool that claims it at once, and not a waiter of the other pool",
          .timeLimit(.minutes(10)))
    func dueJobWakesItsOwnPool() async throws {
        try await withTwoStores { store, _ in
            // Queued and due, as if it fell due between an empty claim and the wait.
            _ = try await store.enqueue(tts("due now"), now: Date())
            let generation = store.workGeneration()
            let pollsStart = Date()
            await store.waitForWork(since: generation, upTo: 0.5, scope: .duePolls)
            #expect(Date().timeIntervalSince(pollsStart) >= 0.45, "the poll pool was woken by a queued job")
            let queuedStart = Date()
            await store.waitForWork(since: generation, upTo: 600, scope: .queued)
            #expect(Date().timeIntervalSince(queuedStart) < 60, "the queue pool slept past a due job")
            #expect(try await store.claim(worker: "w", now: Date(), leaseExpiry: Date() + 60, limit: 1,
                                          scope: .queued).count == 1)
        }
    }

    @Test("a blocking renewal from a plain thread extends held leases, notes a lapse and reports lost ones",
          .timeLimit(.minutes(10)))
    func blockingRenewal() async throws {
        try await withTwoStores { store, other in
            let held = try await store.enqueue(tts("held"), now: t0).job.id
            let taken = try await store.enqueue(tts("taken"), now: t0).job.id
            _ = try await store.claim(worker: "a", now: t0, leaseExpiry: t0 + 10, limit: 2)
            try await other.cancel(taken, now: t0 + 1)
            let renewal = try await Self.onPlainThread {
                try store.renewLeasesBlocking([held, taken], claimedSince: nil, worker: "a", leaseExpiry: t0 + 60,
                                              now: t0 + 12)
            }
            #expect(renewal == LeaseRenewal(lost: [taken], claimed: []))
            #expect(try await other.job(held)?.leaseExpiresAt == t0 + 60)
            let notes = try await other.events(held, after: nil).filter { $0.kind == .note }.map(\.detail)
            #expect(notes == ["the lease of worker a lapsed 2.0 s before it was renewed: the worker was busy, not dead"])
        }
    }

    /// Requests in flight now, and the most seen at once.
    private final class InFlight: Sendable {
        let counts = Mutex((now: 0, most: 0))
    }

    /// Runs `body` on a new thread (never the cooperative pool, as `renewLeasesBlocking` requires) and returns its
    /// result.
    private static func onPlainThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
