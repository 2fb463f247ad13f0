import Foundation
import MediaJobsCore
import Testing

@testable import MediaJobsFFmpeg

@Suite("local speech")
struct SpeechTests {
    let engine = Fixtures.engine

    static func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && $0 != "'" }.map(String.init)
    }

    @Test("flite's pangram, recognized again by pocketsphinx, comes back with at least 6 of its 9 words")
    func roundTrip() async throws {
        let sentence = "The quick brown fox jumps over the lazy dog"
        let speech = try Fixtures.temporaryFolder().appendingPathComponent("fox.wav")
        try await engine.synthesizeSpeech(text: sentence, voice: "kal16", to: speech)

        let info = try await engine.probe(speech)
        #expect(info.container == "wav")
        #expect(info.audioStreams.first?.codec == "pcm_s16le")
        #expect(info.audioStreams.first?.sampleRate == 16000)

        let transcript = try await engine.recognizeSpeech(in: speech)
        let heard = Self.words(transcript.text)
        var remaining = Self.words(sentence)
        var matched = 0
        for word in heard {
            if let index = remaining.firstIndex(of: word) {
                remaining.remove(at: index)
                matched += 1
            }
        }
        #expect(matched >= 6, "heard \"\(transcript.text)\"")
        let segment = try #require(transcript.segments.first)
        #expect(segment.start >= 0 && segment.end > segment.start)
        #expect(segment.end <= (info.durationSeconds ?? 0) + 0.01)
    }

    @Test("text with quotes, colons, commas, semicolons and backslashes is spoken, not parsed as a filtergraph")
    func awkwardText() async throws {
        let text = #"He said: "don't stop", then 'go'; a\b, c=d [x] \n 100% done."#
        let folder = try Fixtures.temporaryFolder()
        for voice in MediaEngine.fliteVoices {
            let speech = folder.appendingPathComponent("awkward-\(voice).wav")
            try await engine.synthesizeSpeech(text: text, voice: voice, to: speech)
            let report = try await engine.validate(speech, expecting: MediaExpectation(kind: .audio, minDurationSeconds: 2))
            #expect(report.info.audioStreams.first?.codec == "pcm_s16le")
        }
    }

    @Test("speech can be written straight to opus")
    func synthesizeToOpus() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("hello.opus")
        try await engine.synthesizeSpeech(
            text: "Hello from MediaJobs.", voice: "slt", to: output,
            options: AudioOutputOptions(format: .opus, bitrateKbps: 32, sampleRate: 48000, channels: 1))
        let info = try await engine.probe(output)
        #expect(info.audioStreams.first?.codec == "opus")
        #expect(info.audioStreams.first?.sampleRate == 48000)
    }

    @Test("an unknown voice or empty text is refused with input.invalid before FFmpeg runs")
    func badInput() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("x.wav")
        let voice = await mediaError { try await engine.synthesizeSpeech(text: "hi", voice: "alloy", to: output) }
        #expect(voice?.code == .invalidInput)
        #expect(voice?.message.contains("input.voice") == true)
        let empty = await mediaError { try await engine.synthesizeSpeech(text: "  \n", voice: "kal", to: output) }
        #expect(empty?.code == .invalidInput)
    }

    static let report = [
        "Welcome to the weekly report from the media team.",
        "We processed more than four thousand files this week without a single failure.",
        "The new queue keeps every job in a small database on the local disk.",
        "Workers claim jobs with a lease and give them back when they stop.",
        "Speech is made on this machine with a voice that needs no network.",
        "Transcripts are made with a recognizer that also runs on this machine.",
        "Costs are recorded for every attempt so that budgets can be enforced.",
        "Thank you for listening and see you next week.",
    ]

    @Test("a 40-second recording of several sentences is cut at pauses into pieces and recognized in order")
    func longRecording() async throws {
        let sentences = Self.report
        let text = sentences.joined(separator: " ")
        let speech = try Fixtures.temporaryFolder().appendingPathComponent("report.wav")
        try await engine.synthesizeSpeech(sentences: sentences, voice: "kal16", pauseSeconds: 0.8, to: speech)
        let duration = try #require(try await engine.probe(speech).durationSeconds)
        #expect(duration > 30)

        let samples = try await engine.run { cancel in try SpeechRecognizer.decodeSpeech(speech, cancel: cancel) }
        let segmenter = SpeechSegmenter()
        let pieces = segmenter.pieces(voiced: segmenter.voicedWindows(samples), sampleCount: samples.count)
        #expect(pieces.count >= 3)
        #expect(pieces.allSatisfy { $0.count <= 15 * 16000 })

        let transcript = try await engine.recognizeSpeech(in: speech)
        #expect(transcript.segments.count >= 3)
        #expect(zip(transcript.segments, transcript.segments.dropFirst()).allSatisfy { $0.start <= $1.start })
        #expect((transcript.segments.last?.end ?? 0) > duration * 0.6)
        let heard = Set(Self.words(transcript.text))
        let spoken = Set(Self.words(text))
        #expect(Double(heard.intersection(spoken).count) >= Double(spoken.count) * 0.5, "heard \"\(transcript.text)\"")
    }

    @Test("a recording of silence gives an empty transcript")
    func silence() async throws {
        let output = try Fixtures.temporaryFolder().appendingPathComponent("silence.wav")
        // Half a second of speech-free audio: the wav header of speech.wav with its samples zeroed.
        var wav = try Data(contentsOf: Fixtures.sample("speech.wav"))
        wav.replaceSubrange(44..<wav.count, with: Data(count: wav.count - 44))
        try wav.write(to: output)
        let transcript = try await engine.recognizeSpeech(in: output)
        #expect(transcript.segments.isEmpty)
    }

    @Test("the segmenter cuts a long pause-free stretch hard at 15 s and keeps voiced pieces only")
    func segmenterHardCut() {
        let segmenter = SpeechSegmenter()
        var samples = [Int16](repeating: 0, count: 16000 * 2)
        samples += (0..<(16000 * 40)).map { Int16(truncatingIfNeeded: ($0 % 40) * 800 - 16000) }
        samples += [Int16](repeating: 0, count: 16000 * 2)
        let pieces = segmenter.pieces(voiced: segmenter.voicedWindows(samples), sampleCount: samples.count)
        #expect(pieces.count == 3)
        #expect(pieces.allSatisfy { $0.count <= 15 * 16000 })
        #expect(pieces.first?.lowerBound == 0)
        // The last piece ends in the trailing silence (cut there, the silent rest is dropped) or at the end.
        #expect((pieces.last?.upperBound ?? 0) >= 16000 * 42 && (pieces.last?.upperBound ?? 0) <= samples.count)
    }

    @Test("continuous speech (one flite stream, only short sentence pauses) is cut at those pauses and recognized")
    func continuousRecording() async throws {
        let text = Self.report.joined(separator: " ")
        let speech = try Fixtures.temporaryFolder().appendingPathComponent("continuous.wav")
        try await engine.synthesizeSpeech(text: text, voice: "kal16", to: speech)
        let duration = try #require(try await engine.probe(speech).durationSeconds)
        #expect(duration > 25)

        let samples = try await engine.run { cancel in try SpeechRecognizer.decodeSpeech(speech, cancel: cancel) }
        let segmenter = SpeechSegmenter()
        let pieces = segmenter.pieces(voiced: segmenter.voicedWindows(samples), sampleCount: samples.count)
        #expect(pieces.count >= 4, "pieces of \(pieces.map { Double($0.count) / 16000 }) s")
        #expect(pieces.allSatisfy { $0.count <= 10 * 16000 }, "pieces of \(pieces.map { Double($0.count) / 16000 }) s")

        let transcript = try await engine.recognizeSpeech(in: speech)
        #expect(transcript.segments.count >= 4)
        #expect(zip(transcript.segments, transcript.segments.dropFirst()).allSatisfy { $0.start <= $1.start })
        let heard = Set(Self.words(transcript.text))
        let spoken = Set(Self.words(text))
        #expect(Double(heard.intersection(spoken).count) >= Double(spoken.count) * 0.5, "heard \"\(transcript.text)\"")
    }

    @Test("capabilities report flite, asr, the encoders and the model as present, with library versions")
    func capabilities() {
        let capabilities = MediaEngine.capabilities()
        #expect(capabilities.missing.isEmpty, "missing \(capabilities.missing)")
        #expect(capabilities.checks["filter.asr"] == true)
        #expect(capabilities.versions["libavformat"]?.hasPrefix("59.") == true)
    }
}
