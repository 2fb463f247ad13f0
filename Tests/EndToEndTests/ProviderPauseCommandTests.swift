import Foundation
import MediaJobsSimulator
import Testing

@Suite("a provider out of credit, as a user meets it: the job falls back, providers and doctor say why, resume ends it")
struct ProviderPauseCommandTests {
    /// What `providers --json` says of `name`.
    static func listed(_ cli: CLI, _ name: String) async throws -> [String: Any] {
        let output = try await cli.run(["providers", "--json"])
        #expect(output.status == 0, "\(output.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
        return try #require(list.first { $0["name"] as? String == name })
    }

    @Test("402 at OpenRouter: the job succeeds on local, the next skips OpenRouter, providers shows why; a new key or resume ends it")
    func creditPause() async throws {
        let simulator = try await Simulator.start()
        var cli = try CLI()
        defer { cli.remove() }
        let key = "sk-or-v1-PLANTED-\(UUID().uuidString)"
        cli.environment = simulator.environment.merging(["OPENROUTER_API_KEY": key]) { $1 }
        try cli.writeSimulatorConfig()
        simulator.inject(.status(402), count: 1, provider: .openrouter, path: "/audio/speech")
        let job = cli.home.appendingPathComponent("speech.json")
        try Data(#"""
            {"kind": "tts", "provider": "openrouter", "fallbacks": [{"provider": "local", "model": "flite"}],
             "input": {"text": "MediaJobs turns media requests into validated files. This recording was made by the project itself."}, "output": {"format": "wav"}}
            """#.utf8).write(to: job)
        var printed: [String] = []
        func speechRequests() -> Int { simulator.requests(.openrouter, path: "/audio/speech").count }

        let first = try await cli.run(["submit", "--file", job.path, "--wait", "--json"])
        printed += [first.stdout, first.stderr]
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.json["state"] as? String == "succeeded", "\(first.stdout)")
        let records = ((first.json["cost"] as? [String: Any])?["records"] as? [[String: Any]]) ?? []
        #expect(records.map { $0["provider"] as? String } == ["local"], "\(first.stdout)")
        #expect(speechRequests() == 1)

        let second = try await cli.run(["submit", "--file", job.path, "--wait", "--json"])
        printed += [second.stdout, second.stderr]
        #expect(second.json["state"] as? String == "succeeded", "\(second.stdout)")
        #expect(speechRequests() == 1, "the paused provider was sent a request")

        let openrouter = try await Self.listed(cli, "openrouter")
        #expect(openrouter["usable"] as? Bool == false, "\(openrouter)")
        let fingerprint = try #require(openrouter["key_fingerprint"] as? String)
        #expect(fingerprint.range(of: #"^sha256:[0-9a-f]{8}$"#, options: .regularExpression) != nil, "\(fingerprint)")
        let pause = try #require(openrouter["pause"] as? [String: Any], "\(openrouter)")
        #expect(pause["code"] as? String == "provider.insufficient_credits")
        #expect(pause["key_fingerprint"] as? String == fingerprint)
        #expect((pause["detail"] as? String)?.contains("HTTP 402") == true, "\(pause)")
        let text = try await cli.run(["providers"])
        printed += [text.stdout, text.stderr]
        let line = text.stdout.split(separator: "\n").first { $0.hasPrefix("openrouter") }.map(String.init) ?? ""
        #expect(line.contains("PAUSED") && line.contains(fingerprint), "\(text.stdout)")
        #expect(text.stdout.contains("paused: provider.insufficient_credits: out of credit for key \(fingerprint)"),
                "\(text.stdout)")
        #expect(text.stdout.contains("paused since "), "\(text.stdout)")

        let doctor = try await cli.run(["doctor"])
        printed += [doctor.stdout, doctor.stderr]
        #expect(doctor.status != 0)
        #expect(doctor.stdout.contains("FAIL  provider openrouter") && doctor.stdout.contains("out of credit"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("mediajobs providers resume openrouter"), "\(doctor.stdout)")

        // Another key is not the one refused: that worker would try OpenRouter again.
        var rotated = cli
        rotated.environment["OPENROUTER_API_KEY"] = "sk-or-v1-another-key"
        #expect(try await Self.listed(rotated, "openrouter")["usable"] as? Bool == true)

        let resume = try await cli.run(["providers", "resume", "openrouter"])
        printed += [resume.stdout, resume.stderr]
        #expect(resume.status == 0, "\(resume.stderr)")
        #expect(resume.stdout.contains("openrouter resumed"), "\(resume.stdout)")
        #expect(try await Self.listed(cli, "openrouter")["usable"] as? Bool == true)
        let third = try await cli.run(["submit", "--file", job.path, "--wait", "--json"])
        printed += [third.stdout, third.stderr]
        #expect(third.json["state"] as? String == "succeeded", "\(third.stdout)")
        #expect(speechRequests() == 2)
        let unknown = try await cli.run(["providers", "resume", "openrooter"])
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown provider 'openrooter'"), "\(unknown.stderr)")

        // The key was really sent, and nothing of ours kept or printed it.
        #expect(simulator.requests(.openrouter).contains { ($0.header("Authorization") ?? "").contains(key) })
        for output in printed { #expect(!output.contains(key)) }
        let enumerator = FileManager.default.enumerator(at: cli.home, includingPropertiesForKeys: nil)!
        var searched = 0
        for case let file as URL in enumerator where !file.hasDirectoryPath {
            #expect(try Data(contentsOf: file).range(of: Data(key.utf8)) == nil, "the key is in \(file.lastPathComponent)")
            searched += 1
        }
        #expect(searched >= 2)
        await simulator.stop()
    }
}
