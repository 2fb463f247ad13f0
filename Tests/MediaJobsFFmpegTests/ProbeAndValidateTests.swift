import Foundation
import MediaJobsCore
import Synchronization
import Testing

@testable import MediaJobsFFmpeg

@Suite("probe and validate")
struct ProbeAndValidateTests {
    let engine = Fixtures.engine

    @Test("probing speech.wav finds one 16 kHz mono pcm_s16le stream in a wav container")
    func probeSpeech() async throws {
        let info = try await engine.probe(Fixtures.sample("speech.wav"))
        #expect(info.container == "wav")
        #expect(info.streams.count == 1)
        let audio = try #require(info.audioStreams.first)
        #expect(audio.codec == "pcm_s16le")
        #expect(audio.sampleRate == 16000)
        #expect(audio.channels == 1)
        #expect(audio.channelLayout == "mono")
        #expect((info.durationSeconds ?? 0) > 3)
        #expect(audio.bitRate == 256_000)
    }

    @Test("speech.wav validates as audio, with its duration measured from decoded frames")
    func validateSpeech() async throws {
        let report = try await engine.validate(Fixtures.sample("speech.wav"), expecting: MediaExpectation(kind: .audio))
        let declared = try #require(report.info.durationSeconds)
        #expect(report.decodedFrames > 0)
        #expect(report.decodeErrors == 0)
        #expect(abs(report.durationSeconds - declared) < 0.05)
        #expect(report.checks.contains { $0.hasPrefix("decoded") && $0.contains("audio frames") })
        #expect(report.checks.contains { $0.hasPrefix("duration") })
    }

    @Test("a valid mp3, an mp4 with video and sound, and a png validate")
    func validateOtherSamples() async throws {
        let mp3 = try await engine.validate(Fixtures.sample("speech.mp3"), expecting: MediaExpectation(kind: .audio))
        #expect(mp3.info.container == "mp3")
        #expect(mp3.durationSeconds > 3)
        let clip = try await engine.validate(Fixtures.sample("clip.mp4"), expecting: MediaExpectation(kind: .video))
        #expect(clip.info.videoStreams.first?.codec == "h264")
        #expect(clip.info.videoStreams.first?.width == 160)
        #expect(clip.info.audioStreams.first?.codec == "aac")
        #expect(abs(clip.durationSeconds - 2) < 0.2)
        let image = try await engine.validate(Fixtures.sample("image.png"), expecting: MediaExpectation(kind: .image))
        #expect(image.decodedFrames == 1)
        #expect(image.info.streams.first?.width == 64)
    }

    @Test("a corrupt mp3 is refused with media.corrupt naming the file and FFmpeg's reason")
    func corruptMP3() async throws {
        let file = Fixtures.sample("corrupt.mp3")
        let error = await mediaError { _ = try await engine.validate(file) }
        #expect(error?.code == .mediaCorrupt)
        #expect(error?.message.contains(file.path) == true)
        #expect(error?.message.contains("Invalid data found when processing input") == true)
    }

    @Test("a text file is refused with media.not_media before FFmpeg opens it; probe says FFmpeg's reason")
    func textFile() async throws {
        let file = Fixtures.sample("notes.txt")
        let error = await mediaError { _ = try await engine.validate(file) }
        #expect(error?.code == .mediaNotMedia)
        #expect(error?.message.contains(file.path) == true)
        #expect(error?.message.contains("is text") == true)
        let probeError = await mediaError { _ = try await engine.probe(file) }
        #expect(probeError?.code == .mediaOpenFailed)
        #expect(probeError?.message.contains("Invalid data found when processing input") == true)
    }

    @Test("a missing file is refused with media.open_failed and FFmpeg's 'No such file or directory'")
    func missingFile() async throws {
        let file = try Fixtures.temporaryFolder().appendingPathComponent("missing.mp3")
        let error = await mediaError { _ = try await engine.validate(file) }
        #expect(error?.code == .mediaOpenFailed)
        #expect(error?.message.contains(file.path) == true)
        #expect(error?.message.contains("No such file or directory") == true)
        let probeError = await mediaError { _ = try await engine.probe(file) }
        #expect(probeError?.code == .mediaOpenFailed)
    }

    @Test("a zero-length file is refused with media.empty saying it is empty")
    func emptyFile() async throws {
        let file = try Fixtures.temporaryFolder().appendingPathComponent("empty.wav")
        try Data().write(to: file)
        let error = await mediaError { _ = try await engine.validate(file) }
        #expect(error?.code == .mediaEmpty)
        #expect(error?.message.contains(file.path) == true)
        #expect(error?.message.contains("empty") == true)
    }

    @Test("a wav header with no samples is refused with media.zero_duration or media.decode_failed")
    func headerOnly() async throws {
        let folder = try Fixtures.temporaryFolder()
        let file = folder.appendingPathComponent("header-only.wav")
        let wav = try Data(contentsOf: Fixtures.sample("speech.wav"))
        try wav.prefix(44).write(to: file)
        let error = await mediaError { _ = try await engine.validate(file) }
        #expect(error?.code == .mediaZeroDuration || error?.code == .mediaDecodeFailed || error?.code == .mediaTruncated)
        #expect(error?.message.contains(file.path) == true)
    }

    @Test("audio expected from a still image is refused with media.no_streams")
    func wrongKind() async throws {
        let file = Fixtures.sample("image.png")
        let error = await mediaError { _ = try await engine.validate(file, expecting: MediaExpectation(kind: .audio)) }
        #expect(error?.code == .mediaNoStreams)
        #expect(error?.message.contains("expected audio") == true)
    }

    @Test("a recording shorter than the expected minimum is refused with media.invalid_output")
    func tooShort() async throws {
        let error = await mediaError {
            _ = try await engine.validate(Fixtures.sample("speech.wav"), expecting: MediaExpectation(minDurationSeconds: 60))
        }
        #expect(error?.code == .mediaInvalidOutput)
    }
}

@Suite("validation of our own outputs")
struct OwnOutputTests {
    @Test("a short mp3 whose header length is only an estimate from its bitrate is not called truncated")
    func shortMP3() async throws {
        let folder = try Fixtures.temporaryFolder()
        for (number, text) in ["Read me aloud.", "Job number 7.", "Job number 123."].enumerated() {
            let file = folder.appendingPathComponent("short\(number).mp3")
            try await Fixtures.engine.synthesizeSpeech(
                text: text, voice: "kal", to: file, options: AudioOutputOptions(format: .mp3))
            let report = try await Fixtures.engine.validate(file, expecting: MediaExpectation(kind: .audio))
            #expect(report.durationSeconds > 0.5)
        }
    }
}

@Suite("validation progress")
struct ValidationProgressTests {
    @Test("validating a recording reports the fraction read, rising to the end")
    func progress() async throws {
        let seen = Mutex<[Double]>([])
        _ = try await Fixtures.engine.validate(
            Fixtures.sample("speech.wav"), expecting: MediaExpectation(kind: .audio),
            progress: { fraction in seen.withLock { $0.append(fraction) } })
        let fractions = seen.withLock { $0 }
        #expect(fractions.count > 2)
        #expect(fractions == fractions.sorted())
        #expect((fractions.last ?? 0) > 0.9)
    }
}
