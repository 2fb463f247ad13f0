import Foundation
import GRDB
import MediaJobsCore
import Testing
@testable import MediaJobsStore

@Suite("the store contract: several claimers and processes on one database")
struct ConcurrencyTests {
    @Test("enqueue of a known idempotency key returns the existing job", arguments: Backend.all)
    func idempotencyKey(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let first = try await store.enqueue(tts("first", key: "episode-12-intro"), now: t0)
            let second = try await store.enqueue(tts("second", key: "episode-12-intro"), now: t0 + 1)
            #expect(first.created)
            #expect(!second.created)
            #expect(second.job == first.job)
            #expect(try await store.countsByState() == [.queued: 1])
            // Jobs without a key never collide.
            #expect(try await store.enqueue(tts(), now: t0).created)
            #expect(try await store.enqueue(tts(), now: t0).created)
        }
    }

    @Test("two stores on one file enqueueing the same key concurrently get the same job", arguments: Backend.all)
    func concurrentIdempotency(_ backend: Backend) async throws {
        try await withDatabase(backend) { database in
        let a = try await database.open()
        let b = try await database.open()
        for round in 0..<20 {
            let key = "key-\(round)"
            async let left = a.enqueue(tts("a", key: key), now: t0)
            async let right = b.enqueue(tts("b", key: key), now: t0)
            let (l, r) = try await (left, right)
            #expect(l.job.id == r.job.id)
            #expect([l.created, r.created].filter { $0 }.count == 1)
        }
        #expect(try await a.countsByState() == [.queued: 20])
        }
    }

    @Test("two stores on one database claiming concurrently never take the same job twice", arguments: Backend.all)
    func twoStoresClaimEachJobOnce(_ backend: Backend) async throws {
        try await withDatabase(backend) { database in
        let a = try await database.open()
        let b = try await database.open()
        _ = try await a.enqueue((0..<1_000).map { tts("job \($0)", priority: $0 % 4) }, now: t0)
        let claimed = try await withThrowingTaskGroup(of: [JobID].self) { group in
            for (index, store) in [a, b, a, b].enumerated() {
                group.addTask {
                    var ids: [JobID] = []
                    while let job = try await store.claim(worker: "w\(index)", now: t0, leaseExpiry: t0 + 600) {
                        ids.append(job.id)
                        if ids.count % 3 == 0 {
                            try await store.complete(job.id, worker: "w\(index)", result: JobCompletion(), now: t0)
                        }
                    }
                    return ids
                }
            }
            var all: [JobID] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(claimed.count == 1_000)
        #expect(Set(claimed).count == 1_000)
        var claimedEvents = 0
        for id in claimed {
            claimedEvents += try await b.events(id, after: nil).filter { $0.kind == .claimed }.count
        }
        #expect(claimedEvents == 1_000)
        }
    }

    @Test("the claim walks the runnable index in order, with no sort")
    func claimUsesIndex() async throws {
        try await withSQLiteStore { store, _ in
            _ = try await store.enqueue((0..<50).map { tts("\($0)", priority: $0 % 5) }, now: t0)
            let statements: [(String, StatementArguments)] = [
                (SQLiteJobStore.claimSQL, ["w", 0, 0, 0]),
                (SQLiteJobStore.claimBatchSQL, ["w", 0, 0, 0, 10]),
            ]
            for (sql, arguments) in statements {
                let plan = try await store.pool.read { db in
                    try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                        .map { row -> String in row["detail"] ?? "" }
                }
                let text = plan.joined(separator: "\n")
                #expect(text.contains("USING INDEX jobs_runnable"), "plan:\n\(text)")
                #expect(!text.contains("TEMP B-TREE"), "plan:\n\(text)")
                #expect(!plan.contains("SCAN jobs"), "plan:\n\(text)")
            }
            let rescuePlan = try await store.pool.read { db in
                try Row.fetchAll(db, sql: """
                    EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE state = 'running' AND lease_expires_at < ?
                    """, arguments: [0]).map { row -> String in row["detail"] ?? "" }
            }
            #expect(rescuePlan.joined().contains("jobs_leases"), "plan: \(rescuePlan)")
        }
    }

    @Test("costs sum exactly in nano-dollars", arguments: Backend.all)
    func exactCosts(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let price = try #require(Money(usd: "0.000015"))
            var expected = Money.zero
            for i in 0..<100 {
                let id = try await store.enqueue(tts("line \(i)"), now: t0).job.id
                _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60)
                let cost = CostRecord(jobID: id, attempt: 1, provider: "openai", model: "tts-1",
                                      units: ["characters": Decimal(string: "123.25")!], usd: price,
                                      source: .reported, charged: true, rawUsage: #"{"characters":123}"#,
                                      at: t0 + Double(i))
                expected += price
                try await store.complete(id, worker: "w", result: JobCompletion(costs: [cost]), now: t0 + Double(i))
            }
            #expect(expected == Money(usd: "0.0015"))
            let records = try await store.costRecords(since: t0, until: t0 + 100)
            #expect(records.count == 100)
            #expect(records.reduce(Money.zero) { $0 + ($1.usd ?? .zero) } == expected)
            #expect(records.first?.units == ["characters": Decimal(string: "123.25")!])
            #expect(try await store.totalCost(since: nil, until: nil) == CostTotal(usd: expected, unknown: 0))
            #expect(try await store.costRecords(since: t0 + 10, until: t0 + 20).count == 10)
        }
    }
}

@Suite("SQLiteJobStore: connection settings")
struct ConnectionSettingsTests {
    @Test("WAL, foreign keys, and the chosen synchronous level on every connection",
          arguments: [(SQLiteJobStore.Synchronous.normal, 1), (.full, 2)])
    func settings(_ synchronous: SQLiteJobStore.Synchronous, _ level: Int) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try SQLiteJobStore(path: folder.databasePath, synchronous: synchronous)
        let read = try await store.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Bool.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        let written = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(read.0 == "wal")
        #expect(read.1 == level)
        #expect(written == level)
        #expect(read.2 == true)
    }
}
