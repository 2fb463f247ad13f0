import Foundation
import MediaJobsSimulator
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
        #expect(((fresh.json["cost"] as? [String: Any])?["records"] as? [[String: Any]])?.first?["source"] as? String == "estimated")

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
        #expect(table.stdout.contains("estimated") && table.stdout.contains("cached") && table.stdout.contains("local"),
                "\(table.stdout)")
        let bad = try await cli.run(["costs", "--by", "colour"])
        #expect(bad.status == 2 && bad.stderr.contains("--by: 'colour' is not one of"), "\(bad.stderr)")
    }

    @Test("a model no catalog knows: refused at submit under a daily budget, naming it and the config field; run without one")
    func unknownModelAndBudget() async throws {
        let simulator = try await Simulator.start()
        var cli = try CLI()
        defer { cli.remove() }
        cli.environment = simulator.environment.merging(["OPENROUTER_API_KEY": "sk-sim-key-000", "OPENAI_API_KEY": "sk-sim-key-000"]) { $1 }
        try cli.writeSimulatorConfig(#""budgets": {"daily_usd": 5}"#)
        let refused = try await cli.run(["submit", "tts", "--provider", "openrouter", "--model", "some-lab/brand-new-tts",
                                         "--text", "Hello from a brand new model."])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("budgets.daily_usd: the price of openrouter/some-lab/brand-new-tts for this job is unknown")
                && refused.stderr.contains("Give the model a price in config.json: catalog.models[].prices; nothing was queued"),
                "\(refused.stderr)")
        #expect(simulator.requests(.openrouter).isEmpty)

        // Without a budget it runs (OpenRouter released it this week; no catalog knows its price). OpenRouter states
        // what it billed, so the ledger holds that amount, reported.
        try cli.writeSimulatorConfig()
        simulator.releaseSpeechModel("some-lab/brand-new-tts", pricePerCharacter: Decimal(string: "0.00002")!)
        let ran = try await cli.run(["submit", "tts", "--provider", "openrouter", "--model", "some-lab/brand-new-tts",
                                     "--text", "Hello from a brand new model.", "--wait", "--json"])
        #expect(ran.status == 0, "stderr: \(ran.stderr)")
        let reported = ((ran.json["cost"] as? [String: Any])?["records"] as? [[String: Any]]) ?? []
        #expect(reported.map { $0["source"] as? String } == ["reported"], "\(ran.stdout)")
        #expect((reported.first?["usd"] as? NSNumber)?.decimalValue == simulator.totalBilled, "\(reported)")

        // A provider that states no amount (OpenAI), on a model no catalog knows (a dated snapshot): the amount is
        // unknown, and every place that shows money says so.
        let ran2 = try await cli.run(["submit", "tts", "--provider", "openai", "--model", "gpt-4o-mini-tts-2025-12-15",
                                      "--text", "A snapshot the catalog does not list.", "--wait", "--json"])
        #expect(ran2.status == 0, "stderr: \(ran2.stderr)")
        let cost = try #require(ran2.json["cost"] as? [String: Any])
        let records = (cost["records"] as? [[String: Any]]) ?? []
        #expect(records.map { $0["source"] as? String } == ["unknown"], "\(ran2.stdout)")
        #expect(records.first?["usd"] is NSNull, "\(records)")
        #expect(cost["usd"] is NSNull && cost["display"] as? String == "unknown (1 attempt)", "\(cost)")
        let id = try #require(ran2.json["id"] as? String)
        let status = try await cli.run(["status", id, "--json"])
        #expect(status.stdout.contains(#""display" : "unknown (1 attempt)""#), "\(status.stdout)")
        let text = try await cli.run(["status", id])
        #expect(text.stdout.contains("cost: unknown (1 attempt)") && !text.stdout.contains("$0.0000"), "\(text.stdout)")
        let costs = try await cli.run(["costs", "--by", "provider"])
        #expect(costs.stdout.contains(" + 1 attempt of unknown cost"), "\(costs.stdout)")
        let openai = costs.stdout.split(separator: "\n").first { $0.hasPrefix("openai") }.map(String.init) ?? ""
        #expect(openai.contains("unknown") && !openai.contains("$0.000000"), "\(costs.stdout)")
        let json = try await cli.run(["costs", "--by", "provider", "--json"])
        #expect(json.json["unknown_prices"] as? Int == 1, "\(json.stdout)")
        let groups = (json.json["groups"] as? [[String: Any]]) ?? []
        let group = groups.first { ($0["key"] as? [String: String])?["provider"] == "openai" }
        #expect(group?["usd"] is NSNull && group?["display"] as? String == "unknown (1 attempt)", "\(json.stdout)")
        await simulator.stop()
    }
}
