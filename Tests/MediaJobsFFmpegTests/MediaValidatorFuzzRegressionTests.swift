import Foundation
import MediaJobsCore
import Testing

@testable import MediaJobsFFmpeg

/// The inputs FuzzMediaValidator found (Fuzz/Regressions/FuzzMediaValidator, see docs/FUZZING.md), validated as the
/// fuzzer validates them: saved without an extension, so the container is found from the content.
@Suite("validation: inputs found by fuzzing")
struct MediaValidatorFuzzRegressionTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/Regressions/FuzzMediaValidator")

    @Test("a WebP with bytes after its RIFF chunk is media.corrupt before decoding (libavcodec 5.1 aborted on it)")
    func webpTrailingData() async throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("download")
        try FileManager.default.copyItem(at: Self.directory.appendingPathComponent("webp-trailing-data.webp"), to: file)
        let error = await mediaError { _ = try await Fixtures.engine.validate(file) }
        #expect(error?.code == .mediaCorrupt)
        #expect(error?.message.contains("49 bytes after the WebP image (its RIFF header says 278 bytes)") == true)
        // The same picture without the bytes after it is a valid 16x16 WebP.
        let whole = folder.appendingPathComponent("whole.webp")
        try Data(try Data(contentsOf: file).prefix(278)).write(to: whole)
        #expect(ContentSniffer.webpFileSize(try Data(contentsOf: whole)) == 278)
        _ = try await Fixtures.engine.validate(whole, expecting: MediaExpectation(kind: .image, checkContent: false))
    }
}
