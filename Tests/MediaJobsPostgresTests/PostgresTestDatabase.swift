import Foundation
import Logging
import MediaJobsStore
@testable import MediaJobsPostgres
import PostgresNIO
import Testing

/// The PostgreSQL server the tests use, and a fresh database on it per test.
///
/// The server is `MEDIAJOBS_TEST_DATABASE_URL` (`make test` starts a throwaway one with scripts/pg-test-cluster.sh;
/// by hand: `export MEDIAJOBS_TEST_DATABASE_URL=$(scripts/pg-test-cluster.sh start)`). Without it the suites that need
/// a server are skipped, unless `MEDIAJOBS_REQUIRE_POSTGRES=1`, which makes each of their tests fail instead.
enum PostgresTestServer {
    static var url: String? {
        ProcessInfo.processInfo.environment["MEDIAJOBS_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var required: Bool { ProcessInfo.processInfo.environment["MEDIAJOBS_REQUIRE_POSTGRES"] == "1" }

    /// The trait of a suite that needs the server: enabled when it is set, or when it is required (then the tests
    /// fail, saying what is missing).
    static var enabled: Bool { url != nil || required }
    static let skipReason: Comment =
        "MEDIAJOBS_TEST_DATABASE_URL is not set (scripts/pg-test-cluster.sh start prints one; make test sets it)"

    /// The server's URL, or a failure naming the variable when it is required and unset.
    static func requireURL() throws -> String {
        guard let url else {
            throw MediaJobsTestSetupError(
                "MEDIAJOBS_REQUIRE_POSTGRES=1 but MEDIAJOBS_TEST_DATABASE_URL is not set: start a server with "
                    + "scripts/pg-test-cluster.sh start and export its URL")
        }
        return url
    }

    static let logger = Logger(label: "mediajobs.postgres.tests")

    /// Runs `body` with the URL of a new, empty database (a random name) on the test server, and drops that database
    /// afterwards, whatever `body` did.
    static func withDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
        let server = try PostgresURL(try requireURL())
        let name = "mediajobs_test_\(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF)"
        try await admin(server) { session in
            try await session.execute(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        let result: T
        do {
            result = try await body(try databaseURL(server: try requireURL(), name: name))
        } catch {
            try? await drop(name, on: server)
            throw error
        }
        try await drop(name, on: server)
        return result
    }

    /// Runs `body` with a store connected to a new database, shut down and dropped afterwards.
    static func withStore<T>(
        retryPolicy: RetryPolicy = RetryPolicy(), _ body: (PostgresJobStore) async throws -> T
    ) async throws -> T {
        try await withDatabase { url in
            let store = try await PostgresJobStore.connect(url: url, retryPolicy: retryPolicy, logger: logger)
            do {
                let result = try await body(store)
                await store.shutdown()
                return result
            } catch {
                await store.shutdown()
                throw error
            }
        }
    }

    /// Runs `body` on one connection to the database at `url` (outside any store).
    static func withConnection<T>(_ url: String, _ body: (PostgresSession) async throws -> T) async throws -> T {
        try await admin(try PostgresURL(url), body)
    }

    private static func drop(_ name: String, on server: PostgresURL) async throws {
        try await admin(server) { session in
            try await session.execute(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
    }

    private static func admin<T>(_ url: PostgresURL, _ body: (PostgresSession) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(
            configuration: try url.connectionConfiguration(), id: 1, logger: logger)
        do {
            let result = try await body(PostgresSession(connection: connection, logger: logger))
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// `server` with its database replaced by `name`.
    static func databaseURL(server: String, name: String) throws -> String {
        guard var components = URLComponents(string: server) else {
            throw MediaJobsTestSetupError("MEDIAJOBS_TEST_DATABASE_URL is not a URL")
        }
        components.path = "/\(name)"
        guard let url = components.string else { throw MediaJobsTestSetupError("cannot name database \(name)") }
        return url
    }
}

struct MediaJobsTestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
