import Foundation
import MediaJobsCore
import Testing

@testable import MediaJobsFFmpeg

/// The project's own sample files and a throwaway folder per test.
enum Fixtures {
    static let samples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Samples")

    static func sample(_ name: String) -> URL { samples.appendingPathComponent(name) }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("mediajobs-ffmpeg-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static let engine = MediaEngine.shared
}

/// Runs `body` and returns the `MediaJobsError` it throws (failing the test if it throws none or another error).
func mediaError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async
    -> MediaJobsError?
{
    do {
        try await body()
        Issue.record("expected a MediaJobsError, got success", sourceLocation: sourceLocation)
    } catch let error as MediaJobsError {
        return error
    } catch {
        Issue.record("expected a MediaJobsError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
