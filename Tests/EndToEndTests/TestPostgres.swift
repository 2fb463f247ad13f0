import Foundation
import Testing

/// The PostgreSQL server the fleet-mode tests use, and a fresh database on it per test, made and dropped with `psql`.
///
/// The server is `MEDIAJOBS_TEST_DATABASE_URL` (`export MEDIAJOBS_TEST_DATABASE_URL=$(scripts/pg-test-cluster.sh
/// start)`; `make test` sets it). Without it these tests are skipped, unless `MEDIAJOBS_REQUIRE_POSTGRES=1`, which
/// makes them fail instead, naming the variable.
enum TestPostgres {
    static var serverURL: String? {
        ProcessInfo.processInfo.environment["MEDIAJOBS_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var required: Bool { ProcessInfo.processInfo.environment["MEDIAJOBS_REQUIRE_POSTGRES"] == "1" }

    /// Whether a suite that needs the server runs: when it is set, or required (then its tests fail, saying why).
    static var enabled: Bool { serverURL != nil || required }
    static let skipReason: Comment =
        "MEDIAJOBS_TEST_DATABASE_URL is not set (scripts/pg-test-cluster.sh start prints one; make test sets it)"

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `body` with the URL of a new, empty database on the test server, dropped afterwards whatever happened.
    static func withDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
        guard let server = serverURL else {
            throw SetupError(description: "MEDIAJOBS_REQUIRE_POSTGRES=1 but MEDIAJOBS_TEST_DATABASE_URL is not set: "
                             + "export MEDIAJOBS_TEST_DATABASE_URL=$(scripts/pg-test-cluster.sh start)")
        }
        let name = "mediajobs_e2e_\(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF)"
        try await psql(server, "CREATE DATABASE \(name)")
        let url = try database(name, on: server)
        do {
            let result = try await body(url)
            _ = try? await psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            return result
        } catch {
            _ = try? await psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
    }

    /// `server` with its database replaced by `name`.
    static func database(_ name: String, on server: String) throws -> String {
        guard var components = URLComponents(string: server) else {
            throw SetupError(description: "MEDIAJOBS_TEST_DATABASE_URL is not a URL")
        }
        components.path = "/\(name)"
        return try components.string.orThrow(SetupError(description: "cannot name database \(name)"))
    }

    /// `url` with `password` as its user's password (the test server trusts loopback, so any password logs in).
    static func withPassword(_ url: String, _ password: String) throws -> String {
        guard var components = URLComponents(string: url) else { throw SetupError(description: "\(url) is not a URL") }
        components.password = password
        return try components.string.orThrow(SetupError(description: "cannot add a password to \(url)"))
    }

    /// Runs one statement with `psql` and returns what it printed (unaligned, tuples only).
    @discardableResult
    static func psql(_ url: String, _ sql: String) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try CLI.spawn(process)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        await process.waitForExit()
        guard process.terminationStatus == 0 else {
            throw SetupError(description: "psql \(sql): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension Optional {
    fileprivate func orThrow(_ error: some Error) throws -> Wrapped {
        guard let self else { throw error }
        return self
    }
}
