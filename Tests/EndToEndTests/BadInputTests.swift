import Foundation
import Testing

@Suite("bad input gets a clear error and harms nothing")
struct BadInputTests {
    /// Runs `arguments`, expects exit code 2 and a message containing every fragment.
    private func expectRefused(_ cli: CLI, _ arguments: [String], mentions fragments: [String],
                               sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let result = try await cli.run(arguments)
        #expect(result.status == 2, "exit \(result.status), stderr: \(result.stderr)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "stderr lacks '\(fragment)': \(result.stderr)",
                    sourceLocation: sourceLocation)
        }
        #expect(!result.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
    }

    @Test("each bad input is refused by name, and a job stored before survives intact")
    func refusals() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let good = try await cli.run(["submit", "tts", "--text", "Still here.", "--format", "wav", "--wait", "--json"])
        #expect(good.status == 0, "stderr: \(good.stderr)")
        let goodID = try #require(good.json["id"] as? String)

        try await expectRefused(cli, ["submit", "music", "--text", "hi"], mentions: ["kind", "music"])
        try await expectRefused(cli, ["submit", "tts"], mentions: ["input.text", "needs text"])
        try await expectRefused(cli, ["submit", "tts", "--text", "hi", "--voice", "bogus"], mentions: ["input.voice", "bogus"])
        try await expectRefused(cli, ["submit", "transcribe", "--audio", CLI.sample("corrupt.mp3").path],
                          mentions: ["input.audio", "corrupt.mp3"])
        try await expectRefused(cli, ["submit", "transcribe", "--audio", CLI.sample("notes.txt").path],
                          mentions: ["input.audio", "notes.txt"])
        try await expectRefused(cli, ["submit", "transcribe", "--audio", "/no/such/recording.wav"],
                          mentions: ["input.audio", "/no/such/recording.wav", "no such file"])
        try await expectRefused(cli, ["submit", "tts", "--text", "hi", "--format", "srt"], mentions: ["output.format", "srt"])

        let notJSON = cli.home.appendingPathComponent("job.json")
        try Data("kind = tts\n".utf8).write(to: notJSON)
        try await expectRefused(cli, ["submit", "--file", notJSON.path], mentions: [notJSON.path, "not valid JSON"])
        try await expectRefused(cli, ["submit", "--file", "/no/such/job.json"], mentions: ["/no/such/job.json", "no such file"])
        let typo = cli.home.appendingPathComponent("typo.json")
        try Data(#"{"kind": "tts", "input": {"txt": "hello"}}"#.utf8).write(to: typo)
        try await expectRefused(cli, ["submit", "--file", typo.path], mentions: ["input.txt", "unknown field"])
        try await expectRefused(cli, ["status", "not-an-id"], mentions: ["id"])
        try await expectRefused(cli, ["submit", "tts", "--text", "hi", "--label", "oops"], mentions: ["--label"])

        // Nothing refused reached the queue, and the job stored before is untouched.
        let list = try await cli.run(["list", "--json"])
        #expect(list.status == 0)
        let jobs = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(jobs.count == 1)
        #expect(jobs.first?["id"] as? String == goodID)
        #expect(jobs.first?["state"] as? String == "succeeded")
        let path = try #require((jobs.first?["artifacts"] as? [[String: Any]])?.first?["path"] as? String)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("a job whose input breaks only at run time fails alone with a named error")
    func failedJobExitCode() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let missing = try await cli.run(["wait", "0123456789ABCDEFGHJKMNPQRS"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("job.not_found"))
    }

    @Test("a FIFO with no writer, a socket and /dev/zero as inputs: refused at once, named by path and kind, nothing read")
    func specialFiles() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let fifo = cli.home.appendingPathComponent("recording.wav")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let socketPath = cli.home.appendingPathComponent("talk.mp3").path
        let socket = Self.listeningSocket(at: socketPath)
        defer { if socket >= 0 { close(socket) } }
        #expect(socket >= 0)
        let secret = cli.home.appendingPathComponent("secret.txt")
        try Data("root:x:0:0:root:/root:/bin/bash\n".utf8).write(to: secret)

        for (path, kind) in [(fifo.path, "a named pipe (FIFO)"), (socketPath, "a socket"), ("/dev/zero", "a character device")] {
            let started = Date()
            try await expectRefused(cli, ["submit", "transcribe", "--audio", path], mentions: ["input.audio", path, kind])
            try await expectRefused(cli, ["submit", "tts", "--text-file", path], mentions: ["input.text_file", path, kind])
            // Opening a FIFO with no writer blocks forever: finishing at all shows nothing opened it. The bound only
            // turns a hang into a failure (a refusal by stat takes no time worth measuring here).
            #expect(Date().timeIntervalSince(started) < 120, "\(path) was not refused at once")
        }
        // A text file refused as media is named by kind and size; what it says is never repeated.
        let refused = try await cli.run(["submit", "transcribe", "--audio", secret.path])
        #expect(refused.status == 2 && refused.stderr.contains("the file is text"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("root:x"), "\(refused.stderr)")
    }

    /// A Unix socket listening at `path`; its descriptor, or -1.
    private static func listeningSocket(at path: String) -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return -1 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return -1 }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(descriptor, 1) == 0 else { close(descriptor); return -1 }
        return descriptor
    }
}
