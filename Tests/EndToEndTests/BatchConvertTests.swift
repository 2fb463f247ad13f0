#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsStore
import Testing

@Suite("batch convert: a folder converted here, validated, mirrored, resumable", .serialized)
struct BatchConvertTests {
    private func report(_ out: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: out.appendingPathComponent("batch-report.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func entries(_ report: [String: Any]) -> [String: [String: Any]] {
        let list = report["entries"] as? [[String: Any]] ?? []
        return Dictionary(list.map { ($0["input"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }

    private func files(under folder: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                found.append(path)
            }
        }
        return found.sorted()
    }

    @Test("every usable file becomes opus in the mirrored tree; bad files are named with their reason; again: nothing rewritten")
    func folderToOpus() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let source = cli.home.appendingPathComponent("media")
        let out = cli.home.appendingPathComponent("opus")
        let nested = source.appendingPathComponent("day1/morning")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.sample("speech.wav"), to: source.appendingPathComponent("day1/talk.wav"))
        try FileManager.default.copyItem(at: CLI.sample("speech.wav"), to: nested.appendingPathComponent("same-talk.wav"))
        try FileManager.default.copyItem(at: CLI.sample("speech.mp3"), to: nested.appendingPathComponent("other.mp3"))
        try FileManager.default.copyItem(at: CLI.sample("clip.mp4"), to: nested.appendingPathComponent("clip.mp4"))
        try FileManager.default.copyItem(at: CLI.sample("corrupt.mp3"), to: source.appendingPathComponent("broken.mp3"))
        try FileManager.default.copyItem(at: CLI.sample("notes.txt"), to: source.appendingPathComponent("notes.txt"))
        try FileManager.default.copyItem(at: CLI.sample("image.png"), to: source.appendingPathComponent("cover.png"))
        try Data().write(to: source.appendingPathComponent("empty.wav"))
        // An output that exists from before, for an input that will be refused: it must stay as it is.
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("kept".utf8).write(to: out.appendingPathComponent("broken.opus"))

        let command = ["batch", "convert", source.path, "--recursive", "--format", "opus", "--bitrate-kbps", "32",
                       "--channels", "1", "--out", out.path]
        let first = try await cli.run(command + ["--json"])
        #expect(first.status == 0, "stderr: \(first.stderr.suffix(2000))")
        let firstReport = try report(out)
        #expect(firstReport["done"] as? Int == 4)
        #expect(firstReport["skipped"] as? Int == 4)
        #expect(firstReport["failed"] as? Int == 0)
        let byInput = entries(firstReport)
        #expect((byInput["broken.mp3"]?["reason"] as? String)?.contains("corrupt") == true)
        #expect((byInput["notes.txt"]?["reason"] as? String)?.contains("text, not media") == true)
        #expect((byInput["cover.png"]?["reason"] as? String)?.contains("no audio stream") == true)
        #expect(byInput["empty.wav"]?["reason"] as? String == "empty file")
        #expect(try String(contentsOf: out.appendingPathComponent("broken.opus"), encoding: .utf8) == "kept")
        #expect(files(under: out) == [
            "batch-report.json", "broken.opus", "day1/morning/clip.opus", "day1/morning/other.opus",
            "day1/morning/same-talk.opus", "day1/talk.opus",
        ])

        for output in ["day1/talk.opus", "day1/morning/same-talk.opus", "day1/morning/other.opus", "day1/morning/clip.opus"] {
            let report = try await MediaEngine.shared.validate(out.appendingPathComponent(output),
                                                               expecting: MediaExpectation(kind: .audio))
            let audio = try #require(report.info.audioStreams.first)
            #expect(audio.codec == "opus", "\(output)")
            #expect(audio.channels == 1, "\(output)")
            #expect(report.info.container.contains("ogg"), "\(output)")
        }
        let talk = try await MediaEngine.shared.probe(out.appendingPathComponent("day1/talk.opus"))
        let input = try await MediaEngine.shared.probe(source.appendingPathComponent("day1/talk.wav"))
        #expect(abs((talk.durationSeconds ?? 0) - (input.durationSeconds ?? 0)) < 0.1)

