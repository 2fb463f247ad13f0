import Foundation
import MediaJobsCore
@testable import MediaJobsStore

/// A fresh folder under the system temp folder, removed by the caller's `defer`.
struct TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("mediajobs-store-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    var databasePath: String { url.appendingPathComponent("mediajobs.sqlite").path }
}

let t0 = Date(timeIntervalSince1970: 1_700_000_000)

func tts(_ text: String = "hello", priority: Int = 0, key: String? = nil, labels: [String: String] = [:],
         maxAttempts: Int? = nil) -> JobSpec {
    JobSpec(kind: .tts, input: JobInput(text: text), priority: priority, idempotencyKey: key, labels: labels,
            maxAttempts: maxAttempts)
}

/// Runs `body` with a store on a new database file in a temporary folder.
func withStore<T>(
    retryPolicy: RetryPolicy = RetryPolicy(baseDelay: 10, maxDelay: 100, jitter: 0),
    _ body: (SQLiteJobStore, TemporaryFolder) async throws -> T
) async throws -> T {
    let folder = try TemporaryFolder()
    defer { folder.remove() }
    let store = try SQLiteJobStore(path: folder.databasePath, retryPolicy: retryPolicy)
    return try await body(store, folder)
}

func code(of error: any Error) -> MediaJobsError.Code? {
    (error as? MediaJobsError)?.code
}
