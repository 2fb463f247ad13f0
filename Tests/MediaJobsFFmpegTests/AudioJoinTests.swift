import Foundation
import MediaJobsCore
import Testing

@testable import MediaJobsFFmpeg

@Suite("joining speech pieces")
struct AudioJoinTests {
    let engine = Fixtures.engine

    /// Three flite pieces in three shapes: a sentence as 16 kHz mono wav; the same sentence 12 dB quieter as 22.05 kHz
    /// stereo mp3 (so its right gain is known: sentences differ by a few dB); another sentence as 48 kHz opus.
    func pieces(in folder: URL) async throws -> [URL] {
        let first = folder.appendingPathComponent("first.wav")
        try await engine.synthesizeSpeech(text: ChunkingFixtures.sentences[0], voice: "kal16", to: first)
        let quiet = folder.appendingPathComponent("quiet.mp3")
        try ChunkingFixtures.ffmpeg(
            ["-i", first.path, "-af", "volume=-12dB", "-ar", "22050", "-ac", "2", "-b:a", "96k", quiet.path])
        let third = folder.appendingPathComponent("third.opus")
        try await engine.synthesizeSpeech(
            text: ChunkingFixtures.sentences[2], voice: "kal16", to: third,
            options: AudioOutputOptions(format: .opus, sampleRate: 48000))
        return [first, quiet, third]
    }

    @Test("three pieces, one 12 dB quieter, join with pauses at even loudness and the summed length",
          arguments: [AudioOutputOptions(format: .mp3, bitrateKbps: 64), AudioOutputOptions(format: .wav)])
    func join(_ options: AudioOutputOptions) async throws {
        let folder = try Fixtures.temporaryFolder()
        let inputs = try await pieces(in: folder)
        let output = folder.appendingPathComponent("joined.\(options.format.fileExtension)")
        let report = try await engine.joinAudio(inputs, pauseSeconds: 0.7, to: output, options: options)

        #expect(report.inputSeconds.count == 3 && report.gainsDB.count == 3)
        #expect(report.pauseSeconds == 0.7)
        let expected = report.inputSeconds.reduce(0, +) + 2 * 0.7
        #expect(abs(report.durationSeconds - expected) <= 0.01 * expected, "\(report.durationSeconds) s for \(expected) s")
        #expect(abs(report.gainsDB[1] - 12) <= 2, "gains \(report.gainsDB)")
        #expect(abs(report.gainsDB[1] - report.gainsDB[0] - 12) <= 0.5, "gains \(report.gainsDB)")
        #expect(abs(report.gainsDB[0]) <= 2 && abs(report.gainsDB[2]) <= 2, "gains \(report.gainsDB)")

        let validated = try await engine.validate(output, expecting: MediaExpectation(kind: .audio))
        #expect(validated.info.audioStreams.count == 1)
        #expect(validated.info.audioStreams.first?.codec == options.format.codecName)
        #expect(validated.info.audioStreams.first?.sampleRate == 16000)
        #expect(validated.info.audioStreams.first?.channels == 1)
        #expect(abs(validated.durationSeconds - report.durationSeconds) < 0.001)

        var spans: [Range<Double>] = []
        var start = 0.0
        for seconds in report.inputSeconds {
            spans.append(start..<(start + seconds))
            start += seconds + report.pauseSeconds
        }
        let levels = try await ChunkingFixtures.loudness(of: output, spans: spans).map { try #require($0) }
        let spread = (levels.max() ?? 0) - (levels.min() ?? 0)
        #expect(spread <= 1.5, "loudness per piece \(levels)")
    }

    @Test("a silent input gets no gain, and its length and the pauses still count")
    func silentInput() async throws {
        let folder = try Fixtures.temporaryFolder()
        let silence = folder.appendingPathComponent("silence.wav")
        try ChunkingFixtures.ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "1.5", silence.path])
        let speech = Fixtures.sample("speech.wav")
        let output = folder.appendingPathComponent("joined.opus")
        let report = try await engine.joinAudio(
            [speech, silence, speech], pauseSeconds: 0.25, to: output,
            options: AudioOutputOptions(format: .opus, bitrateKbps: 24, sampleRate: 16000, channels: 1))
        #expect(report.gainsDB == [0, 0, 0])
        #expect(abs(report.inputSeconds[1] - 1.5) < 0.001)
        let expected = report.inputSeconds.reduce(0, +) + 0.5
        #expect(abs(report.durationSeconds - expected) <= 0.01 * expected)
        #expect(try await engine.probe(output).audioStreams.first?.codec == "opus")
    }

    @Test("no inputs, a negative pause, a missing input or a non-media input is refused, leaving no output")
    func badInputs() async throws {
        let folder = try Fixtures.temporaryFolder()
        let output = folder.appendingPathComponent("joined.wav")
        let wav = AudioOutputOptions(format: .wav)
        let none = await mediaError { _ = try await engine.joinAudio([], pauseSeconds: 0.5, to: output, options: wav) }
        #expect(none?.code == .invalidInput)
        let speech = Fixtures.sample("speech.wav")
        let negative = await mediaError {
            _ = try await engine.joinAudio([speech], pauseSeconds: -1, to: output, options: wav)
        }
        #expect(negative?.message.hasPrefix("pauseSeconds:") == true)
        for bad in [folder.appendingPathComponent("missing.mp3"), Fixtures.sample("notes.txt")] {
            let error = await mediaError {
                _ = try await engine.joinAudio([speech, bad], pauseSeconds: 0.5, to: output, options: wav)
            }
            #expect(error?.message.contains(bad.path) == true, "\(String(describing: error))")
        }
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
