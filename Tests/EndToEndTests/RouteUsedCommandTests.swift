import Foundation
import MediaJobsSimulator
import Testing

@Suite("the binary: status, list and costs show the route that made the file beside the routes asked")
struct RouteUsedCommandTests {
    @Test("a job whose first route is refused is made by its local fallback: status, list and costs say local made it")
    func fallbackShownEverywhere() async throws {
        let simulator = try await Simulator.start()
        var cli = try CLI()
        defer { cli.remove() }
        cli.environment = simulator.environment.merging(["OPENROUTER_API_KEY": "sk-sim-key-000"]) { $1 }
        // OpenRouter answers that it does not serve the model: a fallback-class error, so the next route is tried.
        simulator.inject(.unknownModel, count: 1, provider: .openrouter, path: "/audio/speech")
        let document = cli.home.appendingPathComponent("fallback.json")
        try Data(#"""
            {"kind": "tts", "provider": "openrouter", "model": "openai/gpt-4o-mini-tts",
             "fallbacks": [{"provider": "local", "model": "flite"}],
             "input": {"text": "Made by the fallback route."}, "output": {"format": "mp3"}}
            """#.utf8).write(to: document)
        let submitted = try await cli.run(["submit", "--file", document.path, "--wait", "--json"])
        #expect(submitted.status == 0, "stderr: \(submitted.stderr)")
        #expect(simulator.requests(.openrouter, path: "/audio/speech").count == 1)
        let id = try #require(submitted.json["id"] as? String)
        let asked = [["provider": "openrouter", "model": "openai/gpt-4o-mini-tts"], ["provider": "local", "model": "flite"]]
        #expect(submitted.json["routes_asked"] as? [[String: String]] == asked, "\(submitted.stdout)")
        #expect(submitted.json["provider"] as? String == "openrouter")
        let used = submitted.json["route_used"] as? [String: Any]
        #expect(used?["provider"] as? String == "local" && used?["model"] as? String == "flite" && used?["cache_hit_of"] is NSNull,
                "\(submitted.stdout)")

        let status = try await cli.run(["status", id])
        #expect(status.status == 0, "stderr: \(status.stderr)")
        #expect(status.stdout.contains("\n  routes asked: openrouter/openai/gpt-4o-mini-tts, local/flite\n"), "\(status.stdout)")
        #expect(status.stdout.contains("\n  route used: local/flite\n"), "\(status.stdout)")
        let statusJSON = try await cli.run(["status", id, "--json"])
        #expect(statusJSON.json["routes_asked"] as? [[String: String]] == asked, "\(statusJSON.stdout)")
        #expect((statusJSON.json["route_used"] as? [String: Any])?["provider"] as? String == "local")

        let list = try await cli.run(["list"])
        #expect(list.status == 0, "stderr: \(list.stderr)")
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("id") == true && lines.first?.contains("routes asked") == true
                && lines.first?.contains("route used") == true, "\(list.stdout)")
        let row = try #require(lines.first { $0.hasPrefix(id) }, "\(list.stdout)")
        #expect(row.contains("openrouter/openai/gpt-4o-mini-tts, local/flite  local/flite "), "\(row)")
        let listJSON = try await cli.run(["list", "--json"])
        let listed = (try JSONSerialization.jsonObject(with: Data(listJSON.stdout.utf8)) as? [[String: Any]])?.first
        #expect((listed?["route_used"] as? [String: Any])?["model"] as? String == "flite", "\(listJSON.stdout)")
        #expect(listed?["routes_asked"] as? [[String: String]] == asked)

        let costs = try await cli.run(["costs", "--by", "route_asked,route_used", "--json"])
        #expect(costs.status == 0, "stderr: \(costs.stderr)")
        let keys = (costs.json["groups"] as? [[String: Any]])?.map { $0["key"] as? [String: String] }
        #expect(keys == [["route_asked": "openrouter/openai/gpt-4o-mini-tts", "route_used": "local/flite"]], "\(costs.stdout)")
        let table = try await cli.run(["costs", "--by", "route_used"])
        #expect(table.stdout.hasPrefix("route_used") && table.stdout.contains("\nlocal/flite "), "\(table.stdout)")
        // The default grouping is unchanged: the cost record's own provider and model.
        let plain = try await cli.run(["costs"])
        let header = plain.stdout.split(separator: "\n").first?.split(separator: " ").map(String.init) ?? []
        #expect(Array(header.prefix(4)) == ["day", "provider", "model", "usd"], "\(plain.stdout)")
        await simulator.stop()
    }

    @Test("a result-cache hit shows the route that made the file and the job whose result it reused")
    func cacheHitNamesJob() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let first = try await cli.run(["submit", "tts", "--text", "Heard twice, made once.", "--wait", "--json"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let firstID = try #require(first.json["id"] as? String)
        #expect((first.json["route_used"] as? [String: Any])?["cache_hit_of"] is NSNull, "\(first.stdout)")
        let second = try await cli.run(["submit", "tts", "--text", "Heard twice, made once.", "--wait", "--json"])
        #expect(second.status == 0, "stderr: \(second.stderr)")
        let secondID = try #require(second.json["id"] as? String)
        let used = try #require(second.json["route_used"] as? [String: Any], "\(second.stdout)")
        #expect(used["provider"] as? String == "local" && used["model"] as? String == "flite")
        #expect(used["cache_hit_of"] as? String == firstID, "\(second.stdout)")

        let status = try await cli.run(["status", secondID])
        #expect(status.stdout.contains("\n  route used: local/flite (cache hit of job \(firstID))\n"), "\(status.stdout)")
        // One route asked: no line repeats it.
        #expect(!status.stdout.contains("routes asked:"), "\(status.stdout)")
        let list = try await cli.run(["list"])
        let row = list.stdout.split(separator: "\n").first { $0.hasPrefix(secondID) }.map(String.init) ?? ""
        #expect(row.contains("local/flite (cache hit)"), "\(list.stdout)")
    }
}
