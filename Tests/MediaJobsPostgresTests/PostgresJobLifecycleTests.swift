import Foundation
import MediaJobsCore
import Testing
@testable import MediaJobsPostgres
import MediaJobsStore

@Suite("PostgresJobStore: a job's life", .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
struct JobLifecycleTests {
    @Test("enqueue, claim and complete a job, with artifacts, costs and events")
    func enqueueClaimComplete() async throws {
        try await withPostgresStore { store in
            let submitted = try await store.enqueue(tts(), now: t0)
            #expect(submitted.created)
            #expect(submitted.job.state == .queued)
            #expect(submitted.job.attempts == 0)
            #expect(submitted.job.maxAttempts == JobSpec.defaultMaxAttempts)
            #expect(try await store.job(submitted.job.id) == submitted.job)

            let claimed = try #require(try await store.claim(worker: "w1", now: t0 + 1, leaseExpiry: t0 + 61))
            #expect(claimed.id == submitted.job.id)
            #expect(claimed.state == .running)
            #expect(claimed.attempts == 1)
            #expect(claimed.leaseOwner == "w1")
            #expect(claimed.leaseExpiresAt == t0 + 61)
            #expect(claimed.spec == tts())

            try await store.setStage(claimed.id, worker: "w1", stage: "provider", detail: "local/flite", now: t0 + 2)
            #expect(try await store.job(claimed.id)?.stage == "provider")

            let artifact = ArtifactRef(sha256: String(repeating: "ab", count: 32), mime: "audio/mpeg", bytes: 1234,
                                       format: "mp3", durationSeconds: 1.5, codec: "mp3")
            let cost = CostRecord(jobID: claimed.id, attempt: 1, provider: "local", model: "flite",
                                  units: ["characters": 5], usd: .zero, source: .reported, charged: false, at: t0 + 3)
            let done = try await store.complete(
                claimed.id, worker: "w1", result: JobCompletion(artifacts: [artifact], costs: [cost], detail: "ok"),
                now: t0 + 3)
            #expect(done.state == .succeeded)
            #expect(done.finishedAt == t0 + 3)
            #expect(done.leaseOwner == nil)
            #expect(done.stage == nil)
            #expect(try await store.artifacts(claimed.id) == [artifact])
            #expect(try await store.artifact(sha256: artifact.sha256) == artifact)
            #expect(try await store.ledgerRows(claimed.id) == [cost])

            let events = try await store.events(claimed.id, after: nil)
            #expect(events.map(\.kind) == [.submitted, .claimed, .stage, .succeeded])
            #expect(events.last?.worker == "w1")
            #expect(events.last?.attempt == 1)
            let later = try await store.events(claimed.id, after: events[1].id)
            #expect(later.map(\.kind) == [.stage, .succeeded])
            #expect(try await store.countsByState() == [.succeeded: 1])
        }
    }

    @Test("claim takes the highest priority first, then the earliest run_at")
    func claimOrder() async throws {
        try await withPostgresStore { store in
            let low = try await store.enqueue(tts("low", priority: 0), now: t0).job
            let highLater = try await store.enqueue(tts("high later", priority: 5), now: t0 + 2).job
            let highEarlier = try await store.enqueue(tts("high earlier", priority: 5), now: t0 + 1).job
            let now = t0 + 10
            let order = [
                try await store.claim(worker: "w", now: now, leaseExpiry: now + 60)?.id,
                try await store.claim(worker: "w", now: now, leaseExpiry: now + 60)?.id,
                try await store.claim(worker: "w", now: now, leaseExpiry: now + 60)?.id,
            ]
            #expect(order == [highEarlier.id, highLater.id, low.id])
        }
    }

    @Test("claim returns nil when nothing is runnable")
    func claimNothing() async throws {
        try await withPostgresStore { store in
            #expect(try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60) == nil)
            _ = try await store.enqueue(tts(), now: t0)
            #expect(try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60) != nil)
            #expect(try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60) == nil)
        }
    }

    @Test("a job whose run_at is in the future is not claimed until then")
    func futureRunAtNotClaimed() async throws {
        try await withPostgresStore { store in
            let job = try await store.enqueue(tts(), now: t0 + 100).job
            #expect(try await store.claim(worker: "w", now: t0 + 99, leaseExpiry: t0 + 160) == nil)
            #expect(try await store.claim(worker: "w", now: t0 + 100, leaseExpiry: t0 + 160)?.id == job.id)
        }
    }

    @Test("batched claim takes up to the limit, in claim order, once each")
    func batchClaim() async throws {
        try await withPostgresStore { store in
            let results = try await store.enqueue((0..<10).map { tts("job \($0)", priority: $0 % 3) }, now: t0)
            #expect(results.allSatisfy { $0.created })
            let first = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60, limit: 4)
            let rest = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60, limit: 100)
            #expect(first.count == 4)
            #expect(rest.count == 6)
            #expect(Set((first + rest).map(\.id)).count == 10)
            let priorities = (first + rest).map(\.priority)
            #expect(priorities == priorities.sorted(by: >))
            #expect((first + rest).allSatisfy { $0.state == .running && $0.attempts == 1 })
            try await store.complete(first.map { ($0.id, JobCompletion()) }, worker: "w", now: t0 + 1)
            #expect(try await store.countsByState() == [.succeeded: 4, .running: 6])
        }
    }

    @Test("a batched complete with one lost lease changes nothing")
    func batchCompleteAllOrNothing() async throws {
        try await withPostgresStore { store in
            _ = try await store.enqueue([tts("a"), tts("b")], now: t0)
            let jobs = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60, limit: 2)
            try await store.cancel(jobs[1].id, now: t0 + 1)
            await #expect(throws: MediaJobsError.self) {
                try await store.complete(jobs.map { ($0.id, JobCompletion()) }, worker: "w", now: t0 + 2)
            }
            #expect(try await store.job(jobs[0].id)?.state == .running)
        }
    }

    @Test("batch enqueue stores every job in one go")
    func batchEnqueue() async throws {
        try await withPostgresStore { store in
            let specs = (0..<500).map { tts("line \($0)", labels: ["batch": "b1"]) }
            let results = try await store.enqueue(specs, now: t0)
            #expect(results.count == 500)
            #expect(Set(results.map(\.job.id)).count == 500)
            #expect(try await store.countsByState() == [.queued: 500])
            let labelled = try await store.jobs(JobFilter(label: ("batch", "b1"), limit: 1000))
            #expect(labelled.count == 500)
        }
    }

    @Test("a batch with a duplicate key returns the first job for both")
    func batchEnqueueDuplicateKey() async throws {
        try await withPostgresStore { store in
            let results = try await store.enqueue([tts("a", key: "k"), tts("b", key: "k"), tts("c")], now: t0)
            #expect(results.map(\.created) == [true, false, true])
            #expect(results[0].job.id == results[1].job.id)
            #expect(results[1].job.spec.input.text == "a")
        }
    }

    @Test("jobs(filter) lists newest first and filters by state, kind, label and cursor")
    func listing() async throws {
        try await withPostgresStore { store in
            var ids: [JobID] = []
            for i in 0..<6 {
                let spec = i % 2 == 0 ? tts("t\(i)", labels: ["project": "pod"])
                    : JobSpec(kind: .image, input: JobInput(prompt: "p\(i)"))
                ids.append(try await store.enqueue(spec, now: t0 + Double(i)).job.id)
            }
            let all = try await store.jobs(JobFilter())
            #expect(all.map(\.id) == ids.reversed())
            let images = try await store.jobs(JobFilter(kinds: [.image]))
            #expect(images.map(\.id) == [ids[5], ids[3], ids[1]])
            let labelled = try await store.jobs(JobFilter(label: ("project", "pod")))
            #expect(labelled.map(\.id) == [ids[4], ids[2], ids[0]])
            let page = try await store.jobs(JobFilter(limit: 2, before: ids[4]))
            #expect(page.map(\.id) == [ids[3], ids[2]])
            _ = try await store.claim(worker: "w", now: t0 + 10, leaseExpiry: t0 + 70)
            #expect(try await store.jobs(JobFilter(states: [.running])).count == 1)
            #expect(try await store.jobs(JobFilter(states: [.queued])).count == 5)
            #expect(try await store.jobs(JobFilter(states: [])).isEmpty)
        }
    }

    @Test("waiting jobs are claimed again at poll_at without starting an attempt")
    func waitAndPoll() async throws {
        try await withPostgresStore { store in
            let id = try await store.enqueue(tts(), now: t0).job.id
            _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60)
            let waiting = try await store.wait(id, worker: "w", handle: #"{"id":"gen-1"}"#, pollAt: t0 + 30, now: t0 + 1)
            #expect(waiting.state == .waiting)
            #expect(waiting.leaseOwner == nil)
            #expect(waiting.pollAt == t0 + 30)
            #expect(try await store.claim(worker: "w2", now: t0 + 29, leaseExpiry: t0 + 90) == nil)
            let polled = try #require(try await store.claim(worker: "w2", now: t0 + 30, leaseExpiry: t0 + 90))
            #expect(polled.id == id)
            #expect(polled.attempts == 1)
            #expect(polled.providerHandle == #"{"id":"gen-1"}"#)
            // Releasing a poll puts it back to waiting, not queued.
            try await store.release(id, worker: "w2", now: t0 + 31)
            #expect(try await store.job(id)?.state == .waiting)
            let events = try await store.events(id, after: nil).map(\.kind)
            #expect(events == [.submitted, .claimed, .waiting, .claimed, .released])
        }
    }

    @Test("release gives a running job back without counting the attempt")
    func release() async throws {
        try await withPostgresStore { store in
            let id = try await store.enqueue(tts(), now: t0).job.id
            _ = try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60)
            try await store.release(id, worker: "w", now: t0 + 1)
            let job = try #require(try await store.job(id))
            #expect(job.state == .queued)
            #expect(job.attempts == 0)
            #expect(job.leaseOwner == nil)
            await #expect(throws: MediaJobsError.self) { try await store.release(id, worker: "w", now: t0 + 2) }
        }
    }

    @Test("addEvent appends to the story; an unknown job is not found")
    func addEvent() async throws {
        try await withPostgresStore { store in
            let id = try await store.enqueue(tts(), now: t0).job.id
            try await store.addEvent(id, kind: .note, worker: nil, detail: "validated: 1.2 s mono", now: t0 + 1)
            #expect(try await store.events(id, after: nil).last?.detail == "validated: 1.2 s mono")
            let unknown = JobID.generate(now: t0)
            do {
                try await store.addEvent(unknown, kind: .note, worker: nil, detail: "", now: t0)
                Issue.record("expected job.not_found")
            } catch {
                #expect(code(of: error) == .jobNotFound)
            }
        }
    }

}
