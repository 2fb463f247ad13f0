import Foundation
import MediaJobsCore
import Testing
@testable import MediaJobsStore

@Suite("the store contract: scheduled jobs, budget holds, the result cache and cost grouping")
struct MoneyAndScheduleTests {
    @Test("a job with run_at in the future is not claimed before then, then is", arguments: Backend.all)
    func runAtHonouredByClaim(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            var later = tts("later", priority: 10)
            later.runAt = t0 + 600
            let scheduled = try await store.enqueue(later, now: t0).job
            #expect(scheduled.runAt == t0 + 600)
            let now = try await store.enqueue(tts("now"), now: t0).job
            // The scheduled job has the higher priority, yet only the other one is runnable.
            #expect(try await store.claim(worker: "w", now: t0 + 1, leaseExpiry: t0 + 60)?.id == now.id)
            #expect(try await store.claim(worker: "w", now: t0 + 599, leaseExpiry: t0 + 660) == nil)
            #expect(try await store.claim(worker: "w", now: t0 + 600, leaseExpiry: t0 + 660)?.id == scheduled.id)
        }
    }

    @Test("run_at in the past runs at once; the spec keeps it through the database", arguments: Backend.all)
    func runAtInThePast(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            var spec = tts()
            spec.runAt = t0 - 3600
            let job = try await store.enqueue(spec, now: t0).job
            #expect(job.runAt == t0)
            #expect(try await store.job(job.id)?.spec.runAt == t0 - 3600)
            #expect(try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60)?.id == job.id)
        }
    }

    @Test("a budget hold counts while its job is in flight, and is refused past the limit", arguments: Backend.all)
    func budgetHolds(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let a = try await store.enqueue(tts("a"), now: t0).job.id
            let b = try await store.enqueue(tts("b"), now: t0).job.id
            _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60, limit: 2)
            let daily = BudgetLimit(name: "budgets.daily_usd", limit: Money(usd: "1")!, since: t0 - 60)
            let first = BudgetHold(jobID: a, attempt: 1, provider: "openai", usd: Money(usd: "0.7")!)
            #expect(try await store.reserveBudget(first, limits: [daily], now: t0) == .reserved)
            // Job a's request is in flight: b's 0.4 would pass the dollar.
            let second = BudgetHold(jobID: b, attempt: 1, provider: "openai", usd: Money(usd: "0.4")!)
            #expect(try await store.reserveBudget(second, limits: [daily], now: t0)
                    == .refused(limit: daily, spent: .zero, inFlight: Money(usd: "0.7")!))
            // A limit on another provider does not see openai's hold.
            let fal = BudgetLimit(name: "budgets.providers.fal.daily_usd", limit: Money(usd: "0.5")!, since: t0 - 60,
                                  provider: "fal")
            let onFal = BudgetHold(jobID: b, attempt: 1, provider: "fal", usd: Money(usd: "0.4")!)
            #expect(try await store.reserveBudget(onFal, limits: [fal], now: t0) == .reserved)
            // Once a's cost is recorded (reported lower than held), the record counts, not the hold.
            let cost = CostRecord(jobID: a, attempt: 1, provider: "openai", model: "tts-1", units: [:],
                                  usd: Money(usd: "0.5")!, source: .reported, charged: true, at: t0 + 1)
            try await store.complete(a, worker: "w", result: JobCompletion(costs: [cost]), now: t0 + 1)
            let third = BudgetHold(jobID: b, attempt: 1, provider: "openai", usd: Money(usd: "0.5")!)
            #expect(try await store.reserveBudget(third, limits: [daily], now: t0 + 2) == .reserved)
            let fourth = BudgetHold(jobID: b, attempt: 1, provider: "openai", usd: Money(usd: "0.51")!)
            #expect(try await store.reserveBudget(fourth, limits: [daily], now: t0 + 2)
                    == .refused(limit: daily, spent: Money(usd: "0.5")!, inFlight: .zero))
        }
    }

    @Test("only succeeded jobs are cache candidates, newest first", arguments: Backend.all)
    func cacheCandidates(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let ok = try await store.enqueue(tts("same"), now: t0).job.id
            let failed = try await store.enqueue(tts("same", maxAttempts: 1), now: t0).job.id
            let asking = try await store.enqueue(tts("same"), now: t0).job.id
            _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60, limit: 3)
            for id in [ok, failed, asking] { try await store.setCacheKey(id, key: "k") }
            try await store.complete(ok, worker: "w", result: JobCompletion(), now: t0 + 1)
            try await store.fail(failed, worker: "w", error: MediaJobsError(.providerFailed, "no"), retryable: false,
                                 costs: [], now: t0 + 1)
            #expect(try await store.cacheCandidates(key: "k", excluding: asking, limit: 5) == [ok])
            #expect(try await store.cacheCandidates(key: "other", excluding: asking, limit: 5).isEmpty)
        }
    }

    @Test("costs group by provider and kind with reported, estimated, unknown and cached apart", arguments: Backend.all)
    func costGrouping(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            var records: [CostRecord] = []
            for (text, provider, usd, source) in [("a", "openai", "0.01", CostRecord.Source.reported),
                                                  ("b", "openai", "0.02", .estimated), ("c", "fal", "0", .unknown),
                                                  ("d", "openai", "0", .cached)] {
                let id = try await store.enqueue(tts(text, labels: ["project": "p1"]), now: t0).job.id
                _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60)
                let record = CostRecord(jobID: id, attempt: 1, provider: provider, model: "m", units: ["characters": 1],
                                        usd: Money(usd: usd)!, source: source, charged: source != .cached, at: t0)
                try await store.complete(id, worker: "w", result: JobCompletion(costs: [record]), now: t0)
                records.append(record)
            }
            let report = CostReport(lines: try await store.costLines(since: nil, until: nil, label: "project"),
                                    groupBy: ["provider", "label"])
            #expect(report.records == 4)
            #expect(report.usd == Money(usd: "0.03")!)
            #expect(report.cacheHits == 1)
            #expect(report.groups.map(\.key) == [["provider": "fal", "label": "p1"], ["provider": "openai", "label": "p1"]])
            let openai = report.groups[1]
            #expect(openai.reportedUSD == Money(usd: "0.01")!)
            #expect(openai.estimatedUSD == Money(usd: "0.02")!)
            #expect(openai.cacheHits == 1)
            #expect(openai.attempts == 3)
            #expect(report.groups[0].unknownPrices == 1)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = String(decoding: try encoder.encode(report), as: UTF8.self)
            #expect(json.contains(#""cache_hits":1"#) && json.contains(#""reported_usd":0.01"#), "\(json)")
        }
    }
}
