import Foundation
import Testing

@Suite("probe, validate and convert from the command line")
struct MediaCommandTests {
    @Test("probe prints the streams of a real file, as text and as JSON")
    func probe() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let text = try await cli.run(["probe", CLI.sample("clip.mp4").path])
        #expect(text.status == 0, "stderr: \(text.stderr)")
        #expect(text.stdout.contains("h264, 160x120, 10 fps"))
        #expect(text.stdout.contains("aac"))
        let json = try await cli.run(["probe", CLI.sample("speech.wav").path, "--json"])
        #expect(json.status == 0)
        let streams = try #require(json.json["streams"] as? [[String: Any]])
        #expect(streams.first?["codec"] as? String == "pcm_s16le")
        #expect(json.json["container"] as? String == "wav")
    }

    @Test("validate passes a good file listing its checks, and names each broken sample's failure with exit 1")
    func validate() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let good = try await cli.run([
            "validate", CLI.sample("clip.mp4").path, "--expect", "video", "--width", "160", "--height", "120",
            "--fps", "10", "--duration", "2", "--audio",
        ])
        #expect(good.status == 0, "stderr: \(good.stderr)")
        #expect(good.stdout.contains("✓ size 160x120 as asked"))
        #expect(good.stdout.contains("✓ freezedetect: the picture changes"))

        let failures = [
            ("empty.mp3", "media.empty"), ("error-page.mp3", "media.not_media"), ("mismatch.mp3", "media.container_mismatch"),
            ("truncated.mp4", "media.truncated"), ("corrupt.mp4", "media.corrupt"), ("bomb.png", "media.too_large"),
            ("silent.wav", "media.silent"), ("black.mp4", "media.black"), ("frozen.mp4", "media.frozen"),
            ("flat.png", "media.flat_image"),
        ]
        for (sample, code) in failures {
            let result = try await cli.run(["validate", CLI.sample(sample).path])
            #expect(result.status == 1, "\(sample): exit \(result.status)")
            #expect(result.stderr.contains("error: \(code): "), "\(sample): \(result.stderr)")
            #expect(result.stderr.contains(sample))
        }
        let json = try await cli.run(["validate", CLI.sample("silent.wav").path, "--json"])
        #expect(json.status == 1)
        #expect(json.json["ok"] as? Bool == false)
        #expect(json.json["code"] as? String == "media.silent")
    }

    @Test("validate reads its thresholds from the media section of config.json")
    func configuredLimits() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        try Data(#"{"media": {"max_width": 100}}"#.utf8).write(to: cli.home.appendingPathComponent("config.json"))
        let refused = try await cli.run(["validate", CLI.sample("clip.mp4").path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("media.too_large"))
        try Data(#"{"media": {"max_widht": 100}}"#.utf8).write(to: cli.home.appendingPathComponent("config.json"))
        let typo = try await cli.run(["validate", CLI.sample("clip.mp4").path])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("media.max_widht: unknown field"))
    }

    @Test("convert writes audio, video, image and poster outputs that probe as asked")
    func convert() async throws {
        let cli = try CLI()
        defer { cli.remove() }
        let folder = cli.home
        let opus = folder.appendingPathComponent("speech.opus").path
        let audio = try await cli.run(["convert", CLI.sample("speech.wav").path, opus, "--bitrate-kbps", "32", "--json"])
        #expect(audio.status == 0, "stderr: \(audio.stderr)")
        #expect(audio.json["action"] as? String == "transcoded")

        let webm = folder.appendingPathComponent("clip.webm").path
        let video = try await cli.run(["convert", CLI.sample("clip.mp4").path, webm, "--height", "60", "--fps", "5"])
        #expect(video.status == 0, "stderr: \(video.stderr)")
        let probed = try await cli.run(["probe", webm, "--json"])
        let streams = try #require(probed.json["streams"] as? [[String: Any]])
        let picture = try #require(streams.first { $0["type"] as? String == "video" })
        #expect(picture["codec"] as? String == "vp9")
        #expect(picture["height"] as? Int == 60)
        #expect(picture["width"] as? Int == 80)
        #expect(streams.contains { $0["codec"] as? String == "opus" })

        let poster = folder.appendingPathComponent("poster.jpg").path
        let frame = try await cli.run(["convert", CLI.sample("clip.mp4").path, poster, "--at", "1", "--width", "80"])
        #expect(frame.status == 0, "stderr: \(frame.stderr)")
        let check = try await cli.run(["validate", poster, "--expect", "image", "--width", "80", "--height", "60"])
        #expect(check.status == 0, "stderr: \(check.stderr)")

        let bad = try await cli.run(["convert", CLI.sample("clip.mp4").path, folder.appendingPathComponent("x.gif").path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--format: 'gif' is not a format MediaJobs writes"))
    }
}
