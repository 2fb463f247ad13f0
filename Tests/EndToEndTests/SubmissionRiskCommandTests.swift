import Foundation
import MediaJobsCore
import MediaJobsStore
import Testing

@Suite("the binary: possible duplicate paid submissions are shown where money is read")
struct SubmissionRiskCommandTests {
    @Test("a worker that died after sending a paid request: costs names the job, --json lists it, status warns")
    func riskShownInCostsAndStatus() async throws {
        var cli = try CLI()
        cli.environment["FAL_KEY"] = "sk-sim-key-000"
        defer { cli.remove() }
        let calm = try await cli.run(["submit", "tts", "--text", "Nothing risky here.", "--json"])
        #expect(calm.status == 0, "stderr: \(calm.stderr)")
        let before = try await cli.run(["costs"])
        #expect(before.status == 0, "stderr: \(before.stderr)")
        #expect(!before.stdout.contains("possible duplicate"), "no risk yet: \(before.stdout)")
        let none = try await cli.run(["costs", "--json"])
        #expect((none.json["submission_risks"] as? [Any])?.isEmpty == true, "\(none.stdout)")

        // What a worker process that died mid-submission leaves in the store: the submission was marked as started,
        // then its lease lapsed and the janitor rescued the job.
        let submitted = try await cli.run(["submit", "video", "--provider", "fal", "--prompt", "a boat at dawn", "--json"])
        #expect(submitted.status == 0, "stderr: \(submitted.stderr)")
        let id = JobID(rawValue: try #require(submitted.json["id"] as? String))
        let store = try SQLiteJobStore(path: cli.database.path)
        let now = Date()
        let claimed = try await store.claim(worker: "crashed-worker", now: now, leaseExpiry: now.addingTimeInterval(1),
                                            limit: 5, scope: .queued)
        #expect(claimed.contains { $0.id == id })
        for job in claimed where job.id != id { try await store.release(job.id, worker: "crashed-worker", now: now) }
        let marked = CostRecord(jobID: id, attempt: 1, provider: "fal", model: "fal-ai/veo3", units: ["video_seconds": 8],
                                usd: Money(Decimal(string: "3.2")!), source: .estimated, charged: true, outcome: .unknown,
                                at: now)
        try await store.markSubmissionStarted(id, worker: "crashed-worker", detail: "fal/fal-ai/veo3", cost: marked, now: now)
        #expect(try await store.rescueExpiredLeases(now: now.addingTimeInterval(5)) == 1)

        let table = try await cli.run(["costs"])
        #expect(table.status == 0, "stderr: \(table.stderr)")
        #expect(table.stdout.contains("possible duplicate paid submissions: 1 (jobs \(id.rawValue))"), "\(table.stdout)")
        // The request it sent is in the ledger at its marked cost, in the "lost" column.
        let header = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("day") })
        #expect(header.contains("lost"), "\(table.stdout)")
        #expect(table.stdout.contains("total: $3.2"), "\(table.stdout)")

        let json = try await cli.run(["costs", "--json"])
        let risks = try #require(json.json["submission_risks"] as? [[String: Any]], "\(json.stdout)")
        #expect(risks.count == 1)
        #expect(risks.first?["job_id"] as? String == id.rawValue)
        #expect(risks.first?["attempt"] as? Int == 1)
        #expect((risks.first?["detail"] as? String)?.contains("crashed-worker") == true)
        #expect(json.json["unknown_outcomes"] as? Int == 1, "\(json.stdout)")
        #expect((json.json["usd"] as? NSNumber)?.doubleValue == 3.2, "\(json.stdout)")

        // A window that ends before the risk leaves it out, as it leaves out that window's costs.
        let earlier = try await cli.run(["costs", "--until", "2000-01-01"])
        #expect(earlier.status == 0 && !earlier.stdout.contains("possible duplicate"), "\(earlier.stdout)\(earlier.stderr)")

        let status = try await cli.run(["status", id.rawValue])
        #expect(status.status == 0, "stderr: \(status.stderr)")
        #expect(status.stdout.contains("warning: possible duplicate paid submission (attempt 1)"), "\(status.stdout)")
        #expect(status.stdout.contains("note [crashed-worker]  possible duplicate paid submission: worker crashed-worker"),
                "\(status.stdout)")
        #expect(status.stdout.contains("cost of attempt 1 on fal/fal-ai/veo3: $3.2000 (estimated), outcome unknown"),
                "\(status.stdout)")
    }
}