        let modified = try FileManager.default.attributesOfItem(
            atPath: out.appendingPathComponent("day1/talk.opus").path)[.modificationDate] as? Date
        let again = try await cli.run(command)
        #expect(again.status == 0, "stderr: \(again.stderr.suffix(2000))")
        let second = entries(try report(out))
        #expect(second["day1/talk.wav"]?["file"] as? String == "unchanged")
        #expect(second["day1/morning/clip.mp4"]?["file"] as? String == "unchanged")
        #expect(try FileManager.default.attributesOfItem(
            atPath: out.appendingPathComponent("day1/talk.opus").path)[.modificationDate] as? Date == modified)

        // A changed input is converted again; the batch is known to `batch status`.
        try FileManager.default.removeItem(at: source.appendingPathComponent("day1/talk.wav"))
        try FileManager.default.copyItem(at: CLI.sample("silent.wav"), to: source.appendingPathComponent("day1/talk.wav"))
        _ = try await cli.run(command)
        #expect(entries(try report(out))["day1/talk.wav"]?["file"] as? String == "written")
        let batch = try #require(try report(out)["batch"] as? String)
        let status = try await cli.run(["batch", "status", batch, "--json"])
        #expect(status.json["done"] as? Int == 4)
    }

    @Test("the wrong kind of input for the format is refused; bad options are named")
    func refusals() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let source = cli.home.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.sample("speech.wav"), to: source.appendingPathComponent("talk.wav"))
        try FileManager.default.copyItem(at: CLI.sample("image.png"), to: source.appendingPathComponent("cover.png"))
        try FileManager.default.copyItem(at: CLI.sample("clip.mp4"), to: source.appendingPathComponent("clip.mp4"))
        let out = cli.home.appendingPathComponent("small")

        let video = try await cli.run(["batch", "convert", source.path, "--format", "webm", "--height", "48",
                                       "--out", out.path, "--json"])
        #expect(video.status == 0, "stderr: \(video.stderr.suffix(2000))")
        let byInput = entries(video.json)
        #expect((byInput["cover.png"]?["reason"] as? String)?.contains("still picture") == true)
        #expect((byInput["talk.wav"]?["reason"] as? String)?.contains("no video stream") == true)
        let clip = try await MediaEngine.shared.probe(out.appendingPathComponent("clip.webm"))
        #expect(clip.videoStreams.first?.codec == "vp9")
        #expect(clip.videoStreams.first?.height == 48)

        let images = try await cli.run(["batch", "convert", source.path, "--format", "jpeg", "--width", "40",
                                        "--out", out.path])
        #expect(images.status == 0, "stderr: \(images.stderr.suffix(2000))")
        let poster = try await MediaEngine.shared.probe(out.appendingPathComponent("clip.jpg"))
        #expect(poster.videoStreams.first?.codec == "mjpeg")
        #expect(poster.videoStreams.first?.width == 40)

        let noFormat = try await cli.run(["batch", "convert", source.path, "--out", out.path])
        #expect(noFormat.status == 2)
        #expect(noFormat.stderr.contains("--format"))
        let unknown = try await cli.run(["batch", "convert", source.path, "--format", "avi", "--out", out.path])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("'avi' is not a format"))
        let inPlace = try await cli.run(["batch", "convert", source.path, "--format", "mp3", "--out", source.path])
        #expect(inPlace.status == 2)
        #expect(inPlace.stderr.contains("--out"))
        let provider = try await cli.run(["batch", "convert", source.path, "--format", "mp3", "--provider", "openai"])
        #expect(provider.stderr.contains("--provider"))
        #expect(provider.status == 2)
    }

    @Test("Ctrl-C stops the batch with no partial file left; the same command finishes it and keeps what was done")
    func interruptedAndResumed() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let source = cli.home.appendingPathComponent("clips")
        let out = cli.home.appendingPathComponent("webm")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let count = 12
        for n in 0..<count {
            // Distinct content (different lengths), so none is a duplicate of another.
            _ = try await MediaEngine.shared.renderTestPattern(
                TestPattern(width: 320, height: 240, frameRate: 25, durationSeconds: 2 + Double(n) * 0.1),
                to: source.appendingPathComponent(String(format: "clip%02d.mp4", n)))
        }
        let command = ["batch", "convert", source.path, "--format", "webm", "--out", out.path, "--concurrency", "1"]
        let errors = cli.home.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let handle = try FileHandle(forWritingTo: errors)
        let victim = try cli.start(command, stderr: handle)
        var converted: [String] = []
        for _ in 0..<1200 {
            converted = files(under: out).filter { $0.hasSuffix(".webm") }
            if converted.count >= 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(victim.processIdentifier, SIGINT)
        await victim.waitForExit()
        try handle.close()
        let stderr = String(decoding: try Data(contentsOf: errors), as: UTF8.self)
        #expect(victim.terminationStatus == 130, "stderr: \(stderr)")
        let afterStop = files(under: out)
        #expect(afterStop.allSatisfy { !$0.contains(".part") }, "partial files left: \(afterStop)")
        let done = afterStop.filter { $0.hasSuffix(".webm") }
        #expect(done.count >= 2)
        #expect(done.count < count, "the batch finished before it could be stopped")

        let resumed = try await cli.run(command + ["--json"])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr.suffix(2000))")
        let byInput = entries(try report(out))
        #expect(byInput.count == count)
        for output in done {
            let input = (output as NSString).deletingPathExtension + ".mp4"
            #expect(byInput[input]?["file"] as? String == "unchanged", "\(input) was converted again")
        }
        #expect(files(under: out).filter { $0.hasSuffix(".webm") }.count == count)
        #expect(files(under: out).allSatisfy { !$0.contains(".part") })
    }
}
