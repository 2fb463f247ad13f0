import Foundation
import MediaJobsCore
@testable import MediaJobsPostgres
import MediaJobsStore
import Testing

@Suite("PostgresJobStore: the deadline sweep", .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
struct DeadlineSweepTests {
    private static func timeout(_ job: Job) -> MediaJobsError {
        MediaJobsError(.jobTimeout, "deadline_seconds: \(job.id) did not finish in time")
    }

    @Test("past its deadline a queued job fails with job.timeout and a waiting one is due at once; running, early and retried jobs stay")
    func sweep() async throws {
        try await withPostgresStore { store in
            func short(_ text: String, priority: Int = 0) -> JobSpec {
                var spec = tts(text, priority: priority)
                spec.deadlineSeconds = 60
                return spec
            }
            // The two urgent ones are claimed first: one then waits on a provider, the other keeps running.
            let waiting = try await store.enqueue(short("waiting", priority: 10), now: t0).job.id
            let running = try await store.enqueue(short("running", priority: 10), now: t0).job.id
            let queued = try await store.enqueue(short("queued"), now: t0).job.id
            let defaulted = try await store.enqueue(tts("default deadline"), now: t0).job.id
            let longVideo = try await store.enqueue(JobSpec(kind: .video, provider: "fal", input: JobInput(prompt: "a boat")),
                                                    now: t0).job.id
            let claimed = try await store.claim(worker: "w", now: t0 + 1, leaseExpiry: t0 + 1000, limit: 2)
            #expect(Set(claimed.map(\.id)) == [waiting, running])
            try await store.wait(waiting, worker: "w", handle: "{\"provider\":\"fal\"}", pollAt: t0 + 5000, now: t0 + 3)

            #expect(try await store.sweepPastDeadline(now: t0 + 59, worker: "sweeper", error: Self.timeout).isEmpty)
            let swept = try await store.sweepPastDeadline(now: t0 + 61, worker: "sweeper", error: Self.timeout)
            #expect(swept.map(\.id) == [queued])
            // The waiting one keeps its handle and is due now (its poll was at t0 + 5000): a poll slot takes it next.
            let due = try #require(try await store.job(waiting))
            #expect(due.state == .waiting && due.providerHandle != nil && due.runAt <= t0 + 61, "\(due)")
            let polled = try await store.claim(worker: "w", now: t0 + 62, leaseExpiry: t0 + 1000, limit: 5, scope: .duePolls)
            #expect(polled.map(\.id) == [waiting])
            for id in [queued] {
                let job = try #require(try await store.job(id))
                #expect(job.state == .failed)
                #expect(job.error?.code == "job.timeout")
                let last = try #require(try await store.events(id, after: nil).last)
                #expect(last.kind == .failed && last.worker == "sweeper" && last.detail.contains("deadline sweep"), "\(last)")
            }
            #expect(try await store.job(running)?.state == .running, "a running job is its worker's to time out")
            #expect(try await store.job(defaulted)?.state == .queued, "a tts job's default deadline is 10 min")
            #expect(try await store.job(longVideo)?.state == .queued)

            // Defaults per kind: tts at 10 min, video at 30 min.
            let later = try await store.sweepPastDeadline(now: t0 + 601, worker: "sweeper", error: Self.timeout)
            #expect(later.map(\.id) == [defaulted])
            #expect(try await store.sweepPastDeadline(now: t0 + 1801, worker: "sweeper", error: Self.timeout).map(\.id)
                        == [longVideo])

            // A retry by request starts a fresh deadline.
            try await store.retry(queued, now: t0 + 2000)
            #expect(try await store.sweepPastDeadline(now: t0 + 2030, worker: "sweeper", error: Self.timeout).isEmpty)
            #expect(try await store.sweepPastDeadline(now: t0 + 2061, worker: "sweeper", error: Self.timeout).map(\.id)
                        == [queued])
        }
    }
}
