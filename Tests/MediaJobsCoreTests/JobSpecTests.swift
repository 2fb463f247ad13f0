import Foundation
import Testing
@testable import MediaJobsCore

@Suite("JobSpec decoding")
struct JobSpecTests {
    private func parse(_ json: String) throws -> JobSpec {
        try JobSpec.parse(json: Data(json.utf8), source: "job.json")
    }

    private func error(_ json: String) -> MediaJobsError? {
        do {
            _ = try parse(json)
            return nil
        } catch let error as MediaJobsError {
            return error
        } catch {
            return MediaJobsError(.internalError, "unexpected \(error)")
        }
    }

    @Test("the design's example document decodes with every field")
    func designExample() throws {
        let spec = try parse("""
            {"kind": "tts", "provider": "openrouter", "model": "openai/gpt-4o-mini-tts",
             "fallbacks": [{"provider": "local", "model": "flite"}],
             "input": {"text": "Welcome to the show.", "voice": "alloy"},
             "output": {"format": "opus", "bitrate_kbps": 48, "sample_rate": 48000, "channels": 1},
             "max_cost_usd": 0.05, "priority": 5, "idempotency_key": "episode-12-intro",
             "labels": {"project": "podcast"}}
            """)
        #expect(spec.kind == .tts)
        #expect(spec.routes.map(\.description) == ["openrouter/openai/gpt-4o-mini-tts", "local/flite"])
        #expect(spec.input.voice == "alloy")
        #expect(spec.output.bitrateKbps == 48)
        #expect(spec.maxCostUSD == Money(usd: "0.05"))
        #expect(spec.labels == ["project": "podcast"])
        let again = try JSONDecoder().decode(JobSpec.self, from: JSONEncoder().encode(spec))
        #expect(again == spec)
    }

    @Test("defaults: local provider, priority 0, the kind's first format")
    func defaults() throws {
        let spec = try parse(#"{"kind": "transcribe", "input": {"audio": "talk.wav"}}"#)
        #expect(spec.provider == "local")
        #expect(spec.priority == 0)
        #expect(spec.outputFormat == "txt")
    }

    @Test("an unknown kind names the field and lists the kinds")
    func unknownKind() {
        let e = error(#"{"kind": "music", "input": {"text": "x"}}"#)
        #expect(e?.code == .invalidInput)
        #expect(e?.message == "job.json: kind: unknown kind (one of tts, transcribe, image, video)")
    }

    @Test("a tts job with no text says which field is missing")
    func ttsWithoutText() {
        let e = error(#"{"kind": "tts", "input": {"text": "   "}}"#)
        #expect(e?.message == "job.json: input.text: a tts job needs text or text_file")
    }

    @Test("a wrong type names the JSON path")
    func wrongType() {
        let e = error(#"{"kind": "tts", "input": {"text": "hi", "voice": 3}}"#)
        #expect(e?.message == "job.json: input.voice: expected a string")
    }

    @Test("a misspelt field is refused rather than ignored")
    func unknownField() {
        let e = error(#"{"kind": "tts", "input": {"txt": "hi"}}"#)
        #expect(e?.message == "job.json: input.txt: unknown field")
    }

    @Test("a document that is not JSON is an invalid_json error naming the source")
    func notJSON() {
        let e = error("kind: tts")
        #expect(e?.code == .invalidJSON)
        #expect(e?.message.hasPrefix("job.json: not valid JSON") == true)
    }

    @Test("an output format of another kind is refused with the allowed list")
    func wrongFormat() {
        let e = error(#"{"kind": "tts", "input": {"text": "hi"}, "output": {"format": "srt"}}"#)
        #expect(e?.message == "job.json: output.format: 'srt' is not a tts format (one of mp3, opus, aac, flac, wav, m4a)")
    }

    @Test("video's audio flag and transcription's audio file share one JSON field")
    func audioField() throws {
        let video = try parse(#"{"kind": "video", "input": {"prompt": "a cat", "audio": true}}"#)
        #expect(video.input.generateAudio == true)
        #expect(video.input.audio == nil)
        let transcribe = try parse(#"{"kind": "transcribe", "input": {"audio": "a.wav"}}"#)
        #expect(transcribe.input.audio == "a.wav")
    }
}

@Suite("Money")
struct MoneyTests {
    @Test("decimal text round-trips exactly")
    func parsing() {
        #expect(Money(usd: "0.015")?.picos == 15_000_000_000)
        #expect(Money(usd: "12")?.description == "12")
        #expect(Money(usd: "0.000000000001")?.picos == 1)
        #expect(Money(usd: "0.0000000000001") == nil)
        #expect(Money(usd: "abc") == nil)
        #expect(Money(usd: "-1.5")?.description == "-1.5")
    }

    @Test("a per-second price times a six-decimal duration keeps every digit")
    func products() throws {
        // Replicate: predict_time 37.123456 s on hardware at $0.0014/s.
        let seconds = try #require(Decimal(string: "37.123456"))
        let price = try #require(Decimal(string: "0.0014"))
        let amount = try #require(Money(seconds * price))
        #expect(amount.description == "0.0519728384")
        #expect(Money(exactly: seconds * price) == amount)
        // Finer than a pico-dollar: rounded half-to-even, never dropped.
        #expect(Money(try #require(Decimal(string: "0.0000000000015")))?.picos == 2)
        #expect(Money(exactly: try #require(Decimal(string: "0.0000000000015"))) == nil)
    }

    @Test("amounts read as dollars for people; unknown is unknown")
    func display() {
        #expect(Money(usd: "0.0519728384")!.display() == "$0.0520")
        #expect(Money(usd: "1.2")!.display() == "$1.2000")
        #expect(Money(usd: "0.0000126")!.display() == "$0.0000126")
        #expect(Money.zero.display() == "$0.0000")
        let unknown: Money? = nil
        #expect(unknown.display() == "unknown")
    }

    @Test("ten thousand small prices sum exactly")
    func sums() {
        var total = Money.zero
        for _ in 0..<10_000 { total += Money(usd: "0.000015")! }
        #expect(total == Money(usd: "0.15"))
    }

    @Test("JSON numbers decode exactly")
    func json() throws {
        struct Box: Codable { var usd: Money }
        let box = try JSONDecoder().decode(Box.self, from: Data(#"{"usd": 0.1}"#.utf8))
        #expect(box.usd.picos == 100_000_000_000)
        let text = String(decoding: try JSONEncoder().encode(box), as: UTF8.self)
        #expect(text == #"{"usd":0.1}"#)
    }
}

@Suite("JobID")
struct JobIDTests {
    @Test("ids sort by creation time and parse back")
    func ordering() throws {
        let a = JobID.generate(now: Date(timeIntervalSince1970: 1_000))
        let b = JobID.generate(now: Date(timeIntervalSince1970: 2_000))
        #expect(a < b)
        #expect(try JobID(parsing: a.rawValue.lowercased()) == a)
        #expect(throws: MediaJobsError.self) { try JobID(parsing: "../etc/passwd") }
    }
}
