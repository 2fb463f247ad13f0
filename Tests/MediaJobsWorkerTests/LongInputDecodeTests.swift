import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// `submit` checks a long recording by its headers only and answers at once; the worker decodes it in full before
/// any provider is sent it.
@Suite("a long input is checked by its headers at submit and decoded in full by the worker before anything is paid")
struct LongInputDecodeTests {
    /// A WAV file of `speech.wav`'s samples said `times` times over (the header rewritten for the longer data).
    static func longWAV(times: Int, to output: URL) throws {
        let sample = try Data(contentsOf: repository.appendingPathComponent("Samples/speech.wav"))
        func u32(_ at: Int) -> Int { sample[at..<(at + 4)].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } }
        func le32(_ value: Int) -> Data { Data((0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) }) }
        // Chunks after "RIFF....WAVE": keep "fmt ", repeat "data".
        var offset = 12
        var format = Data()
        var samples = Data()
        while offset + 8 <= sample.count {
            let id = String(decoding: sample[offset..<(offset + 4)], as: UTF8.self)
            let size = u32(offset + 4)
            let body = sample[(offset + 8)..<min(sample.count, offset + 8 + size)]
            if id == "fmt " { format = Data(sample[offset..<(offset + 8 + size)]) }
            if id == "data" { samples = Data(body) }
            offset += 8 + size + (size & 1)
        }
        var data = Data()
        for _ in 0..<times { data.append(samples) }
        var file = Data("RIFF".utf8) + le32(4 + format.count + 8 + data.count) + Data("WAVE".utf8) + format
        file += Data("data".utf8) + le32(data.count) + data
        try file.write(to: output)
    }

    @Test("a 70-second MP3 cut mid-file is accepted at submit by its headers, and failed by the worker as bad input before any request")
    func brokenTailFailsBeforeAnyRequest() async throws {
        try await withSimulator { simulator, home in
            let wav = home.root.appendingPathComponent("long.wav")
            try Self.longWAV(times: 10, to: wav)
            let mp3 = home.root.appendingPathComponent("meeting.mp3")
            try await MediaEngine.shared.transcodeAudio(wav, to: mp3, options: AudioOutputOptions(format: .mp3))
            let whole = try await MediaEngine.shared.probe(mp3)
            let declared = try #require(whole.durationSeconds)
            #expect(declared > Submitter.fullDecodeAtSubmitSeconds, "\(declared) s")
            // Cut at 60 % of its bytes, one byte into a frame: the headers still declare the whole length.
            var bytes = try Data(contentsOf: mp3)
            bytes = bytes.prefix(bytes.count * 6 / 10 + 1)
            try bytes.write(to: mp3)

            var spec = RemoteCase.first("openai", .transcribe).spec()
            spec.input.audio = mp3.path
            let submitted = try await home.submitter.submit(spec).job
            #expect(submitted.state == .queued)
            let input = try #require(try await home.store.artifacts(submitted.id).first { $0.role == .input })
            #expect(input.checks.contains { $0.name == "duration" && $0.detail.contains("decoded in full by the worker") },
                    "\(input.checks.map(\.detail))")
            #expect(!input.checks.contains { $0.name == "decode" })

            let job = try await home.runUntilFinal(submitted.id)
            #expect(job.state == .failed)
            #expect(job.error?.code == "input.invalid")
            let message = job.error?.description ?? ""
            #expect(message.contains("input.audio") && message.contains("meeting.mp3") && message.contains("not usable media"),
                    "\(message)")
            #expect(job.attempts == 1, "bad input is not retried")
            #expect(simulator.requests(.openai, path: "/audio/transcriptions").isEmpty)
            #expect(try await home.store.costs(submitted.id).isEmpty)
        }
    }

    @Test("a whole 70-second recording is decoded once by the worker, noted, and transcribed")
    func wholeLongInputIsDecodedOnce() async throws {
        try await withSimulator { simulator, home in
            let wav = home.root.appendingPathComponent("long.wav")
            try Self.longWAV(times: 10, to: wav)
            let mp3 = home.root.appendingPathComponent("meeting.mp3")
            try await MediaEngine.shared.transcodeAudio(wav, to: mp3, options: AudioOutputOptions(format: .mp3, bitrateKbps: 32))
            var spec = RemoteCase.first("openai", .transcribe).spec()
            spec.input.audio = mp3.path
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let notes = try await home.store.events(id, after: nil).map(\.detail)
                .filter { $0.hasPrefix("input.audio decoded in full") }
            #expect(notes.count == 1, "\(notes)")
            #expect(notes.first?.contains(", 0 decode error(s)") == true, "\(notes)")
            #expect(simulator.requests(.openai, path: "/audio/transcriptions").count == 1)
        }
    }
}
