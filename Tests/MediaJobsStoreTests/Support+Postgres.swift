import Foundation
import Logging
import MediaJobsCore
import MediaJobsPostgres
import PostgresNIO

@testable import MediaJobsStore

extension Backend {
    /// Every backend this run must cover: PostgreSQL joins when the test cluster's URL is set (`make test` sets it),
    /// or when `MEDIAJOBS_REQUIRE_POSTGRES=1` says it must (then a missing URL fails each test, naming it).
    static var all: [Backend] {
        let environment = ProcessInfo.processInfo.environment
        let url = environment["MEDIAJOBS_TEST_DATABASE_URL"] ?? ""
        return url.isEmpty && environment["MEDIAJOBS_REQUIRE_POSTGRES"] != "1" ? [.sqlite] : [.sqlite, .postgres]
    }
}

extension TestDatabase {
    private static func serverURL() throws -> PostgresURL {
        let text = ProcessInfo.processInfo.environment["MEDIAJOBS_TEST_DATABASE_URL"] ?? ""
        guard !text.isEmpty else {
            throw MediaJobsError(.storeFailure, "MEDIAJOBS_TEST_DATABASE_URL is not set, and MEDIAJOBS_REQUIRE_POSTGRES=1 "
                                 + "asks for PostgreSQL (start one with scripts/pg-test-cluster.sh start)")
        }
        return try PostgresURL(text)
    }

    /// This test's own database: named after its folder, so it is unique.
    private var databaseName: String {
        "mj_contract_" + folder.url.lastPathComponent.filter { $0.isLetter || $0.isNumber }.lowercased().suffix(40)
    }

    /// Runs one statement on the server's maintenance database (`CREATE` / `DROP DATABASE`).
    private static func administer(_ sql: String) async throws {
        let server = try serverURL()
        let logger = Logger(label: "mediajobs.tests.postgres")
        let configuration: PostgresConnection.Configuration
        if let socket = server.socketFolder {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: socket + "/.s.PGSQL.\(server.port)", username: server.username,
                password: server.password, database: server.database)
        } else {
            configuration = PostgresConnection.Configuration(
                host: server.host, port: server.port, username: server.username, password: server.password,
                database: server.database, tls: .disable)
        }
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    static func createPostgresDatabase(for database: TestDatabase) async throws {
        try await administer("CREATE DATABASE \(database.databaseName)")
    }

    static func openPostgres(for database: TestDatabase, retryPolicy: RetryPolicy) async throws -> any JobStore {
        var url = URLComponents(string: ProcessInfo.processInfo.environment["MEDIAJOBS_TEST_DATABASE_URL"] ?? "")
        url?.path = "/" + database.databaseName
        guard let text = url?.string else {
            throw MediaJobsError(.storeFailure, "MEDIAJOBS_TEST_DATABASE_URL is not a URL")
        }
        return try await PostgresJobStore.connect(url: text, retryPolicy: retryPolicy)
    }

    static func dropPostgresDatabase(for database: TestDatabase, stores: [any JobStore]) async {
        for store in stores { await (store as? PostgresJobStore)?.shutdown() }
        try? await administer("DROP DATABASE IF EXISTS \(database.databaseName) WITH (FORCE)")
    }
}
