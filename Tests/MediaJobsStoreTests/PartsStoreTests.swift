import Foundation
import MediaJobsCore
import Testing
@testable import MediaJobsStore

/// A job made of parts: parts carry their parent, end by waking it, and are canceled with it (each test once per
/// backend).
@Suite("v16: a job's parts")
struct PartsStoreTests {
    /// A parent claimed and left waiting on its parts (handle and poll time as the pipeline leaves them).
    static func waitingParent(_ store: any JobStore, parts count: Int, pollAt: Date = t0 + 3_600)
        async throws -> (Job, [Job]) {
        let parent = try await store.enqueue(tts("a long text", key: "parent"), now: t0).job
        _ = try #require(try await store.claim(worker: "w", now: t0, leaseExpiry: t0 + 60))
        let specs = (1...count).map { tts("piece \($0)", key: "\(parent.id)/part-\($0)") }
        let parts = try await store.enqueue(specs, parent: parent.id, now: t0 + 1).map(\.job)
        let handle = PartsHandle(parts: parts.map { PartsHandle.Part(job: $0.id) }).encoded()
        _ = try await store.wait(parent.id, worker: "w", handle: handle, pollAt: pollAt, now: t0 + 1)
        return (parent, parts)
    }

    @Test("parts name their parent on every read, in the order they were added; adding them again adds none", arguments: Backend.all)
    func partsNameTheirParent(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let (parent, parts) = try await Self.waitingParent(store, parts: 3)
            #expect(parts.allSatisfy { $0.parentID == parent.id })
            #expect(try await store.job(parts[1].id)?.parentID == parent.id)
            #expect(try await store.job(parent.id)?.parentID == nil)
            #expect(try await store.parts(of: parent.id).map(\.id) == parts.map(\.id))
            #expect(try await store.parts(of: parts[0].id).isEmpty)
            let again = try await store.enqueue((1...3).map { tts("piece \($0)", key: "\(parent.id)/part-\($0)") },
                                                parent: parent.id, now: t0 + 2)
            #expect(again.map(\.created) == [false, false, false])
            #expect(again.map(\.job.id) == parts.map(\.id))
            #expect(try await store.parts(of: parent.id).count == 3)
            let handle = try #require(try await store.job(parent.id)?.providerHandle)
            #expect(PartsHandle.decode(handle)?.parts.map(\.job) == parts.map(\.id))
        }
    }

    @Test("adding parts to an unknown job fails with job.not_found and adds nothing", arguments: Backend.all)
    func unknownParent(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let missing = JobID(rawValue: "job_missing")
            await #expect { try await store.enqueue([tts("x")], parent: missing, now: t0) } throws: { code(of: $0) == .jobNotFound }
            let stored = try await store.jobs(JobFilter())
            #expect(stored.isEmpty)
        }
    }

    @Test("a part that succeeds, fails for good or is canceled makes its waiting parent due at once; a retry does not", arguments: Backend.all)
    func endedPartWakesParent(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let (parent, parts) = try await Self.waitingParent(store, parts: 3)
            #expect(try await store.job(parent.id)?.pollAt == t0 + 3_600)
            // The parts are claimed first: they were due before the parent.
            let claimed = try await store.claim(worker: "w", now: t0 + 2, leaseExpiry: t0 + 60, limit: 3)
            #expect(Set(claimed.map(\.id)) == Set(parts.map(\.id)))

            try await store.fail(parts[0].id, worker: "w", error: MediaJobsError(.jobTimeout, "slow"),
                                 retryable: true, costs: [], now: t0 + 3)
            #expect(try await store.job(parent.id)?.pollAt == t0 + 3_600)

            try await store.complete(parts[1].id, worker: "w", result: JobCompletion(), now: t0 + 4)
            let woken = try #require(try await store.job(parent.id))
            #expect(woken.state == .waiting)
            #expect(woken.pollAt == t0 + 4)
            let polled = try #require(try await store.claim(worker: "w", now: t0 + 5, leaseExpiry: t0 + 60))
            #expect(polled.id == parent.id)
            _ = try await store.wait(parent.id, worker: "w", handle: polled.providerHandle!, pollAt: t0 + 3_600, now: t0 + 5)

            try await store.fail(parts[2].id, worker: "w", error: MediaJobsError(.invalidInput, "bad"), retryable: false,
                                 costs: [], now: t0 + 6)
            #expect(try await store.job(parent.id)?.pollAt == t0 + 6)
        }
    }

    @Test("the ledger names a part's parent: by job, a part's cost is its parent's; by part, each part's own", arguments: Backend.all)
    func ledgerByJobAndPart(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let (parent, parts) = try await Self.waitingParent(store, parts: 2)
            let own = try await store.enqueue(tts("a job of its own"), now: t0 + 1).job
            _ = try await store.claim(worker: "w", now: t0 + 2, leaseExpiry: t0 + 60, limit: 3)
            for (index, job) in (parts + [own]).enumerated() {
                let cost = CostRecord(jobID: job.id, attempt: 1, provider: "openai", model: "tts-1",
                                      units: ["characters": 10], usd: Money(usd: "0.0\(index + 1)"), source: .estimated, charged: true,
                                      at: t0 + 3)
                try await store.complete(job.id, worker: "w", result: JobCompletion(costs: [cost]), now: t0 + 3)
            }
            let lines = try await store.costLines(since: nil, until: nil, label: nil)
            #expect(Set(lines.filter { $0.parent == parent.id }.map(\.record.jobID)) == Set(parts.map(\.id)))
            #expect(lines.first { $0.record.jobID == own.id }?.parent == nil)
            let byJob = CostReport(lines: lines, groupBy: ["job"])
            #expect(byJob.groups.count == 2)
            #expect(byJob.groups.first { $0.key["job"] == parent.id.rawValue }?.usd == Money(usd: "0.03"))
            #expect(byJob.groups.first { $0.key["job"] == parent.id.rawValue }?.attempts == 2)
            let byPart = CostReport(lines: lines, groupBy: ["job", "part"])
            #expect(byPart.groups.count == 3)
            #expect(byPart.groups.first { $0.key["job"] == own.id.rawValue }?.key["part"] == "-")
        }
    }

    @Test("a batch's cost counts the parts of its jobs", arguments: Backend.all)
    func batchCountsParts(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let (parent, parts) = try await Self.waitingParent(store, parts: 2)
            try await store.saveBatch(
                BatchRecord(id: "b1", kind: "tts", source: "in", out: "out", request: "{}", createdAt: t0, updatedAt: t0),
                entries: [BatchEntry(input: "long.txt", output: "long.mp3", jobID: parent.id, rejection: nil)])
            _ = try await store.claim(worker: "w", now: t0 + 2, leaseExpiry: t0 + 60, limit: 2)
            let priced = CostRecord(jobID: parts[0].id, attempt: 1, provider: "openai", model: "tts-1",
                                    units: ["characters": 10], usd: Money(usd: "0.02"), source: .estimated, charged: true,
                                    at: t0 + 3)
            var unpriced = priced
            unpriced.jobID = parts[1].id
            unpriced.usd = nil
            unpriced.source = .unknown
            try await store.complete(parts[0].id, worker: "w", result: JobCompletion(costs: [priced]), now: t0 + 3)
            try await store.complete(parts[1].id, worker: "w", result: JobCompletion(costs: [unpriced]), now: t0 + 3)
            let progress = try await store.batchProgress("b1")
            #expect(progress.costUSD == Money(usd: "0.02"))
            #expect(progress.unknownCosts == 1)
        }
    }

    @Test("a batch of completions wakes each part's parent", arguments: Backend.all)
    func batchCompletionWakesParent(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let (parent, parts) = try await Self.waitingParent(store, parts: 2)
            _ = try await store.claim(worker: "w", now: t0 + 2, leaseExpiry: t0 + 60, limit: 2)
            try await store.complete(parts.map { ($0.id, JobCompletion()) }, worker: "w", now: t0 + 7)
            #expect(try await store.job(parent.id)?.pollAt == t0 + 7)
        }
    }

    @Test("canceling a parent cancels its parts that have not ended, each with an event; ended parts are kept", arguments: Backend.all)
    func cancelParentCancelsParts(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let (parent, parts) = try await Self.waitingParent(store, parts: 3)
            let running = try #require(try await store.claim(worker: "w", now: t0 + 2, leaseExpiry: t0 + 60))
            try await store.complete(running.id, worker: "w", result: JobCompletion(), now: t0 + 3)
            let other = try #require(try await store.claim(worker: "w2", now: t0 + 3, leaseExpiry: t0 + 60))

            let canceled = try await store.cancel(parent.id, now: t0 + 4)
            #expect(canceled.state == .canceled)
            let after = try await store.parts(of: parent.id)
            #expect(after.first { $0.id == running.id }?.state == .succeeded)
            #expect(after.filter { $0.id != running.id }.allSatisfy { $0.state == .canceled })
            let events = try await store.events(other.id, after: nil)
            #expect(events.last?.kind == .canceled)
            #expect(events.last?.detail.contains(parent.id.rawValue) == true)
            // The worker that held a part loses its lease.
            await #expect { try await store.heartbeat(other.id, worker: "w2", leaseExpiry: t0 + 90) } throws: {
                code(of: $0) == .leaseLost
            }
            #expect(parts.count == 3)
        }
    }

    @Test("a parent waiting on its parts without deadline_seconds of its own is left to its parts' deadlines", arguments: Backend.all)
    func sweepLeavesPartsToTheirDeadlines(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let (parent, parts) = try await Self.waitingParent(store, parts: 2)
            let late = t0 + JobSpec.defaultDeadlineSeconds(for: .tts) + 10
            let timedOut = try await store.sweepPastDeadline(now: late, worker: "sweeper") { _ in
                MediaJobsError(.jobTimeout, "late")
            }
            #expect(Set(timedOut.map(\.id)) == Set(parts.map(\.id)))
            let after = try #require(try await store.job(parent.id))
            #expect(after.state == .waiting)
            // Its parts failing made it due: it looks at them now.
            #expect(after.pollAt == late)
        }
    }
}
