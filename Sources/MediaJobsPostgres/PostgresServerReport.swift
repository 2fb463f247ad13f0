import Foundation
import Logging
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

/// What `mediajobs doctor` tells of a PostgreSQL database: the server, its schema and its clock.
public struct PostgresServerReport: Sendable {
    /// The URL without its password.
    public var url: String
    /// `server_version`, as the server states it ("15.10 (Debian 15.10-0+deb12u1)").
    public var serverVersion: String
    /// The migrations `schema_migrations` lists (none when the table does not exist yet).
    public var appliedMigrations: [String]
    /// The migrations this program knows, in the order they apply.
    public var knownMigrations: [String]
    /// The server's clock minus this machine's, in seconds, measured at the middle of the query's round trip.
    public var clockSkew: TimeInterval
    /// How long the clock's query took there and back, in seconds: the skew is exact to about half of it.
    public var roundTrip: TimeInterval
    /// The jobs in the database; nil when it has no `jobs` table yet.
    public var jobs: Int?

    /// Known migrations the database has not applied (the next command that opens the store applies them).
    public var missingMigrations: [String] { knownMigrations.filter { !appliedMigrations.contains($0) } }
    /// Applied migrations this program does not know: a newer version made them.
    public var unknownMigrations: [String] { appliedMigrations.filter { !knownMigrations.contains($0) } }
}

extension PostgresJobStore {
    /// Connects to `url` (one connection, closed before returning), reads the server's version, the applied
    /// migrations, its clock and the number of jobs, and changes nothing: unlike `connect`, it applies no migration.
    ///
    /// Throws `store.failure` naming the URL (without its password) and the reason when the server cannot be reached or
    /// refuses the login.
    public static func inspect(url: String, logger: Logger = Logger(label: "mediajobs.postgres")) async throws
        -> PostgresServerReport
    {
        let parsed = try PostgresURL(url)
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: try parsed.connectionConfiguration(), id: 0, logger: logger)
        } catch {
            throw storeError(error, doing: "connect", url: parsed.redacted)
        }
        do {
            let session = PostgresSession(connection: connection, logger: logger)
            let version = try await session.rows("SHOW server_version").first?.decode(String.self) ?? "?"
            let before = Date()
            let serverMicros = try await session.rows(
                "SELECT (EXTRACT(EPOCH FROM now()) * 1000000)::bigint").first?.decode(Int64.self) ?? 0
            let after = Date()
            let middle = before.addingTimeInterval(after.timeIntervalSince(before) / 2)
            var (hasMigrations, hasJobs) = (false, false)
            if let row = try await session.rows(
                "SELECT to_regclass('schema_migrations') IS NOT NULL, to_regclass('jobs') IS NOT NULL").first {
                (hasMigrations, hasJobs) = try row.decode((Bool, Bool).self)
            }
            var applied: [String] = []
            if hasMigrations {
                for row in try await session.rows("SELECT name FROM schema_migrations ORDER BY applied_at, name") {
                    applied.append(try row.decode(String.self))
                }
            }
            var jobs: Int?
            if hasJobs {
                jobs = Int(try await session.rows("SELECT COUNT(*) FROM jobs").first?.decode(Int64.self) ?? 0)
            }
            try? await connection.close()
            return PostgresServerReport(
                url: parsed.redacted, serverVersion: version, appliedMigrations: applied,
                knownMigrations: PostgresSchema.migrations.map(\.name),
                clockSkew: Double(serverMicros) / 1_000_000 - middle.timeIntervalSince1970,
                roundTrip: after.timeIntervalSince(before), jobs: jobs)
        } catch {
            try? await connection.close()
            throw storeError(error, doing: "inspect the database", url: parsed.redacted)
        }
    }
}
