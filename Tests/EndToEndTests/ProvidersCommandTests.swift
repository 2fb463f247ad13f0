import Foundation
import Testing

@Suite("providers, models and doctor, as a user runs them")
struct ProvidersCommandTests {
    @Test("providers lists each provider's kinds, base URL and key status; config.json overrides the base URL")
    func providers() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        try Data(#"{"providers": {"fal": {"base_url": "http://127.0.0.1:9/fal"}}}"#.utf8)
            .write(to: cli.home.appendingPathComponent("config.json"))
        let output = try await cli.run(["providers", "--json"])
        #expect(output.status == 0, "\(output.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
        #expect(list.map { $0["name"] as? String } == ["local", "openrouter", "openai", "fal", "replicate"])
        let fal = try #require(list.first { $0["name"] as? String == "fal" })
        #expect(fal["base_url"] as? String == "http://127.0.0.1:9/fal")
        #expect(fal["key_variable"] as? String == "FAL_KEY")
        #expect(fal["key_set"] as? Bool == (ProcessInfo.processInfo.environment["FAL_KEY"].map { !$0.isEmpty } ?? false))
        let openrouter = try #require(list.first { $0["name"] as? String == "openrouter" })
        #expect(openrouter["kinds"] as? [String] == ["tts", "transcribe", "image", "video"])
        let text = try await cli.run(["providers"])
        #expect(text.stdout.contains("FAL_KEY"))
    }

    @Test("models filters the catalog by provider and kind and shows prices with their source")
    func models() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let output = try await cli.run(["models", "--provider", "openrouter", "--kind", "video", "--json"])
        #expect(output.status == 0, "\(output.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
        #expect(!list.isEmpty)
        #expect(list.allSatisfy { $0["provider"] as? String == "openrouter" && ($0["kinds"] as? [String]) == ["video"] })
        let text = try await cli.run(["models", "--provider", "fal"])
        #expect(text.stdout.contains("fal/fal-ai/veo3/fast"))
        #expect(text.stdout.contains("per video_seconds"))
        let bad = try await cli.run(["models", "--kind", "podcast"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--kind: 'podcast' is not a kind"))
    }

    @Test("a job for a provider without its key is refused at submit, naming the variable")
    func missingKeyAtSubmit() async throws {
        guard ProcessInfo.processInfo.environment["OPENAI_API_KEY"] == nil else { return }
        let cli = try CLI()
        defer { cli.remove() }
        let output = try await cli.run(["submit", "tts", "--text", "Hello", "--provider", "openai"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("OPENAI_API_KEY"), "\(output.stderr)")
        let doctor = try await cli.run(["doctor", "--json"])
        #expect(doctor.stdout.contains("provider openai"))
        #expect(doctor.stdout.contains("OPENAI_API_KEY not set"))
    }
}
