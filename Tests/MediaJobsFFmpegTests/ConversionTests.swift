import Foundation
import MediaJobsCore
import Synchronization
import Testing

@testable import MediaJobsFFmpeg

/// Video, image and poster conversions, the copy and remux fast paths, loudness, and cancellation;
/// every output is probed for what was asked.
@Suite("video and image conversion")
struct ConversionTests {
    let engine = Fixtures.engine

    /// A 3 s 320x240 25 fps test pattern with a stereo tone, made once per test.
    func pattern(_ folder: URL, format: VideoFormat = .mp4) async throws -> URL {
        let file = folder.appendingPathComponent("source.\(format.fileExtension)")
        try await engine.renderTestPattern(
            TestPattern(width: 320, height: 240, frameRate: 25, durationSeconds: 3, text: "source"), to: file,
            options: VideoOutputOptions(format: format))
        return file
    }

    static let videoTargets: [VideoOutputOptions] = [
        VideoOutputOptions(format: .mp4, height: 120, frameRate: 15, quality: 28, audioBitrateKbps: 96, audioSampleRate: 44100, audioChannels: 1),
        VideoOutputOptions(format: .webm, height: 180, frameRate: 10, quality: 40, audioBitrateKbps: 64, audioSampleRate: 48000, audioChannels: 2),
    ]

    @Test("a video transcodes with the codec, container, height (aspect kept), frame rate, sample rate, channels and audio bitrate asked for",
          arguments: videoTargets)
    func video(_ options: VideoOutputOptions) async throws {
        let folder = try Fixtures.temporaryFolder()
        let source = try await pattern(folder)
        let output = folder.appendingPathComponent("out.\(options.format.fileExtension)")
        let action = try await engine.convertVideo(source, to: output, options: options)
        #expect(action == .transcoded)

        let report = try await engine.validate(
            output,
            expecting: MediaExpectation(
                kind: .video, durationSeconds: 3, height: options.height, frameRate: options.frameRate, audioTrack: true,
                format: options.format.rawValue))
        let info = report.info
        let video = try #require(info.videoStreams.first)
        let audio = try #require(info.audioStreams.first)
        #expect(info.container == options.format.containerName)
        #expect(video.codec == options.format.videoCodecName)
        #expect(video.height == options.height)
        #expect(video.width == options.height! * 4 / 3)
        #expect(abs((video.frameRate ?? 0) - options.frameRate!) < 0.01)
        #expect(audio.codec == options.format.audioCodecName)
        #expect(audio.sampleRate == options.audioSampleRate)
        #expect(audio.channels == options.audioChannels)
        if let measured = audio.bitRate {
            let wanted = options.audioBitrateKbps! * 1000
            #expect(abs(Double(measured - wanted)) <= 0.1 * Double(wanted), "audio bitrate \(measured) for \(wanted)")
        }
    }

    @Test("an mp4 that already fits is copied, and H.264 + AAC in Matroska is remuxed to mp4, not re-encoded")
    func fastPaths() async throws {
        let folder = try Fixtures.temporaryFolder()
        let source = try await pattern(folder)
        let copy = folder.appendingPathComponent("copy.mp4")
        #expect(try await engine.convertVideo(source, to: copy, options: VideoOutputOptions(format: .mp4)) == .copied)
        #expect(FileManager.default.contentsEqual(atPath: source.path, andPath: copy.path))

        // Same codecs in another container (Matroska): remuxed, packets unchanged.
        let mkv = folder.appendingPathComponent("source.mkv")
        _ = try await engine.run { cancel in
            try Remuxer(input: source, output: mkv, muxer: "matroska", muxerOptions: [], cancel: cancel).run()
        }
        let back = folder.appendingPathComponent("back.mp4")
        #expect(try await engine.convertVideo(mkv, to: back, options: VideoOutputOptions(format: .mp4)) == .remuxed)
        let before = try await engine.validate(source)
        let after = try await engine.validate(back, expecting: MediaExpectation(kind: .video, durationSeconds: 3, format: "mp4"))
        #expect(after.info.videoStreams.first?.codec == "h264")
        #expect(after.videoFrames == before.videoFrames)
        #expect(abs(after.durationSeconds - before.durationSeconds) < 0.05)
    }

    static let imageTargets: [ImageOutputOptions] = [
        ImageOutputOptions(format: .png, width: 100),
        ImageOutputOptions(format: .jpeg, height: 60, quality: 70),
        ImageOutputOptions(format: .webp, width: 90, height: 50, quality: 60),
    ]

    @Test("an image converts to png, jpeg and webp at the size asked for (one side keeps the aspect)", arguments: imageTargets)
    func image(_ options: ImageOutputOptions) async throws {
        let folder = try Fixtures.temporaryFolder()
        let source = folder.appendingPathComponent("source.png")
        try await engine.renderTestImage(TestPattern(width: 200, height: 120, text: "image"), to: source, options: ImageOutputOptions(format: .png))
        let output = folder.appendingPathComponent("out.\(options.format.fileExtension)")
        #expect(try await engine.convertImage(source, to: output, options: options) == .transcoded)
        let report = try await engine.validate(output, expecting: MediaExpectation(kind: .image, format: options.format.rawValue))
        let picture = try #require(report.info.streams.first)
        #expect(picture.codec == options.format.codecName)
        let expected: (Int, Int) = switch (options.width, options.height) {
        case let (w?, h?): (w, h)
        case let (w?, nil): (w, w * 120 / 200)
        case let (nil, h?): (h * 200 / 120, h)
        case (nil, nil): (200, 120)
        }
        #expect((picture.width, picture.height) == (expected.0, expected.1))
    }

