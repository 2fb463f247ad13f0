import Foundation
import MediaJobsFFmpeg
import Testing

@Suite("speech round trip through the built binary", .serialized)
struct SpeechRoundTripTests {
    static let sentence = "The quick brown fox jumps over the lazy dog"

    @Test("tts to mp3 then transcription of that mp3, with no key and no network")
    func roundTrip() async throws {
        let cli = try CLI()
        defer { cli.remove() }

        let tts = try await cli.run(["submit", "tts", "--text", Self.sentence, "--format", "mp3", "--wait", "--json"])
        #expect(tts.status == 0, "stderr: \(tts.stderr)")
        let job = tts.json
        #expect(job["state"] as? String == "succeeded")
        #expect(job["kind"] as? String == "tts")
        #expect(job["provider"] as? String == "local")
        #expect(job["model"] as? String == "flite")
        #expect(job["attempts"] as? Int == 1)
        #expect(job["error"] is NSNull)
        let artifacts = try #require(job["artifacts"] as? [[String: Any]])
        #expect(artifacts.count == 1)
        let path = try #require(artifacts.first?["path"] as? String)
        #expect(path.hasPrefix("/"))
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(artifacts.first?["mime"] as? String == "audio/mpeg")

        let report = try await MediaEngine.shared.validate(URL(fileURLWithPath: path), expecting: MediaExpectation())
        #expect(report.info.streams.first?.codec == "mp3")
        #expect((1.0...10.0).contains(report.durationSeconds), "duration \(report.durationSeconds)")

        let cost = try #require(job["cost"] as? [String: Any])
        #expect((cost["usd"] as? NSNumber)?.doubleValue == 0)
        let records = try #require(cost["records"] as? [[String: Any]])
        #expect(records.count == 1)
        #expect((records.first?["usd"] as? NSNumber)?.doubleValue == 0)
        let units = try #require(records.first?["units"] as? [String: Any])
        #expect((units["characters"] as? NSNumber)?.intValue == 43)
        #expect(units.count == 1)

        let transcribe = try await cli.run(["submit", "transcribe", "--audio", path, "--wait", "--json"])
        #expect(transcribe.status == 0, "stderr: \(transcribe.stderr)")
        #expect(transcribe.json["state"] as? String == "succeeded")
        let text = try #require((transcribe.json["artifacts"] as? [[String: Any]])?.first?["path"] as? String)
        let heard = try String(contentsOfFile: text, encoding: .utf8).lowercased()
        let words = Self.sentence.lowercased().split(separator: " ").map(String.init)
        let heardWords = Set(heard.split(whereSeparator: { !$0.isLetter }).map(String.init))
        let matched = words.filter { heardWords.contains($0) }
        #expect(matched.count >= 6, "heard: \(heard)")
    }

    @Test("srt output carries cue times, and get copies the artifact out")
    func subtitlesAndGet() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let copied = cli.home.appendingPathComponent("copied.srt")
        let result = try await cli.run(["submit", "transcribe", "--audio", CLI.sample("speech.wav").path,
                                  "--format", "srt", "--wait", "--json", "-o", copied.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let id = try #require(result.json["id"] as? String)
        let target = cli.home.appendingPathComponent("talk.srt")
        let get = try await cli.run(["get", id, "-o", target.path])
        #expect(get.status == 0, "stderr: \(get.stderr)")
        let srt = try String(contentsOf: target, encoding: .utf8)
        #expect(srt.hasPrefix("1\n00:00:"))
        #expect(srt.contains(" --> "))
        #expect(try String(contentsOf: copied, encoding: .utf8) == srt)
        let refused = try await cli.run(["submit", "tts", "--text", "hi", "-o", copied.path])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--output: needs --wait"))
    }
}
