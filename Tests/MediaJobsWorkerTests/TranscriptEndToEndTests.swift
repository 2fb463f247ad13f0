import Foundation
import MediaJobsCore
import MediaJobsSimulator
import MediaJobsWorker
import Testing

@Suite("transcripts through the simulator: word timings asked for, kept, and used to lay out subtitles")
struct TranscriptEndToEndTests {
    /// "00:00:01,250" → 1.25.
    static func seconds(_ stamp: String) -> Double? {
        let parts = stamp.replacingOccurrences(of: ",", with: ".").split(separator: ":").compactMap { Double($0) }
        return parts.count == 3 ? parts[0] * 3600 + parts[1] * 60 + parts[2] : nil
    }

    private func transcribe(_ provider: String, format: String) -> JobSpec {
        var spec = RemoteCase.first(provider, .transcribe).spec()
        spec.output.format = format
        return spec
    }

    @Test("OpenAI whisper-1: verbose_json with word timestamps is asked for, and json output carries the words")
    func openAIWords() async throws {
        try await withSimulator { simulator, home in
            let id = try await home.submitter.submit(transcribe("openai", format: "json")).job.id
            #expect(try await home.runUntilFinal(id).state == .succeeded)
            let request = try #require(simulator.requests(.openai, path: "/audio/transcriptions").first)
            let body = String(decoding: request.body, as: UTF8.self)
            #expect(body.contains("name=\"response_format\"\r\n\r\nverbose_json"))
            #expect(body.contains("name=\"timestamp_granularities[]\"\r\n\r\nword"))
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(try await home.outputText(id).utf8)) as? [String: Any])
            let text = try #require(object["text"] as? String)
            let words = try #require(object["words"] as? [[String: Any]])
            #expect(words.count == text.split(separator: " ").count)
            let starts = words.compactMap { $0["start"] as? Double }
            #expect(starts.count == words.count && starts == starts.sorted())
        }
    }

    @Test("OpenRouter: the multipart request asks for words and validates against the OpenAPI document")
    func openRouterWords() async throws {
        try await withSimulator { simulator, home in
            let id = try await home.submitter.submit(transcribe("openrouter", format: "json")).job.id
            #expect(try await home.runUntilFinal(id).state == .succeeded)
            let request = try #require(simulator.requests(.openrouter, path: "/audio/transcriptions").first)
            #expect(request.openRouterSchemaProblems == [])
            #expect(String(decoding: request.body, as: UTF8.self).contains("name=\"timestamp_granularities[]\"\r\n\r\nword"))
            let output = try await home.outputText(id)
            #expect(output.contains("\"words\""))
        }
    }

    @Test("srt cues respect the configured width and lines, one segment split by its words' times")
    func subtitleLayout() async throws {
        try await withSimulator(transcripts: TranscriptSettings(maxLineWidth: 16, maxLinesPerCue: 1)) { simulator, home in
            let id = try await home.submitter.submit(transcribe("openai", format: "srt")).job.id
            #expect(try await home.runUntilFinal(id).state == .succeeded)
            let srt = try await home.outputText(id)
            let cues = srt.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            // Each cue: number, timing, one line of at most 16 characters.
            for cue in cues {
                let lines = cue.split(separator: "\n")
                #expect(lines.count == 3, "\(cue)")
                #expect(lines.last.map { $0.count <= 16 || !$0.contains(" ") } == true, "\(cue)")
            }
            #expect(cues.count >= 6, "\(srt)")
            // Every cue starts when one of its words starts: the words the simulator answered this very job with (a
            // second recognition of the same audio may hear it a little differently).
            let answer = try #require(simulator.requests(.openai, path: "/audio/transcriptions").last?.answer)
            let object = try JSONSerialization.jsonObject(with: answer) as? [String: Any]
            let wordStarts = (object?["words"] as? [[String: Any]] ?? []).compactMap { $0["start"] as? Double }
            #expect(!wordStarts.isEmpty, "\(String(decoding: answer, as: UTF8.self))")
            var previous = -1.0
            for cue in cues {
                let timing = String(cue.split(separator: "\n")[1])
                let start = try #require(Self.seconds(String(timing.prefix(12))))
                #expect(wordStarts.contains { abs($0 - start) < 0.0015 }, "\(timing) is not a word's start")
                #expect(start >= previous)
                previous = start
            }
        }
    }
}
