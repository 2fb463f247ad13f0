import Foundation
import GRDB
import MediaJobsCore
import Testing
@testable import MediaJobsStore

@Suite("v10: a ledger kept in nano-dollars moves to pico-dollars, with unknown amounts as unknown")
struct PicoMigrationTests {
    @Test("existing costs keep their amounts exactly, an unknown one becomes null, budget holds are scaled")
    func migratesStoredLedger() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.makeVersion9Database(at: folder.databasePath)
        let store = try SQLiteJobStore(path: folder.databasePath)
        let costs = try await store.costs(JobID(rawValue: "job-1"))
        #expect(costs.count == 2)
        #expect(costs[0].usd == Money(usd: "0.00018"))
        #expect(costs[0].source == .estimated)
        #expect(costs[0].lines.isEmpty)
        #expect(costs[1].usd == nil)
        #expect(costs[1].source == .unknown)
        #expect(costs[1].units == ["predict_seconds": Decimal(string: "37.123456")!])
        // v13: every cost recorded before it had an answer.
        #expect(costs.allSatisfy { $0.outcome == .answered && $0.charged })
        #expect(try await store.totalCost(since: nil, until: nil) == CostTotal(usd: Money(usd: "0.00018"), unknown: 1))
        let held = try await store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT usd_picos FROM budget_holds") }
        #expect(held == 5_000)
    }

    @Test("a cost finer than a nano-dollar and its price lines come back exactly")
    func keepsPicosAndLines() async throws {
        try await withSQLiteStore { store, _ in
            let job = try await store.enqueue(tts("fine"), now: t0).job
            _ = try #require(try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60))
            let seconds = Decimal(string: "37.123456")!
            let line = PriceLine(unit: "predict_seconds", quantity: seconds, usdPerUnit: Decimal(string: "0.0014")!,
                                 source: "REP-PRICE-3P (A100-80GB), 2026-10-07")
            let record = CostRecord(jobID: job.id, attempt: 1, provider: "replicate", model: "wan-video/wan-2.2-t2v-fast",
                                    units: ["predict_seconds": seconds], usd: line.usd, source: .estimated, lines: [line],
                                    charged: true, at: t0)
            try await store.complete(job.id, worker: "w", result: JobCompletion(costs: [record]), now: t0)
            let stored = try #require(try await store.costs(job.id).first)
            #expect(stored.usd?.description == "0.0519728384")
            #expect(stored.lines == [line])
            #expect(stored == record)
        }
    }

    /// A database as the previous release left it: migrated up to v9, with costs in nano-dollars.
    static func makeVersion9Database(at path: String) throws {
            let queue = try DatabaseQueue(path: path)
            try SQLiteSchema.migrator.migrate(queue, upTo: "v9-submission-lookups")
            try queue.write { db in
                let spec = String(decoding: try JSONEncoder().encode(tts("kept")), as: UTF8.self)
                try db.execute(sql: """
                    INSERT INTO jobs (id, kind, state, spec, run_at, max_attempts, created_at, updated_at)
                    VALUES ('job-1', 'tts', 'running', ?, 0, 3, 0, 0)
                    """, arguments: [spec])
                try db.execute(sql: """
                    INSERT INTO costs (job_id, attempt, provider, model, units, usd_nanos, source, charged, at)
                    VALUES ('job-1', 1, 'openai', 'tts-1', '{"characters":"12"}', 180000, 'estimated', 1, 1),
                           ('job-1', 2, 'replicate', 'wan', '{"predict_seconds":"37.123456"}', 0, 'unknown', 1, 2)
                    """)
                try db.execute(sql: """
                    INSERT INTO budget_holds (job_id, attempt, provider, usd_nanos, at) VALUES ('job-1', 2, 'openai', 5, 3)
                    """)
            }
    }
}
