import Foundation
import MediaJobsSimulator
import Testing

@Suite("the binary: status, list, costs and serve show the route that made the file beside the routes asked")
struct RouteUsedCommandTests {
    @Test("a first route refused, its local fallback makes the file: status, list, costs and the served API say so")
    func fallbackShownEverywhere() async throws {
        let simulator = try await Simulator.start()
        var cli = try CLI()
        defer { cli.remove() }
        cli.environment = simulator.environment.merging(["OPENROUTER_API_KEY": "sk-sim-key-000"]) { $1 }
        // OpenRouter answers that it does not serve the model: a fallback-class error, so the next route is tried.
        try cli.writeSimulatorConfig()
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

        // `mediajobs serve` on the same home answers the same over HTTP.
        let out = Pipe()
        let serve = try cli.start(["serve", "--port", "0", "--workers", "0"], stdout: out.fileHandleForWriting)
        defer { if serve.isRunning { serve.terminate() } }
        let line = await Self.firstLine(out.fileHandleForReading)
        let port = try #require(line.firstMatch(of: /:(\d+)\//).map { String($0.1) }, "serve printed: \(line)")
        let api = try await Self.curl("http://127.0.0.1:\(port)/v1/jobs/\(id)", home: cli.home)
        #expect(api["routes_asked"] as? [[String: String]] == asked, "\(api)")
        #expect((api["route_used"] as? [String: Any])?["provider"] as? String == "local", "\(api)")
        #expect((api["route_used"] as? [String: Any])?["model"] as? String == "flite", "\(api)")
        let grouped = try await Self.curl("http://127.0.0.1:\(port)/v1/costs?group_by=route_used", home: cli.home)
        #expect((grouped["groups"] as? [[String: Any]])?.map { $0["key"] as? [String: String] } == [["route_used": "local/flite"]],
                "\(grouped)")
        serve.terminate()
        await serve.waitForExit()
    }

    /// The first line a process writes to `handle`, read on a thread of its own.
    static func firstLine(_ handle: FileHandle) async -> String {
        await withCheckedContinuation { (done: CheckedContinuation<String, Never>) in
            Thread.detachNewThread {
                var data = Data()
                while !data.contains(UInt8(ascii: "\n")) {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    data.append(chunk)
                }
                done.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
    }

    /// GET `url` with curl, as a user would; the answer's JSON object.
    static func curl(_ url: String, home: URL) async throws -> [String: Any] {
        let file = home.appendingPathComponent("curl-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-o", file.path, url]
        try CLI.spawn(process)
        await process.waitForExit()
        return (try JSONSerialization.jsonObject(with: try Data(contentsOf: file))) as? [String: Any] ?? [:]
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
