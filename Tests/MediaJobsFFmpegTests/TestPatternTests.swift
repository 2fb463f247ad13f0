import Foundation
import MediaJobsCore
import Testing

@testable import MediaJobsFFmpeg

@Suite("test patterns rendered in process")
struct TestPatternTests {
    let engine = Fixtures.engine

    @Test("an mp4 test pattern has H.264 video and AAC audio of the size, rate and length asked for")
    func mp4Pattern() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("pattern.mp4")
        let pattern = TestPattern(width: 320, height: 180, frameRate: 24, durationSeconds: 2, text: "Hello, world: 'quoted' %{pts}")
        let info = try await engine.renderTestPattern(pattern, to: output)
        let video = try #require(info.videoStreams.first)
        let audio = try #require(info.audioStreams.first)
        #expect(info.container == VideoFormat.mp4.containerName)
        #expect(video.codec == "h264")
        #expect((video.width, video.height) == (320, 180))
        #expect(abs((video.frameRate ?? 0) - 24) < 0.01)
        #expect(audio.codec == "aac")
        #expect(audio.sampleRate == 48000)
        #expect(audio.channels == 2)

        let report = try await engine.validate(output, expecting: MediaExpectation(kind: .video))
        #expect(abs(report.durationSeconds - 2) < 0.1)
        #expect(report.decodeErrors == 0)
    }

    @Test("a webm test pattern has VP9 video and Opus audio")
    func webmPattern() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("pattern.webm")
        let pattern = TestPattern(width: 256, height: 144, frameRate: 15, durationSeconds: 1.5, audioChannels: 1)
        let info = try await engine.renderTestPattern(pattern, to: output, options: VideoOutputOptions(format: .webm))
        let video = try #require(info.videoStreams.first)
        let audio = try #require(info.audioStreams.first)
        #expect(info.container == VideoFormat.webm.containerName)
        #expect(video.codec == "vp9")
        #expect((video.width, video.height) == (256, 144))
        #expect(audio.codec == "opus")
        #expect(audio.channels == 1)
        let report = try await engine.validate(output, expecting: MediaExpectation(kind: .video))
        #expect(abs(report.durationSeconds - 1.5) < 0.1)
    }

    @Test("a silent test pattern has no audio stream")
    func silentPattern() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("silent.mp4")
        let info = try await engine.renderTestPattern(
            TestPattern(width: 64, height: 64, frameRate: 10, durationSeconds: 1, sound: .none), to: output)
        #expect(info.audioStreams.isEmpty)
        #expect(info.videoStreams.count == 1)
    }

    @Test("a test image is written as png, jpeg and webp of the size asked for", arguments: ImageFormat.allCases)
    func image(_ format: ImageFormat) async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("pattern.\(format.fileExtension)")
        let info = try await engine.renderTestImage(
            TestPattern(width: 200, height: 100, text: "MediaJobs"), to: output, options: ImageOutputOptions(format: format))
        let picture = try #require(info.streams.first)
        #expect(picture.codec == format.codecName)
        #expect((picture.width, picture.height) == (200, 100))
        let report = try await engine.validate(output, expecting: MediaExpectation(kind: .image))
        #expect(report.decodedFrames == 1)
    }

    @Test("an odd size is refused naming pattern.size")
    func oddSize() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("odd.mp4")
        let error = await mediaError { try await engine.renderTestPattern(TestPattern(width: 321, height: 240), to: output) }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains("pattern.size") == true)
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
