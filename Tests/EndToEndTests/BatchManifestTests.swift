import Foundation
import MediaJobsCore
import MediaJobsStore
import Testing

@Suite("batch from a manifest or a prompt file")
struct BatchManifestTests {
    private func report(_ out: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: out.appendingPathComponent("batch-report.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("a JSONL manifest of mixed kinds: good lines run, bad lines are named by line and reason, a rerun adds nothing")
    func manifest() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let folder = cli.home.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("audio"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.sample("speech.wav"), to: folder.appendingPathComponent("audio/talk.wav"))
        try FileManager.default.copyItem(at: CLI.sample("corrupt.mp3"), to: folder.appendingPathComponent("audio/bad.mp3"))
        try Data("Read from a file next to the manifest.\n".utf8).write(to: folder.appendingPathComponent("script.txt"))
        let manifest = folder.appendingPathComponent("jobs.jsonl")
        try Data("""
            # voiced and heard
            {"kind": "tts", "input": {"text": "Hello from a manifest"}, "output": {"format": "mp3"}}
            {"kind": "transcribe", "input": {"audio": "audio/talk.wav"}, "output": {"format": "srt"}}
            {"kind": "tts", "input": {"text_file": "script.txt"}}
            {"kind": "transcribe", "input": {"audio": "audio/bad.mp3"}}
            {"kind": "tts", "input": {"txt": "a typo"}}
            {"kind": "tts", "input": {"text": "no such voice", "voice": "nobody"}}
            not json

            {"kind": "tts", "input": {"text": "Hello from a manifest"}, "output": {"format": "mp3"}}
            """.utf8).write(to: manifest)
        let out = cli.home.appendingPathComponent("results")
        let command = ["batch", "--file", manifest.path, "--out", out.path, "--json"]

        let first = try await cli.run(command)
        #expect(first.status == 0, "stderr: \(first.stderr.suffix(2000))")
        let summary = try report(out)
        #expect(summary["done"] as? Int == 4)  // three jobs, one of them answering two identical lines
        #expect(summary["new_jobs"] as? Int == 3)
        let entries = try #require(summary["entries"] as? [[String: Any]])
        var reasons: [String: String] = [:]
        for entry in entries where entry["state"] as? String == "skipped" {
            reasons[entry["input"] as? String ?? "?"] = entry["reason"] as? String ?? ""
        }
        #expect(Set(reasons.keys) == ["jobs.jsonl:5", "jobs.jsonl:6", "jobs.jsonl:7", "jobs.jsonl:8"])
        #expect(reasons["jobs.jsonl:5"]?.contains("bad.mp3 is not usable media") == true, "\(reasons)")
        #expect(reasons["jobs.jsonl:6"]?.hasPrefix("input.txt: unknown field") == true, "\(reasons)")
        #expect(reasons["jobs.jsonl:7"]?.contains("input.voice") == true, "\(reasons)")
        #expect(reasons["jobs.jsonl:8"]?.contains("not valid JSON") == true, "\(reasons)")

        // Outputs: named after their input file, or numbered from the line and its text.
        let srt = try String(contentsOf: out.appendingPathComponent("talk.srt"), encoding: .utf8)
        #expect(srt.contains(" --> "))
        for name in ["script.mp3", "0002-hello-from-a-manifest.mp3", "0010-hello-from-a-manifest.mp3"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
        }

        let store = try SQLiteJobStore(path: cli.database.path)
        let costs = try await store.costRecords(since: nil, until: nil).count
        let again = try await cli.run(command)
        #expect(again.status == 0, "stderr: \(again.stderr.suffix(2000))")
        #expect(try report(out)["new_jobs"] as? Int == 0)
        #expect(try await store.costRecords(since: nil, until: nil).count == costs)
    }

    @Test("a prompt file for a provider that cannot make images is refused before anything is submitted")
    func promptsNeedAnImageProvider() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let prompts = cli.home.appendingPathComponent("prompts.txt")
        try Data("a red fox at dawn\n# a comment\n\na blue whale\n".utf8).write(to: prompts)
        let result = try await cli.run(["batch", "image", prompts.path, "--dry-run"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("provider: 'local' does not make image jobs"), "\(result.stderr)")
        let missing = try await cli.run(["batch", "video", cli.home.appendingPathComponent("none.txt").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("PROMPTS:"), "\(missing.stderr)")
    }

    @Test("image prompts through the simulator: one image per distinct prompt, named by its line; a rerun adds nothing")
    func imagePrompts() async throws {
        var cli = try CLI()
        defer { cli.remove() }
        let log = cli.home.appendingPathComponent("simulator.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let simulator = try cli.start(["simulator", "--port", "0"], stdout: try FileHandle(forWritingTo: log), home: false)
        defer { simulator.terminate() }
        var exports: [String: String] = [:]
        for _ in 0..<600 where exports.count < 4 {
            try await Task.sleep(for: .milliseconds(100))
            for line in try String(contentsOf: log, encoding: .utf8).split(separator: "\n") where line.hasPrefix("export ") {
                let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
                if pair.count == 2 { exports[String(pair[0])] = String(pair[1]) }
            }
        }
        #expect(exports["OPENROUTER_BASE_URL"] != nil, "the simulator printed: \(exports)")
        cli.environment = exports.merging(["OPENROUTER_API_KEY": "sk-or-e2e-test"]) { $1 }

        let prompts = cli.home.appendingPathComponent("prompts.txt")
        try Data("a red fox at dawn\n# not a prompt\n\na blue whale in the sea\na red fox at dawn\n".utf8).write(to: prompts)
        let out = cli.home.appendingPathComponent("images")
        let command = ["batch", "image", prompts.path, "--provider", "openrouter", "--out", out.path, "--json"]
        let first = try await cli.run(command)
        #expect(first.status == 0, "stderr: \(first.stderr.suffix(2000))")
        #expect(try report(out)["done"] as? Int == 3)
        #expect(try report(out)["new_jobs"] as? Int == 2)  // the repeated prompt is one job
        for name in ["0001-a-red-fox-at-dawn.png", "0004-a-blue-whale-in-the-sea.png", "0005-a-red-fox-at-dawn.png"] {
            let probe = try await cli.run(["probe", out.appendingPathComponent(name).path, "--json"])
            #expect(probe.status == 0 && probe.stdout.contains("png"), "\(name): \(probe.stderr)")
        }
        let again = try await cli.run(command)
        #expect(again.status == 0, "stderr: \(again.stderr.suffix(2000))")
        #expect(try report(out)["new_jobs"] as? Int == 0)
    }
}
