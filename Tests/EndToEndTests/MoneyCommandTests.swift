import Foundation
import Testing

@Suite("the binary: the result cache, submit --at and costs --by")
struct MoneyCommandTests {
    @Test("a repeated tts job is a cached $0 answer, --at schedules, costs groups by provider and kind")
    func cacheScheduleAndCosts() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let text = "The same words, spoken once."
        let first = try await cli.run(["submit", "tts", "--text", text, "--format", "mp3", "--wait", "--json"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let second = try await cli.run(["submit", "tts", "--text", text, "--format", "mp3", "--wait", "--json"])
        #expect(second.status == 0, "stderr: \(second.stderr)")
        let cost = try #require(second.json["cost"] as? [String: Any])
        let records = try #require(cost["records"] as? [[String: Any]])
        #expect(records.map { $0["source"] as? String } == ["cached"])
        #expect((cost["usd"] as? NSNumber)?.doubleValue == 0)
        let sha = { (json: [String: Any]) in ((json["artifacts"] as? [[String: Any]])?.first?["sha256"] as? String) }
        #expect(sha(second.json) != nil && sha(second.json) == sha(first.json))
        let fresh = try await cli.run(["submit", "tts", "--text", text, "--format", "mp3", "--no-cache", "--wait", "--json"])
        #expect(((fresh.json["cost"] as? [String: Any])?["records"] as? [[String: Any]])?.first?["source"] as? String == "reported")

        let later = try await cli.run(["submit", "tts", "--text", "Later, please.", "--at", "+1h", "--json"])
        #expect(later.status == 0, "stderr: \(later.stderr)")
        let id = try #require(later.json["id"] as? String)
        let runAt = try #require((later.json["run_at"] as? String).flatMap { ISO8601DateFormatter().date(from: String($0.prefix(19)) + "Z") })
        #expect(abs(runAt.timeIntervalSinceNow - 3600) < 120, "\(runAt)")
        let status = try await cli.run(["status", id])
        #expect(status.stdout.contains("scheduled: runs at "), "\(status.stdout)")

        let costs = try await cli.run(["costs", "--by", "provider,kind", "--json"])
        #expect(costs.status == 0, "stderr: \(costs.stderr)")
        let groups = try #require(costs.json["groups"] as? [[String: Any]])
        #expect(groups.count == 1)
        #expect(groups.first?["key"] as? [String: String] == ["provider": "local", "kind": "tts"])
        #expect(groups.first?["cache_hits"] as? Int == 1)
        #expect(groups.first?["attempts"] as? Int == 3)
        let table = try await cli.run(["costs", "--by", "provider"])
        #expect(table.stdout.contains("reported") && table.stdout.contains("cached") && table.stdout.contains("local"),
                "\(table.stdout)")
        let bad = try await cli.run(["costs", "--by", "colour"])
        #expect(bad.status == 2 && bad.stderr.contains("--by: 'colour' is not one of"), "\(bad.stderr)")
    }
}
