import Foundation
import Testing

/// `--artifacts`, `MEDIAJOBS_ARTIFACTS` and `storage.artifacts_dir`, and a reader that refuses corrupt files, as a
/// user meets them: through the built binary.
@Suite("the artifact folder, from the command line", .serialized)
struct ArtifactsFolderTests {
    /// The names of the files stored under `folder/sha256/`.
    static func stored(in folder: URL) -> Set<String> {
        let objects = folder.appendingPathComponent("sha256")
        guard let shards = try? FileManager.default.contentsOfDirectory(atPath: objects.path) else { return [] }
        return Set(shards.flatMap { (try? FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent($0).path)) ?? [] })
    }

    /// Flips one byte in the middle of `file`, keeping its size.
    static func corrupt(_ file: URL) throws {
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0x5A
        try bytes.write(to: file)
    }

    @Test("--artifacts wins over MEDIAJOBS_ARTIFACTS, which wins over config.json's storage.artifacts_dir, then <home>/artifacts")
    func precedence() async throws {
        var cli = try CLI()
        defer { cli.remove() }
        let flag = cli.home.appendingPathComponent("from-flag")
        let variable = cli.home.appendingPathComponent("from-variable")
        let configured = cli.home.appendingPathComponent("from-config")
        let standard = cli.home.appendingPathComponent("artifacts")
        // Relative in config.json: taken from the home folder, wherever the command runs.
        try Data(#"{"storage": {"artifacts_dir": "from-config"}}"#.utf8).write(to: cli.home.appendingPathComponent("config.json"))
        let audio = CLI.sample("speech.wav").path
        func submit(_ extra: [String]) async throws {
            let result = try await cli.run(["submit", "transcribe", "--audio", audio, "--provider", "local", "--json"] + extra)
            #expect(result.status == 0, "stderr: \(result.stderr)")
        }

        cli.environment["MEDIAJOBS_ARTIFACTS"] = variable.path
        try await submit(["--artifacts", flag.path])
        let input = try #require(ArtifactsFolderTests.stored(in: flag).first)
        #expect(ArtifactsFolderTests.stored(in: variable).isEmpty)

        try await submit([])
        #expect(ArtifactsFolderTests.stored(in: variable) == [input])
        #expect(ArtifactsFolderTests.stored(in: configured).isEmpty)

        cli.environment["MEDIAJOBS_ARTIFACTS"] = ""
        try await submit([])
        #expect(ArtifactsFolderTests.stored(in: configured) == [input])
        #expect(ArtifactsFolderTests.stored(in: standard).isEmpty)

        try FileManager.default.removeItem(at: cli.home.appendingPathComponent("config.json"))
        try await submit([])
        #expect(ArtifactsFolderTests.stored(in: standard) == [input])
    }

    @Test("two processes, as on two machines, store the same input in one shared folder at once: both succeed, one file")
    func twoProcessesOneFolder() async throws {
        let first = try CLI()
        let second = try CLI()
        defer { first.remove(); second.remove() }
        let shared = first.home.appendingPathComponent("shared")
        let arguments = ["submit", "transcribe", "--audio", CLI.sample("speech.wav").path, "--provider", "local",
                         "--artifacts", shared.path, "--json"]
        async let a = first.run(arguments)
        async let b = second.run(arguments)
        async let c = first.run(["submit", "transcribe", "--audio", CLI.sample("speech.mp3").path, "--provider", "local",
                                 "--artifacts", shared.path, "--json"])
        let results = try await [a, b, c]
        for result in results { #expect(result.status == 0, "stderr: \(result.stderr)") }
        #expect(ArtifactsFolderTests.stored(in: shared).count == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: shared.appendingPathComponent("tmp").path).isEmpty)
        for name in ArtifactsFolderTests.stored(in: shared) {
            let file = shared.appendingPathComponent("sha256/\(name.prefix(2))/\(name)")
            let (status, output) = try await ArtifactsFolderTests.program("/usr/bin/sha256sum", [file.path])
            #expect(status == 0)
            #expect(output.hasPrefix(name + " "), "\(file.path) does not hash to its name: \(output)")
        }
    }

    @Test("doctor says the artifact folder is writable and on one file system, or names the folder it cannot make")
    func doctorLines() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let shared = cli.home.appendingPathComponent("shared")
        let good = try await cli.run(["doctor", "--artifacts", shared.path])
        let lines = good.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("ok    artifacts              \(shared.path) (from --artifacts) is writable"), "\(good.stdout)")
        #expect(lines.contains { $0.hasPrefix("ok    artifacts file system  tmp/, sha256/ and answers/ are on one file system (device ") },
                "\(good.stdout)")

        let json = try await cli.run(["doctor", "--artifacts", shared.path, "--json"])
        let checks = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(checks.first { $0["name"] as? String == "artifacts" }?["ok"] as? Bool == true)

        let file = cli.home.appendingPathComponent("a-file")
        try Data().write(to: file)
        let blocked = file.appendingPathComponent("artifacts")
        let bad = try await cli.run(["doctor", "--artifacts", blocked.path])
        #expect(bad.status == 1)
        let failed = try #require(bad.stdout.split(separator: "\n").first { $0.hasPrefix("FAIL  artifacts ") }, "\(bad.stdout)")
        #expect(failed.contains("\(blocked.path): cannot create the artifact folder"), "\(failed)")
        #expect(bad.stdout.contains("fix: make \(blocked.path) writable by this user"))

        let refused = try await cli.run(["submit", "tts", "--text", "hi", "--artifacts", blocked.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(blocked.path): cannot create the artifact folder"), "\(refused.stderr)")
    }

    @Test("get refuses an output whose bytes no longer match its name, to a file and to stdout, and writes nothing")
    func getRefusesCorruption() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let shared = cli.home.appendingPathComponent("shared")
        let submitted = try await cli.run(["submit", "tts", "--text", "Checked before it is served.", "--format", "wav",
                                           "--wait", "--json", "--artifacts", shared.path])
        #expect(submitted.status == 0, "stderr: \(submitted.stderr)")
        let id = try #require(submitted.json["id"] as? String)
        let sha = try #require((submitted.json["artifacts"] as? [[String: Any]])?.first?["sha256"] as? String)
        let stored = shared.appendingPathComponent("sha256/\(sha.prefix(2))/\(sha)")

        let fine = cli.home.appendingPathComponent("fine.wav")
        let good = try await cli.run(["get", id, "-o", fine.path, "--artifacts", shared.path])
        #expect(good.status == 0, "stderr: \(good.stderr)")
        #expect(try Data(contentsOf: fine) == Data(contentsOf: stored))

        try ArtifactsFolderTests.corrupt(stored)
        let target = cli.home.appendingPathComponent("bad.wav")
        let refused = try await cli.run(["get", id, "-o", target.path, "--artifacts", shared.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("artifact \(sha) is corrupt"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.home.path).allSatisfy { !$0.hasSuffix(".part") })

        let piped = try await cli.run(["get", id, "-o", "-", "--artifacts", shared.path])
        #expect(piped.status == 1)
        #expect(piped.stdout.isEmpty)
        #expect(piped.stderr.contains("is corrupt"), "\(piped.stderr)")
    }

    @Test("serve answers a corrupt artifact with a 500 and a JSON error, never its bytes")
    func serveRefusesCorruption() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let shared = cli.home.appendingPathComponent("shared")
        let submitted = try await cli.run(["submit", "transcribe", "--audio", CLI.sample("speech.wav").path,
                                           "--provider", "local", "--json", "--artifacts", shared.path])
        #expect(submitted.status == 0, "stderr: \(submitted.stderr)")
        let sha = try #require((submitted.json["inputs"] as? [[String: Any]])?.first?["sha256"] as? String)

        let out = Pipe()
        let server = try cli.start(["serve", "--port", "0", "--workers", "0", "--artifacts", shared.path],
                                   stdout: out.fileHandleForWriting)
        defer { server.terminate(); server.waitUntilExit() }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        let address = try #require(text.range(of: #"http://[0-9.]+:\d+/"#, options: .regularExpression).map { String(text[$0]) })
        let url = address + "v1/artifacts/\(sha)"

        let body = cli.home.appendingPathComponent("body")
        let (okStatus, okCode) = try await ArtifactsFolderTests.program("/usr/bin/curl", ["-s", "-o", body.path, "-w", "%{http_code}", url])
        #expect(okStatus == 0)
        #expect(okCode == "200")
        #expect(try Data(contentsOf: body) == Data(contentsOf: CLI.sample("speech.wav")))

        try ArtifactsFolderTests.corrupt(shared.appendingPathComponent("sha256/\(sha.prefix(2))/\(sha)"))
        for range in [[], ["-H", "Range: bytes=0-99"]] {
            let (status, code) = try await ArtifactsFolderTests.program("/usr/bin/curl", ["-s", "-o", body.path, "-w", "%{http_code}"] + range + [url])
            #expect(status == 0)
            #expect(code == "500")
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: body)) as? [String: Any])
            let error = try #require(answer["error"] as? [String: Any])
            #expect(error["code"] as? String == "store.failure")
            #expect((error["message"] as? String ?? "").contains("artifact \(sha) is corrupt"), "\(error)")
        }
    }

    /// Runs a program to its end; its status and stdout.
    static func program(_ path: String, _ arguments: [String]) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("program-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try CLI.spawn(process)
        await process.waitForExit()
        try handle.close()
        return (process.terminationStatus, String(decoding: try Data(contentsOf: out), as: UTF8.self))
    }
}
