import Foundation
import Testing

@Suite("the README's HTTP examples", .serialized)
struct ReadmeExamplesTests {
    /// The shell block of "## Over HTTP" that talks to the server (the one with curl in it).
    static func curlBlock() throws -> String {
        let readme = try String(contentsOf: ServeProcess.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Over HTTP").dropFirst().first?
            .components(separatedBy: "\n## ").first)
        let blocks = section.components(separatedBy: "```sh\n").dropFirst().map { $0.components(separatedBy: "```").first ?? "" }
        return try #require(blocks.first { $0.contains("curl") })
    }

    @Test("every curl example in the README works against `mediajobs serve`, pasted as it is")
    func curlExamples() async throws {
        let serve = try ServeProcess(arguments: ["--workers", "2"])
        defer { _ = serve.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("Samples"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: sample("speech.wav"), to: folder.appendingPathComponent("Samples/speech.wav"))
        // The examples name port 8787; the test server listens on a free port.
        let script = "set -eu\ncd '\(folder.path)'\n" + (try ReadmeExamplesTests.curlBlock())
            .replacingOccurrences(of: "127.0.0.1:8787", with: "127.0.0.1:\(serve.port)")
        let (status, output) = try await ServeProcess.run(URL(fileURLWithPath: "/bin/bash"), ["-c", script])
        #expect(status == 0, "\(output)")
        let mp3 = try Data(contentsOf: folder.appendingPathComponent("hello.mp3"))
        #expect(mp3.count > 1000)
        #expect(output.contains("event: end"))
        #expect(output.contains("\"kind\":\"transcribe\""))
        #expect(output.contains("\"group_by\":[\"day\",\"provider\"]"))
        #expect(output.contains("mediajobs_jobs{state=\"succeeded\"}"))
        #expect(output.contains("\"openapi\""))
        // The only error shown is the one the README announces (canceling a job that ended).
        let errors = output.components(separatedBy: "\"error\":{").count - 1
        #expect(errors == 1)
        #expect(output.contains("job.invalid_transition"))
    }
}
