import Foundation
import MediaJobsCore
@testable import MediaJobsPostgres
import MediaJobsStore
import PostgresNIO
import Testing

@Suite("PostgresJobStore: several stores on one database",
       .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
struct PostgresConcurrencyTests {
    @Test("enqueue of a known idempotency key returns the existing job")
    func idempotencyKey() async throws {
        try await withPostgresStore { store in
            let first = try await store.enqueue(tts("first", key: "episode-12-intro"), now: t0)
            let second = try await store.enqueue(tts("second", key: "episode-12-intro"), now: t0 + 1)
            #expect(first.created)
            #expect(!second.created)
            #expect(second.job == first.job)
            #expect(try await store.countsByState() == [.queued: 1])
            #expect(try await store.job(idempotencyKey: "episode-12-intro") == first.job)
            #expect(try await store.enqueue(tts(), now: t0).created)
            #expect(try await store.enqueue(tts(), now: t0).created)
        }
    }

    @Test("two stores enqueueing the same key concurrently get the same job")
    func concurrentIdempotency() async throws {
        try await PostgresTestServer.withDatabase { url in
            let a = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            let b = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            for round in 0..<20 {
                let key = "key-\(round)"
                async let left = a.enqueue(tts("a", key: key), now: t0)
                async let right = b.enqueue(tts("b", key: key), now: t0)
                let (l, r) = try await (left, right)
                #expect(l.job.id == r.job.id)
                #expect([l.created, r.created].filter { $0 }.count == 1)
            }
            #expect(try await a.countsByState() == [.queued: 20])
            await a.shutdown()
            await b.shutdown()
        }
    }

    @Test("four claimers on two stores never take the same job twice, and each claim has one event")
    func claimersTakeEachJobOnce() async throws {
        try await PostgresTestServer.withDatabase { url in
            let a = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            let b = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            _ = try await a.enqueue((0..<300).map { tts("job \($0)", priority: $0 % 4) }, now: t0)
            let claimed = try await withThrowingTaskGroup(of: [JobID].self) { group in
                for (index, store) in [a, b, a, b].enumerated() {
                    group.addTask {
                        var ids: [JobID] = []
                        while true {
                            let jobs = try await store.claim(
                                worker: "w\(index)", now: t0, leaseExpiry: t0 + 600, limit: index % 2 == 0 ? 1 : 3)
                            if jobs.isEmpty { break }
                            ids += jobs.map(\.id)
                            for job in jobs where ids.count % 3 == 0 {
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
            #expect(claimed.count == 300)
            #expect(Set(claimed).count == 300)
            let events = try await PostgresTestServer.withConnection(url) { session in
                try await session.rows("SELECT count(*) FROM job_events WHERE kind = 'claimed'").first?.decode(Int.self)
            }
            #expect(events == 300)
            await a.shutdown()
            await b.shutdown()
        }
    }

    @Test("the poll pool claims only due waiting jobs, the work pool only queued ones")
    func claimScopes() async throws {
        try await withPostgresStore { store in
            let polled = try await store.enqueue(tts("polled", priority: 9), now: t0).job.id
            _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60)
            try await store.wait(polled, worker: "w", handle: "h", pollAt: t0 + 10, now: t0 + 1)
            let queued = try await store.enqueue(tts("queued"), now: t0 + 2).job.id
            #expect(try await store.claim(worker: "p", now: t0 + 5, leaseExpiry: t0 + 60, limit: 5, scope: .duePolls)
                        .isEmpty)
            let work = try await store.claim(worker: "q", now: t0 + 20, leaseExpiry: t0 + 80, limit: 5, scope: .queued)
            #expect(work.map(\.id) == [queued])
            let polls = try await store.claim(worker: "p", now: t0 + 20, leaseExpiry: t0 + 80, limit: 5, scope: .duePolls)
            #expect(polls.map(\.id) == [polled])
            #expect(polls.first?.attempts == 1)
        }
    }

    @Test("an enqueue, a retry and a release notify mediajobs_jobs when they commit")
    func notifications() async throws {
        try await PostgresTestServer.withDatabase { url in
            let store = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            let listener = try await PostgresConnection.connect(
                configuration: try PostgresURL(url).connectionConfiguration(), id: 7, logger: PostgresTestServer.logger)
            let count = try await listener.listen(on: PostgresJobStore.jobsChannel) { received in
                // Counts notifications until three arrived; the test waits for it at most 20 s.
                let three = Task {
                    var count = 0
                    for try await _ in received {
                        count += 1
                        if count == 3 { break }
                    }
                    return count
                }
                let id = try await store.enqueue(tts(maxAttempts: 1), now: t0).job.id
                _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60)
                try await store.release(id, worker: "w", now: t0 + 1)
                _ = try await store.claim(worker: "w", now: t0 + 2, leaseExpiry: t0 + 60)
                try await store.fail(id, worker: "w", error: MediaJobsError(.providerFailed, "boom"), retryable: false,
                                     costs: [], now: t0 + 3)
                try await store.retry(id, now: t0 + 4)
                return try await withThrowingTaskGroup(of: Int?.self) { group in
                    group.addTask { try await three.value }
                    group.addTask {
                        try await Task.sleep(for: .seconds(20))
                        return nil
                    }
                    let first = try await group.next() ?? nil
                    group.cancelAll()
                    three.cancel()
                    return first
                }
            }
            #expect(count == 3)
            try await listener.close()
            await store.shutdown()
        }
    }

    @Test("each pool's claim walks its partial index in claim order, with no sort")
    func claimUsesIndexes() async throws {
        try await PostgresTestServer.withDatabase { url in
            let store = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            _ = try await store.enqueue((0..<50).map { tts("\($0)", priority: $0 % 5) }, now: t0)
            await store.shutdown()
            let expected: [(ClaimScope, String)] = [(.any, "jobs_runnable"), (.queued, "jobs_queued"),
                                                    (.duePolls, "jobs_due_polls")]
            for (scope, index) in expected {
                let claim = PostgresJobStore.claimQuery(scope: scope, worker: "w", expiry: 0, now: 0, limit: 10)
                let plan = try await PostgresTestServer.withConnection(url) { session in
                    // A table this small would be read whole: ask what the planner does once it is not.
                    try await session.execute("SET enable_seqscan = off")
                    var explain = claim
                    explain.sql = "EXPLAIN " + claim.sql
                    return try await session.rows(explain).map { try $0.decode(String.self) }.joined(separator: "\n")
                }
                #expect(plan.contains(index), "plan:\n\(plan)")
                #expect(!plan.contains("Sort"), "plan:\n\(plan)")
            }
        }
    }

    @Test("the store is a JobLookup, JobStory and ArtifactIndex; jobs(updatedSince:) lists changes oldest first")
    func lookupContract() async throws {
        try await withPostgresStore { store in
            let parts: any JobLookup & JobStory & ArtifactIndex = store
            let first = try await store.enqueue(tts("first"), now: t0).job.id
            let second = try await store.enqueue(tts("second"), now: t0 + 1).job.id
            try await store.cancel(first, now: t0 + 2)
            #expect(try await parts.jobs(updatedSince: t0, limit: 10).map(\.id) == [second, first])
            #expect(try await parts.jobs(updatedSince: t0 + 2, limit: 10).map(\.id) == [first])
            #expect(try await parts.jobs(updatedSince: t0, limit: 1).map(\.id) == [second])
            #expect(try await parts.events(first, after: nil).map(\.kind) == [.submitted, .canceled])
        }
    }

    @Test("event ids count up per job, so a reader following events(after:) misses none")
    func eventIdsPerJob() async throws {
        try await withPostgresStore { store in
            let a = try await store.enqueue(tts("a"), now: t0).job.id
            let b = try await store.enqueue(tts("b"), now: t0).job.id
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        try await store.addEvent(i % 2 == 0 ? a : b, kind: .note, worker: nil, detail: "\(i)", now: t0)
                    }
                }
                try await group.waitForAll()
            }
            for id in [a, b] {
                let ids = try await store.events(id, after: nil).map(\.id)
                #expect(ids == Array(1...Int64(ids.count)))
                #expect(ids.count == 11)
            }
        }
    }

    @Test("a corrupt stored spec is a store.failure naming the job, not a crash")
    func corruptRow() async throws {
        try await PostgresTestServer.withDatabase { url in
            let writer = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            let id = try await writer.enqueue(tts(), now: t0).job.id
            await writer.shutdown()
            try await PostgresTestServer.withConnection(url) { session in
                try await session.execute("UPDATE jobs SET spec = '{not json' WHERE id = \(id.rawValue)")
            }
            // A new store: the first one remembers the spec it enqueued.
            let reader = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            let error = await #expect(throws: MediaJobsError.self) { _ = try await reader.job(id) }
            #expect(error?.code == .storeFailure)
            #expect(error?.message.contains(id.rawValue) == true)
            await reader.shutdown()
        }
    }

    @Test("an artifact recorded for an unknown job is not found; one without a job is stored alone")
    func recordArtifact() async throws {
        try await withPostgresStore { store in
            let artifact = ArtifactRef(sha256: String(repeating: "cd", count: 32), mime: "image/png", bytes: 10,
                                       format: "png", width: 4, height: 3, role: .input)
            await #expect(throws: MediaJobsError.self) {
                try await store.recordArtifact(artifact, job: JobID.generate(now: t0), now: t0)
            }
            try await store.recordArtifact(artifact, job: nil, now: t0)
            #expect(try await store.artifact(sha256: artifact.sha256)?.width == 4)
            let id = try await store.enqueue(tts(), now: t0).job.id
            var checked = artifact
            checked.checks = [MediaCheck(name: "decode", subject: "video", detail: "3 frames")]
            try await store.recordArtifact(checked, job: id, now: t0)
            try await store.recordArtifact(checked, job: id, now: t0)
            #expect(try await store.artifacts(id) == [checked])
            #expect(try await store.artifact(sha256: "nope") == nil)
        }
    }
}
