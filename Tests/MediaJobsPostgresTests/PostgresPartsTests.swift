import Foundation
import MediaJobsCore
@testable import MediaJobsPostgres
@testable import MediaJobsStore
import Testing

/// Jobs made of parts where only PostgreSQL has something to show: a SQLite store's parts copied by `migrate`, and a
/// parent woken for the poll slots of another process. The contract itself is PartsStoreTests, run on both stores.
@Suite("PostgreSQL: a job's parts", .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
struct PostgresPartsTests {
    @Test("a parent and its parts copied from a SQLite store keep parent_id: listed, woken and canceled with it")
    func importedPartsKeepTheirParent() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-parts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = try SQLiteJobStore(path: folder.appendingPathComponent("jobs.sqlite").path)
        let parent = try await sqlite.enqueue(tts("a long text", key: "parent"), now: t0).job
        _ = try #require(try await sqlite.claim(worker: "w", now: t0, leaseExpiry: t0 + 60))
        let parts = try await sqlite.enqueue((1...3).map { tts("piece \($0)", key: "\(parent.id)/part-\($0)") },
                                             parent: parent.id, now: t0 + 1).map(\.job)
        let handle = PartsHandle(parts: parts.map { PartsHandle.Part(job: $0.id) }).encoded()
        _ = try await sqlite.wait(parent.id, worker: "w", handle: handle, pollAt: t0 + 3_600, now: t0 + 1)
        let snapshot = try sqlite.snapshot()

        try await withPostgresStore { store in
            let copied = try await store.importStore(snapshot)
            #expect(copied["jobs"] == 4)
            #expect(try await store.job(parent.id)?.parentID == nil)
            let imported = try await store.parts(of: parent.id)
            #expect(imported.allSatisfy { $0.parentID == parent.id })
            // SQLite's ids of one call are not in the order of its specs, and the copy does not see SQLite's rowid:
            // parts made by one call come back by id.
            #expect(imported.map(\.id) == parts.map(\.id).sorted())
            #expect(try await store.job(parts[0].id)?.parentID == parent.id)

            let claimed = try #require(try await store.claim(worker: "w", now: t0 + 2, leaseExpiry: t0 + 60))
            #expect(claimed.parentID == parent.id)
            try await store.complete(claimed.id, worker: "w", result: JobCompletion(), now: t0 + 3)
            #expect(try await store.job(parent.id)?.pollAt == t0 + 3)

            _ = try await store.cancel(parent.id, now: t0 + 4)
            let after = try await store.parts(of: parent.id)
            #expect(after.filter { $0.state == .canceled }.map(\.id) == after.filter { $0.id != claimed.id }.map(\.id))
            #expect(after.first { $0.id == claimed.id }?.state == .succeeded)
        }
    }

    @Test("parts added by one call are listed in the order of its specs, whatever their random digits")
    func partsOfOneCallInOrder() async throws {
        try await withPostgresStore { store in
            let parent = try await store.enqueue(tts("a long text"), now: t0).job
            let parts = try await store.enqueue((1...40).map { tts("piece \($0)") }, parent: parent.id, now: t0 + 1)
                .map(\.job)
            #expect(try await store.parts(of: parent.id).map(\.spec.input.text) == parts.map(\.spec.input.text))
            let more = try await store.enqueue([tts("piece 41")], parent: parent.id, now: t0 + 2).map(\.job)
            #expect(try await store.parts(of: parent.id).map(\.id) == (parts + more).map(\.id))
        }
    }

    @Test("a part that ends through one store wakes the other store's poll slots for its parent (NOTIFY)",
          .timeLimit(.minutes(10)))
    func endedPartWakesOtherStore() async throws {
        try await PostgresTestServer.withDatabase { url in
            let first = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            let second = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            do {
                // Real time: the waiter reckons how long to wait from the clock.
                let start = Date()
                let parent = try await first.enqueue(tts("a long text"), now: start).job
                _ = try #require(try await first.claim(worker: "w", now: start, leaseExpiry: start + 600))
                let part = try await first.enqueue([tts("the only piece")], parent: parent.id, now: start)[0].job
                let handle = PartsHandle(parts: [PartsHandle.Part(job: part.id)]).encoded()
                _ = try await first.wait(parent.id, worker: "w", handle: handle, pollAt: start + 3_600, now: start)
                _ = try #require(try await first.claim(worker: "w", now: start, leaseExpiry: start + 600))

                // The notifications of the calls above reach the other store first.
                try await Task.sleep(for: .milliseconds(300))
                let generation = second.workGeneration()
                #expect(try await second.claim(worker: "p", now: Date(), leaseExpiry: Date() + 60, limit: 1,
                                               scope: .duePolls).isEmpty)
                let waiter = Task { await second.waitForWork(since: generation, upTo: 60, scope: .duePolls) }
                try await first.complete(part.id, worker: "w", result: JobCompletion(), now: Date())
                await waiter.value
                #expect(Date().timeIntervalSince(start) < 30, "the poll slot slept on")
                #expect(second.workGeneration() != generation)
                let polled = try await second.claim(worker: "p", now: Date(), leaseExpiry: Date() + 60, limit: 1,
                                                    scope: .duePolls)
                #expect(polled.map(\.id) == [parent.id])
            } catch {
                await first.shutdown()
                await second.shutdown()
                throw error
            }
            await first.shutdown()
            await second.shutdown()
        }
    }
}
