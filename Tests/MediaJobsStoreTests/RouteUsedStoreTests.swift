import Foundation
import GRDB
import MediaJobsCore
import Testing
@testable import MediaJobsStore

@Suite("v15: the route that made a job's result is kept on the job")
struct RouteUsedStoreTests {
    static let asked = JobSpec(kind: .tts, provider: "openrouter", model: "some-lab/not-served",
                               fallbacks: [Route(provider: "local", model: "flite")], input: JobInput(text: "hello"))

    @Test("a completion's route used is on the job as every read returns it; none before it succeeded", arguments: Backend.all)
    func completionKeepsRouteUsed(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let job = try await store.enqueue(Self.asked, now: t0).job
            #expect(job.routeUsed == nil)
            let claimed = try #require(try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60))
            #expect(claimed.routeUsed == nil)
            let used = RouteUsed(provider: "local", model: "flite")
            let done = try await store.complete(job.id, worker: "w", result: JobCompletion(routeUsed: used), now: t0 + 1)
            #expect(done.routeUsed == used)
            #expect(try await store.job(job.id)?.routeUsed == used)
            #expect(try await store.jobs(JobFilter()).map(\.routeUsed) == [used])
            #expect(try await store.jobs(updatedSince: t0, limit: 10).map(\.routeUsed) == [used])
        }
    }

    @Test("a cache hit's route used names the job whose result it reused; a batch of completions keeps each one's", arguments: Backend.all)
    func cacheHitAndBatchCompletion(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let first = try await store.enqueue(tts("one"), now: t0).job
            let second = try await store.enqueue(tts("two"), now: t0).job
            let plain = try await store.enqueue(tts("three"), now: t0).job
            _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60, limit: 3)
            let made = RouteUsed(provider: "local", model: "flite")
            let reused = RouteUsed(provider: "local", model: "flite", cacheHitOf: first.id)
            try await store.complete([(first.id, JobCompletion(routeUsed: made)), (second.id, JobCompletion(routeUsed: reused)),
                                      (plain.id, JobCompletion())], worker: "w", now: t0 + 1)
            #expect(try await store.job(first.id)?.routeUsed == made)
            #expect(try await store.job(second.id)?.routeUsed == reused)
            #expect(try await store.job(second.id)?.routeUsed?.cacheHitOf == first.id)
            // A completion that does not say which route made it leaves it unknown.
            #expect(try await store.job(plain.id)?.routeUsed == nil)
        }
    }

    @Test("an old database's jobs read with no route used, and costs group them as unknown, never as the route asked")
    func oldDatabaseHasNoRouteUsed() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.makeVersion13Database(at: folder.databasePath)

        let store = try SQLiteJobStore(path: folder.databasePath)
        let old = try #require(try await store.job(JobID(rawValue: "old-done")))
        #expect(old.state == .succeeded)
        #expect(old.routeUsed == nil)
        #expect(try await store.jobs(JobFilter()).allSatisfy { $0.routeUsed == nil })

        let lines = try await store.costLines(since: nil, until: nil, label: nil)
        #expect(lines.map(\.routeAsked) == ["openrouter/some-lab/not-served", "openrouter/some-lab/not-served"])
        #expect(lines.map(\.routeUsed) == ["unknown", ""])
        let report = CostReport(lines: lines, groupBy: ["route_used"])
        #expect(report.groups.map(\.key) == [["route_used": ""], ["route_used": "unknown"]])
    }

    @Test("costs group by the route each job asked for first and the route that made its result", arguments: Backend.all)
    func costsByRouteAskedAndUsed(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let fellBack = try await store.enqueue(Self.asked, now: t0).job
            let direct = try await store.enqueue(tts("direct"), now: t0).job
            let failed = try await store.enqueue(JobSpec(kind: .tts, provider: "openrouter", input: JobInput(text: "x"),
                                                         maxAttempts: 1), now: t0).job
            _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60, limit: 3)
            func cost(_ job: Job, _ provider: String, _ model: String, _ usd: String) -> CostRecord {
                CostRecord(jobID: job.id, attempt: 1, provider: provider, model: model, units: [:], usd: Money(usd: usd),
                           source: .estimated, charged: true, at: t0 + 1)
            }
            try await store.complete(fellBack.id, worker: "w", result: JobCompletion(
                costs: [cost(fellBack, "local", "flite", "0")], routeUsed: RouteUsed(provider: "local", model: "flite")),
                now: t0 + 1)
            try await store.complete(direct.id, worker: "w", result: JobCompletion(
                costs: [cost(direct, "local", "flite", "0")], routeUsed: RouteUsed(provider: "local", model: "flite")),
                now: t0 + 1)
            try await store.fail(failed.id, worker: "w", error: MediaJobsError(.providerFailed, "down"), retryable: false,
                                 costs: [cost(failed, "openrouter", "openai/gpt-4o-mini-tts", "0.01")], now: t0 + 1)

            let lines = try await store.costLines(since: nil, until: nil, label: nil)
            let report = CostReport(lines: lines, groupBy: ["route_asked", "route_used"])
            #expect(report.groups.map(\.key) == [
                ["route_asked": "local", "route_used": "local/flite"],
                ["route_asked": "openrouter", "route_used": ""],
                ["route_asked": "openrouter/some-lab/not-served", "route_used": "local/flite"],
            ])
            #expect(report.groups.map(\.attempts) == [1, 1, 1])
            #expect(report.groups[1].usd == Money(usd: "0.01"))
            #expect(throws: Never.self) { try CostReport.checkGrouping(["route_used", "route_asked"], label: nil, field: "--by") }
        }
    }

    /// A database as the release before v15 left it: one succeeded and one failed job, each with a cost.
    static func makeVersion13Database(at path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try SQLiteSchema.migrator.migrate(queue, upTo: "v13-cost-outcomes")
        try queue.write { db in
            let spec = String(decoding: try JSONEncoder().encode(asked), as: UTF8.self)
            try db.execute(sql: """
                INSERT INTO jobs (id, kind, state, spec, run_at, max_attempts, created_at, updated_at, finished_at)
                VALUES ('old-done', 'tts', 'succeeded', ?1, 0, 3, 0, 0, 1), ('old-failed', 'tts', 'failed', ?1, 0, 3, 0, 0, 1)
                """, arguments: [spec])
            try db.execute(sql: """
                INSERT INTO costs (job_id, attempt, provider, model, units, usd_picos, source, charged, at, lines)
                VALUES ('old-done', 1, 'local', 'flite', '{}', 0, 'estimated', 1, 1, '[]'),
                       ('old-failed', 1, 'openrouter', 'some-lab/not-served', '{}', 0, 'estimated', 1, 1, '[]')
                """)
        }
    }
}
