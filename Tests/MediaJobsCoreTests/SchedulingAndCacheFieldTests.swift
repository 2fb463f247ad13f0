import Foundation
import Testing
@testable import MediaJobsCore

@Suite("JobSpec: run_at and cache")
struct SchedulingAndCacheFieldTests {
    @Test("run_at and cache decode, survive a round trip, and set the cache default per kind")
    func decodeAndRoundTrip() throws {
        let spec = try JobSpec.parse(json: Data("""
            {"kind": "image", "input": {"prompt": "a cat"}, "cache": true, "run_at": "2026-11-26T09:30:00Z"}
            """.utf8))
        #expect(spec.runAt == Date(timeIntervalSince1970: 1_795_685_400))
        #expect(spec.usesCache)
        let again = try JobSpec.parse(json: try JSONEncoder().encode(spec))
        #expect(again == spec)
        #expect(JobSpec(kind: .tts, input: JobInput(text: "hi")).usesCache)
        #expect(!JobSpec(kind: .video, input: JobInput(prompt: "sea")).usesCache)
    }

    @Test("a run_at that is not an ISO-8601 time is refused, naming the field")
    func badRunAt() {
        for text in ["tomorrow", "+10m"] {
            do {
                _ = try JobSpec.parse(json: Data(#"{"kind": "tts", "input": {"text": "hi"}, "run_at": "\#(text)"}"#.utf8),
                                      source: "job.json")
                Issue.record("expected an error for \(text)")
            } catch let error as MediaJobsError {
                #expect(error.message.hasPrefix("job.json: run_at: '\(text)' is not an ISO-8601 time"), "\(error.message)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test("--at takes relative times and ISO-8601 with an offset")
    func parseTime() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(JobSpec.parseTime("+10m", now: now) == now + 600)
        #expect(JobSpec.parseTime("+2h", now: now) == now + 7200)
        #expect(JobSpec.parseTime("+90s", now: now) == now + 90)
        #expect(JobSpec.parseTime("2026-11-26T10:30:00+01:00") == Date(timeIntervalSince1970: 1_795_685_400))
        #expect(JobSpec.parseTime("+10x", now: now) == nil)
        #expect(JobSpec.parseTime("soon", now: now) == nil)
    }
}
