#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsStore
import Testing

@Suite("batch transcription of a folder", .serialized)
struct BatchTests {
    /// A nested folder of `count` distinct speech recordings, plus 5 corrupt and 3 non-media files.
    private func makeFolder(_ root: URL, count: Int) async throws {
        let corrupt = try Data(contentsOf: CLI.sample("corrupt.mp3"))
        for n in 0..<count {
            let folder = root.appendingPathComponent("day\(n % 4)/session\(n % 3)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try await MediaEngine.shared.synthesizeSpeech(
                text: "Recording \(n) says hello.", voice: "kal", to: folder.appendingPathComponent("talk\(n).wav"))
        }
        for n in 0..<5 {
            try corrupt.write(to: root.appendingPathComponent("day\(n % 4)/broken\(n).mp3"))
        }
        try Data("notes, not sound\n".utf8).write(to: root.appendingPathComponent("day0/notes.txt"))
        try Data("<html>an error page</html>".utf8).write(to: root.appendingPathComponent("day1/page.wav"))
        try Data([0x89, 0x50, 0x4E, 0x47]).write(to: root.appendingPathComponent("day2/cover.png"))
    }

    private func report(_ out: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: out.appendingPathComponent("batch-report.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("200 recordings, 8 bad files: 200 mirrored transcripts, 8 named rejections; again: nothing new")
    func folderAndRerun() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let talks = cli.home.appendingPathComponent("talks")
        let out = cli.home.appendingPathComponent("out")
        try await makeFolder(talks, count: 200)
        let command = ["batch", "transcribe", talks.path, "--recursive", "--format", "srt", "--out", out.path, "--json"]

        let first = try await cli.run(command)
        #expect(first.status == 0, "stderr: \(first.stderr.suffix(2000))")
        let summary = try report(out)
        #expect(summary["done"] as? Int == 200)
        #expect(summary["skipped"] as? Int == 8)
        #expect(summary["new_jobs"] as? Int == 200)
        let entries = try #require(summary["entries"] as? [[String: Any]])
        let skipped = entries.filter { $0["state"] as? String == "skipped" }
        #expect(Set(skipped.compactMap { $0["input"] as? String }) == [
            "day0/broken0.mp3", "day1/broken1.mp3", "day2/broken2.mp3", "day3/broken3.mp3", "day0/broken4.mp3",
            "day0/notes.txt", "day1/page.wav", "day2/cover.png",
        ])
        #expect(skipped.allSatisfy { !(($0["reason"] as? String) ?? "").isEmpty })
        for n in [0, 57, 199] {
            let srt = out.appendingPathComponent("day\(n % 4)/session\(n % 3)/talk\(n).srt")
            let text = try String(contentsOf: srt, encoding: .utf8)
            #expect(text.contains(" --> "), "\(srt.path): \(text)")
        }
        let store = try SQLiteJobStore(path: cli.database.path)
        let costsBefore = try await store.costRecords(since: nil, until: nil).count
        let jobsBefore = try await store.jobs(JobFilter(limit: 10_000)).count

        let second = try await cli.run(command)
        #expect(second.status == 0, "stderr: \(second.stderr.suffix(2000))")
        #expect(try report(out)["new_jobs"] as? Int == 0)
        #expect(try await store.costRecords(since: nil, until: nil).count == costsBefore)
        #expect(try await store.jobs(JobFilter(limit: 10_000)).count == jobsBefore)
    }

    @Test("a batch killed halfway and run again completes, with no job run to the end twice")
    func killedAndResumed() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let talks = cli.home.appendingPathComponent("talks")
        let out = cli.home.appendingPathComponent("out")
        try await makeFolder(talks, count: 40)
        let command = ["batch", "transcribe", talks.path, "--recursive", "--out", out.path]
        _ = try await cli.run(["list"])
        let store = try SQLiteJobStore(path: cli.database.path)

        let victim = try cli.start(command)
        var succeeded = 0
        for _ in 0..<600 {
            succeeded = try await store.countsByState()[.succeeded] ?? 0
            if succeeded >= 15 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(victim.processIdentifier, SIGKILL)
        await victim.waitForExit()
        #expect(succeeded >= 15)
        #expect(succeeded < 40, "the batch finished before it could be killed")

        let resumed = try await cli.run(command)
        #expect(resumed.status == 0, "stderr: \(resumed.stderr.suffix(2000))")
        let jobs = try await store.jobs(JobFilter(limit: 1_000))
        #expect(jobs.count == 40)
        #expect(jobs.allSatisfy { $0.state == .succeeded })
        for job in jobs {
            let successes = try await store.events(job.id, after: nil).filter { $0.kind == .succeeded }.count
            #expect(successes == 1, "job \(job.id) succeeded \(successes) times")
            #expect(try await store.costs(job.id).count == 1)
        }
        #expect(try report(out)["done"] as? Int == 40)
    }
}