    @Test("a lower jpeg quality gives a smaller file")
    func jpegQuality() async throws {
        let folder = try Fixtures.temporaryFolder()
        let source = folder.appendingPathComponent("source.png")
        try await engine.renderTestImage(TestPattern(width: 320, height: 240), to: source, options: ImageOutputOptions(format: .png))
        let high = folder.appendingPathComponent("high.jpg")
        let low = folder.appendingPathComponent("low.jpg")
        try await engine.convertImage(source, to: high, options: ImageOutputOptions(format: .jpeg, quality: 95))
        try await engine.convertImage(source, to: low, options: ImageOutputOptions(format: .jpeg, quality: 10))
        let highSize = try FileManager.default.attributesOfItem(atPath: high.path)[.size] as? Int ?? 0
        let lowSize = try FileManager.default.attributesOfItem(atPath: low.path)[.size] as? Int ?? 0
        #expect(lowSize < highSize / 2)
    }

    @Test("a png that already matches is copied")
    func imageCopy() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("image.png")
        let action = try await engine.convertImage(Fixtures.sample("image.png"), to: output, options: ImageOutputOptions(format: .png))
        #expect(action == .copied)
    }

    @Test("a poster frame is taken from the video at the time asked for")
    func poster() async throws {
        let folder = try Fixtures.temporaryFolder()
        let source = try await pattern(folder)
        let early = folder.appendingPathComponent("early.png")
        let late = folder.appendingPathComponent("late.png")
        try await engine.posterFrame(source, to: early, options: ImageOutputOptions(format: .png), atSeconds: 0)
        try await engine.posterFrame(source, to: late, options: ImageOutputOptions(format: .png, height: 120), atSeconds: 2)
        let earlyInfo = try await engine.probe(early)
        let lateInfo = try await engine.probe(late)
        #expect((earlyInfo.streams.first?.width, earlyInfo.streams.first?.height) == (320, 240))
        #expect((lateInfo.streams.first?.width, lateInfo.streams.first?.height) == (160, 120))
        // testsrc2 moves: the frames at 0 s and 2 s differ.
        let scaledEarly = folder.appendingPathComponent("early-small.png")
        try await engine.convertImage(early, to: scaledEarly, options: ImageOutputOptions(format: .png, height: 120))
        #expect(!FileManager.default.contentsEqual(atPath: scaledEarly.path, andPath: late.path))
    }

    @Test("loudness normalisation brings quiet speech up towards the target")
    func loudness() async throws {
        let folder = try Fixtures.temporaryFolder()
        let plain = folder.appendingPathComponent("plain.wav")
        let loud = folder.appendingPathComponent("loud.wav")
        try await engine.transcodeAudio(Fixtures.sample("speech.wav"), to: plain, options: AudioOutputOptions(format: .wav))
        try await engine.transcodeAudio(
            Fixtures.sample("speech.wav"), to: loud, options: AudioOutputOptions(format: .wav, sampleRate: 16000, loudnessLUFS: -10))
        let plainReport = try await engine.validate(plain, expecting: MediaExpectation(kind: .audio))
        let loudReport = try await engine.validate(loud, expecting: MediaExpectation(kind: .audio))
        #expect(loudReport.info.audioStreams.first?.sampleRate == 16000)
        #expect(abs(loudReport.durationSeconds - plainReport.durationSeconds) < 0.1)
        #expect((loudReport.audioPeakDB ?? -200) != (plainReport.audioPeakDB ?? -200))
    }

    @Test("an audio file that already matches is copied, not transcoded")
    func audioCopy() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("speech.wav")
        let action = try await engine.convertAudio(Fixtures.sample("speech.wav"), to: output, options: AudioOutputOptions(format: .wav))
        #expect(action == .copied)
        #expect(FileManager.default.contentsEqual(atPath: Fixtures.sample("speech.wav").path, andPath: output.path))
    }

    @Test("cancelling a long render stops it early, throws media.canceled and leaves no file")
    func cancelRender() async throws {
        let folder = try Fixtures.temporaryFolder()
        let output = folder.appendingPathComponent("long.mp4")
        let reached = Atomic<Int>(0)
        // An hour of 720p would take far longer than any test run: finishing means it stopped.
        let task = Task {
            try await engine.renderTestPattern(
                TestPattern(width: 1280, height: 720, frameRate: 30, durationSeconds: 3600), to: output,
                progress: { fraction in reached.store(Int(fraction * 1_000_000), ordering: .relaxed) })
        }
        while reached.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        task.cancel()
        let error = await mediaError { _ = try await task.value }
        #expect(error?.code == .mediaCanceled)
        #expect(reached.load(ordering: .relaxed) < 100_000, "stopped before 10 % of the hour")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("cancelling a long transcode throws media.canceled and leaves no partial output")
    func cancelTranscode() async throws {
        let folder = try Fixtures.temporaryFolder()
        let source = folder.appendingPathComponent("source.mp4")
        try await engine.renderTestPattern(
            TestPattern(width: 160, height: 120, frameRate: 10, durationSeconds: 120, sound: .tone), to: source)
        let outputs = folder.appendingPathComponent("outputs")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        let output = outputs.appendingPathComponent("big.webm")
        let reached = Atomic<Int>(0)
        let task = Task {
            try await engine.convertVideo(
                source, to: output, options: VideoOutputOptions(format: .webm, height: 720, quality: 10, fast: false),
                progress: { fraction in reached.store(Int(fraction * 1_000_000), ordering: .relaxed) })
        }
        while reached.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        task.cancel()
        let error = await mediaError { _ = try await task.value }
        #expect(error?.code == .mediaCanceled)
        #expect(reached.load(ordering: .relaxed) < 500_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: outputs.path).isEmpty)
    }
}
