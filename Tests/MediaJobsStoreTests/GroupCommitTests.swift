import Foundation
import GRDB
import MediaJobsCore
import Testing
@testable import MediaJobsStore

@Suite("SQLiteJobStore: writes committed together, events clustered by job")
struct GroupCommitTests {
    private struct Refused: Error {}

    @Test("writes queued behind a busy writer share a transaction, and one that throws fails alone")
    func failureStaysInItsSavepoint() async throws {
        try await withSQLiteStore { store, _ in
            try await store.pool.write { db in try db.execute(sql: "CREATE TABLE marks (n INTEGER NOT NULL)") }
            // The first write holds the writer thread, so the next ones queue up and run as one group.
            let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                group.addTask {
                    try await store.writer.write { db in
                        usleep(100_000)
                        try db.execute(sql: "INSERT INTO marks (n) VALUES (-1)")
                    }
                    return (-1, true)
                }
                try await Task.sleep(nanoseconds: 20_000_000)
                for n in 0..<20 {
                    group.addTask {
                        do {
                            try await store.writer.write { db in
                                try db.execute(sql: "INSERT INTO marks (n) VALUES (?)", arguments: [n])
                                if n % 3 == 0 { throw Refused() }
                            }
                            return (n, true)
                        } catch is Refused {
                            return (n, false)
                        }
                    }
                }
                var results: [Int: Bool] = [:]
                for try await (n, ok) in group { results[n] = ok }
                return results
            }
            let kept = try await store.pool.read { db in
                try Int.fetchAll(db, sql: "SELECT n FROM marks ORDER BY n")
            }
            let expected = [-1] + (0..<20).filter { $0 % 3 != 0 }
            #expect(kept == expected)
            #expect(results.filter { !$0.value }.keys.sorted() == (0..<20).filter { $0 % 3 == 0 })
        }
    }

    @Test("concurrent completions with lost leases fail alone; the others commit", arguments: Backend.all)
    func concurrentLeaseChecks(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.enqueue((0..<40).map { tts("job \($0)") }, now: t0)
            let jobs = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60, limit: 40)
            #expect(jobs.count == 40)
            let outcomes = try await withThrowingTaskGroup(of: (JobID, MediaJobsError.Code?).self) { group in
                for (index, job) in jobs.enumerated() {
                    group.addTask {
                        let worker = index % 4 == 0 ? "intruder" : "w"
                        do {
                            try await store.complete(job.id, worker: worker, result: JobCompletion(), now: t0 + 1)
                            return (job.id, nil)
                        } catch {
                            return (job.id, code(of: error))
                        }
                    }
                }
                var outcomes: [(JobID, MediaJobsError.Code?)] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            #expect(outcomes.filter { $0.1 == nil }.count == 30)
            #expect(outcomes.filter { $0.1 == .leaseLost }.count == 10)
            #expect(try await store.countsByState() == [.succeeded: 30, .running: 10])
            for (id, failure) in outcomes {
                let kinds = try await store.events(id, after: nil).map(\.kind)
                #expect(kinds == (failure == nil ? [.submitted, .claimed, .succeeded] : [.submitted, .claimed]))
            }
        }
    }

    @Test("a write from a cancelled task is refused before it runs", arguments: Backend.all)
    func cancelledBeforeStart(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await store.enqueue(tts(), now: t0)
            }
            await #expect(throws: CancellationError.self) { try await task.value }
            let counts = try await store.countsByState()
            #expect(counts.isEmpty)
        }
    }

    @Test("event ids increase per job, also after the migration from the rowid events table")
    func eventIdsAfterMigration() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // A database as the previous schema left it, with globally numbered events.
        do {
            let queue = try DatabaseQueue(path: folder.databasePath)
            try SQLiteSchema.migrator.migrate(queue, upTo: "v2-batches")
            try await queue.write { db in
                try db.execute(sql: """
                    INSERT INTO jobs (id, kind, state, spec, run_at, max_attempts, created_at, updated_at)
                    VALUES ('old-job', 'tts', 'succeeded', '{"kind":"tts","input":{"text":"old"}}', 0, 3, 0, 0);
                    INSERT INTO job_events (id, job_id, at, kind, attempt, detail)
                    VALUES (40, 'old-job', 0, 'submitted', 0, ''), (41, 'old-job', 0, 'note', 0, 'kept');
                    """)
            }
        }
        let store = try SQLiteJobStore(path: folder.databasePath)
        let old = JobID(rawValue: "old-job")
        try await store.addEvent(old, kind: .note, worker: nil, detail: "after", now: t0)
        let oldEvents = try await store.events(old, after: nil)
        #expect(oldEvents.map(\.id) == [40, 41, 42])
        #expect(oldEvents.map(\.detail) == ["", "kept", "after"])
        #expect(try await store.events(old, after: 41).map(\.detail) == ["after"])

        let fresh = try await store.enqueue(tts(), now: t0).job
        _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60)
        try await store.setStage(fresh.id, worker: "w", stage: "synthesize", detail: "", now: t0)
        try await store.complete(fresh.id, worker: "w", result: JobCompletion(), now: t0)
        let ids = try await store.events(fresh.id, after: nil).map(\.id)
        #expect(ids.count == 4)
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
        let plan = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT * FROM job_events WHERE job_id = ? AND id > ? ORDER BY id",
                             arguments: ["x", 0]).map { row -> String in row["detail"] ?? "" }.joined(separator: "\n")
        }
        #expect(!plan.contains("TEMP B-TREE") && !plan.contains("SCAN"), "plan:\n\(plan)")
    }
}
