import Foundation
import MediaJobsCore
import Testing

@testable import MediaJobsFFmpeg

@Suite("audio transcoding")
struct TranscodeTests {
    let engine = Fixtures.engine

    /// Each target with the options it is asked for.
    static let targets: [AudioOutputOptions] = [
        AudioOutputOptions(format: .wav, sampleRate: 22050, channels: 2),
        AudioOutputOptions(format: .mp3, bitrateKbps: 64, sampleRate: 44100, channels: 1),
        AudioOutputOptions(format: .opus, bitrateKbps: 48, sampleRate: 48000, channels: 1),
        AudioOutputOptions(format: .flac, sampleRate: 16000, channels: 1),
        AudioOutputOptions(format: .aac, bitrateKbps: 64, sampleRate: 24000, channels: 1),
        AudioOutputOptions(format: .m4a, bitrateKbps: 96, sampleRate: 44100, channels: 2),
    ]

    @Test("speech.wav transcodes to each format with the codec, container, rate, channels and bitrate asked for",
          arguments: targets)
    func transcode(_ options: AudioOutputOptions) async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("speech.\(options.format.fileExtension)")
        try await engine.transcodeAudio(Fixtures.sample("speech.wav"), to: output, options: options)

        let report = try await engine.validate(output, expecting: MediaExpectation(kind: .audio))
        let info = report.info
        let audio = try #require(info.audioStreams.first)
        #expect(info.container == options.format.containerName)
        #expect(audio.codec == options.format.codecName)
        #expect(audio.sampleRate == options.sampleRate)
        #expect(audio.channels == options.channels)
        #expect(abs(report.durationSeconds - 7.0) < 0.2)
        if let kbps = options.bitrateKbps {
            // Audio bits over audio time: the stream's own figure, or the file's size without container overhead.
            let size = try #require(try FileManager.default.attributesOfItem(atPath: output.path)[.size] as? NSNumber)
            let measured = audio.bitRate ?? Int(Double(size.intValue * 8) / report.durationSeconds)
            let wanted = kbps * 1000
            #expect(abs(Double(measured - wanted)) <= 0.1 * Double(wanted), "bitrate \(measured) for \(wanted)")
        }
    }

    @Test("the mp3 sample transcodes to opus at a rate opus lacks, which becomes the nearest it has")
    func nearestRate() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("speech.opus")
        try await engine.transcodeAudio(
            Fixtures.sample("speech.mp3"), to: output, options: AudioOutputOptions(format: .opus, sampleRate: 44100))
        let info = try await engine.probe(output)
        #expect(info.audioStreams.first?.sampleRate == 48000)
    }

    @Test("the video sample's sound track transcodes to mp3")
    func fromVideo() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("clip.mp3")
        try await engine.transcodeAudio(Fixtures.sample("clip.mp4"), to: output, options: AudioOutputOptions(format: .mp3))
        let report = try await engine.validate(output, expecting: MediaExpectation(kind: .audio, minDurationSeconds: 1.8))
        #expect(report.info.audioStreams.first?.codec == "mp3")
    }

    @Test("transcoding a still image fails with media.no_streams and leaves no output")
    func noAudio() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("image.mp3")
        let error = await mediaError {
            try await engine.transcodeAudio(Fixtures.sample("image.png"), to: output, options: AudioOutputOptions(format: .mp3))
        }
        #expect(error?.code == .mediaNoStreams)
        #expect(error?.message.contains("image.png") == true)
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    @Test("transcoding into a folder that does not exist fails with media.transcode_failed naming the output")
    func unwritableOutput() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("missing/speech.flac")
        let error = await mediaError {
            try await engine.transcodeAudio(Fixtures.sample("speech.wav"), to: output, options: AudioOutputOptions(format: .flac))
        }
        #expect(error?.code == .mediaTranscodeFailed)
        #expect(error?.message.contains(output.path) == true)
        #expect(error?.message.contains("No such file or directory") == true)
    }
}
