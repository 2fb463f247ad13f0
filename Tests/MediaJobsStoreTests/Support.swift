import Foundation
import MediaJobsCore
import Synchronization
import Testing
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

/// The backends the store's contract suite runs on, each test once per backend: SQLite always, PostgreSQL when
/// `MEDIAJOBS_TEST_DATABASE_URL` names a server (`make test` starts one; see `Support+Postgres.swift`).
enum Backend: String, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// One fresh database of a backend for one test, and a temporary folder beside it. Open as many stores on it as the
/// test needs: two stores on one database stand for two processes (or machines) sharing a queue.
final class TestDatabase: Sendable {
    let backend: Backend
    let folder: TemporaryFolder
    private let opened = Mutex<[any JobStore]>([])

    init(_ backend: Backend) async throws {
        self.backend = backend
        folder = try TemporaryFolder()
        if backend == .postgres { try await Self.createPostgresDatabase(for: self) }
    }

    var url: URL { folder.url }

    /// A new store on this database.
    func open(retryPolicy: RetryPolicy = RetryPolicy(baseDelay: 10, maxDelay: 100, jitter: 0)) async throws
        -> any JobStore {
        let store: any JobStore
        switch backend {
        case .sqlite: store = try SQLiteJobStore(path: folder.databasePath, retryPolicy: retryPolicy)
        case .postgres: store = try await Self.openPostgres(for: self, retryPolicy: retryPolicy)
        }
        opened.withLock { $0.append(store) }
        return store
    }

    /// Closes the stores opened on it and removes the database and the folder.
    func remove() async {
        let stores = opened.withLock { stores in
            defer { stores.removeAll() }
            return stores
        }
        if backend == .postgres { await Self.dropPostgresDatabase(for: self, stores: stores) }
        folder.remove()
    }
}

/// Runs `body` with a fresh database of `backend`, removed afterwards.
func withDatabase<T>(_ backend: Backend, _ body: (TestDatabase) async throws -> T) async throws -> T {
    let database = try await TestDatabase(backend)
    do {
        let result = try await body(database)
        await database.remove()
        return result
    } catch {
        await database.remove()
        throw error
    }
}

/// Runs `body` with a store on a fresh database of `backend` (SQLite unless said).
func withStore<T>(
    _ backend: Backend = .sqlite,
    retryPolicy: RetryPolicy = RetryPolicy(baseDelay: 10, maxDelay: 100, jitter: 0),
    _ body: (any JobStore, TestDatabase) async throws -> T
) async throws -> T {
    try await withDatabase(backend) { database in
        try await body(try await database.open(retryPolicy: retryPolicy), database)
    }
}

/// Runs `body` with a SQLite store on a new database file in a temporary folder: for what only SQLite has (its
/// query plans, pragmas, file migrations and group commit).
func withSQLiteStore<T>(
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
