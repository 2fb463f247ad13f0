import Foundation
import Testing

@Suite("status shows what was checked on each output", .serialized)
struct StatusChecksTests {
    @Test("mediajobs status lists every check of the provider's file and the delivered one; --json carries them")
    func statusListsChecks() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let text = "Every output is proven real before the job is called done."
        let submitted = try await cli.run(["submit", "tts", "--text", text, "--format", "opus", "--wait", "--json"])
        #expect(submitted.status == 0, "stderr: \(submitted.stderr)")
        let id = try #require(submitted.json["id"] as? String)
        let checks = try #require((submitted.json["artifacts"] as? [[String: Any]])?.first?["checks"] as? [[String: Any]])
        #expect(checks.contains { $0["name"] as? String == "speech_rate" && $0["subject"] as? String == "provider output" })
        #expect(checks.contains { $0["name"] as? String == "format" && $0["subject"] as? String == "opus output" })

        let status = try await cli.run(["status", id])
        #expect(status.status == 0, "stderr: \(status.stderr)")
        #expect(status.stdout.contains("checked before storing"), "\(status.stdout)")
        #expect(status.stdout.contains("✓ provider output: decode: decoded "))
        #expect(status.stdout.contains("✓ provider output: speech_rate: speech "))
        #expect(status.stdout.contains("✓ opus output: format: format opus as expected"))
        #expect(status.stdout.contains("✓ opus output: silence: audio peak "))
    }
}
