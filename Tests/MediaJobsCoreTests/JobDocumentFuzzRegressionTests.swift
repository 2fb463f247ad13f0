import Foundation
import Testing
@testable import MediaJobsCore

/// The inputs FuzzJobDocument found (Fuzz/Regressions/FuzzJobDocument, see docs/FUZZING.md), parsed as the fuzzer
/// parses them.
@Suite("JobSpec: inputs found by fuzzing")
struct JobDocumentFuzzRegressionTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/Regressions/FuzzJobDocument")

    @Test("a run_at whose fraction of a second has dozens of digits is refused, not a division by zero in ICU")
    func runAtLongFraction() throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("run-at-long-fraction.json"))
        do {
            _ = try JobSpec.parse(json: data, source: "job.json")
            Issue.record("expected an error")
        } catch let error as MediaJobsError {
            #expect(error.message.hasPrefix("job.json: run_at: '2026-11-26T09:00:00.111"), "\(error.message)")
            #expect(error.message.hasSuffix("is not an ISO-8601 time like 2026-11-26T09:00:00Z"), "\(error.message)")
        }
        // Up to nanoseconds still read.
        let nanos = try #require(JobSpec.parseTime("2026-11-26T09:00:00.123456789+01:00"))
        #expect(abs(nanos.timeIntervalSince(try #require(JobSpec.parseTime("2026-11-26T08:00:00Z"))) - 0.123) < 0.001)
        #expect(JobSpec.parseTime("2026-11-26T09:00:00.1234567890Z") == nil)
    }
}
