import Foundation
import Logging
import MediaJobsCore
import MediaJobsPostgres
import MediaJobsStore

/// Which database holds the jobs: a SQLite file or a PostgreSQL server, and the setting that chose it.
///
/// `--database`, else `MEDIAJOBS_DATABASE_URL`, else config.json's `"database": {"url": …}`, else the home's
/// `mediajobs.sqlite`. A value is `postgres://…` or `postgresql://…` (a PostgreSQL server), `sqlite:PATH` or a plain
/// path (a SQLite file); anything else is refused, naming the setting it came from.
struct DatabaseChoice: Equatable {
    enum Location: Equatable {
        case sqlite(path: String)
        /// The URL as given (with its password, if it has one: never print it, print `shown`).
        case postgres(url: String)
    }

    var location: Location
    /// The setting it came from: `--database`, `MEDIAJOBS_DATABASE_URL`, `config.json: database.url`, or `--home`.
    var source: String

    /// The variable read when `--database` is not given.
    static let environmentVariable = "MEDIAJOBS_DATABASE_URL"
    static let forms = "postgres://USER@HOST[:PORT]/DATABASE, postgresql://…, sqlite:PATH or the path of a SQLite file"

    /// The database as messages may name it: a path, or a URL without its password.
    var shown: String {
        switch location {
        case .sqlite(let path): return path
        case .postgres(let url): return PostgresURL.redact(url)
        }
    }

    var isPostgres: Bool {
        if case .postgres = location { return true }
        return false
    }

    /// Picks the database for `home`: `flag`, else the environment's `MEDIAJOBS_DATABASE_URL`, else config.json's
    /// `database.url`, else the home's SQLite file.
    static func resolve(flag: String?, environment: [String: String], home: MediaJobsHome) throws -> DatabaseChoice {
        if let flag {
            return try DatabaseChoice(parsing: flag, source: "--database", environment: environment)
        }
        if let variable = environment[environmentVariable], !variable.isEmpty {
            return try DatabaseChoice(parsing: variable, source: environmentVariable, environment: environment)
        }
        let configuration = try Configuration.load(from: home.configURL)
        if let url = try configuration.section(DatabaseSection.self).url {
            return try DatabaseChoice(parsing: url, source: "\(configuration.source): database.url", environment: environment)
        }
        return DatabaseChoice(location: .sqlite(path: home.databaseURL.path), source: "--home")
    }

    init(location: Location, source: String) {
        self.location = location
        self.source = source
    }

    /// Reads one value of a setting; `source` names the setting in errors.
    init(parsing text: String, source: String, environment: [String: String]) throws {
        self.source = source
        let value = text.trimmingCharacters(in: .whitespaces)
        let lowered = value.lowercased()
        func refused(_ reason: String) -> MediaJobsError {
            MediaJobsError.invalidInput(source, "'\(PostgresURL.redact(value))' \(reason) (use \(DatabaseChoice.forms))")
        }
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            do {
                _ = try PostgresURL(value)
            } catch let error as MediaJobsError {
                throw MediaJobsError(.invalidInput, "\(source): \(error.message)")
            }
            location = .postgres(url: value)
            return
        }
        var path = value
        if lowered.hasPrefix("sqlite:") {
            path = String(value.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
        } else if let colon = value.firstIndex(of: ":"),
                  value[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }),
                  value[..<colon].first?.isLetter == true {
            // scheme:… that is not one of ours (mysql://, http://, postgre://…).
            throw refused("is not a database this program opens")
        }
        guard !path.isEmpty else { throw refused("names no file") }
        location = .sqlite(path: DatabaseChoice.absolute(path, environment: environment))
    }

    /// `path` with a leading `~` expanded and taken from the current folder when relative.
    static func absolute(_ path: String, environment: [String: String]) -> String {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        var path = path
        if path == "~" { path = home } else if path.hasPrefix("~/") { path = home + path.dropFirst(1) }
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            .appendingPathComponent(path).standardizedFileURL.path
    }

    /// Opens the store: the SQLite file (created when missing, its folder too), or a pool of at most `connections`
    /// connections to the PostgreSQL server (its schema brought up to date; all opened at once and kept with
    /// `keepOpen`). Close it with `OpenedStore.close()`.
    func open(connections: Int = 4, keepOpen: Bool = false, logger: Logger) async throws -> OpenedStore {
        switch location {
        case .sqlite(let path):
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return OpenedStore(store: try SQLiteJobStore(path: path), postgres: nil)
        case .postgres(let url):
            let postgres = try await PostgresJobStore.connect(
                url: url, connections: connections, keepOpen: keepOpen, logger: logger)
            return OpenedStore(store: postgres, postgres: postgres)
        }
    }
}

/// A store a command opened, and what must be closed when the command ends.
struct OpenedStore {
    let store: any JobStore
    let postgres: PostgresJobStore?

    /// Closes the PostgreSQL pool (a SQLite store needs nothing).
    func close() async {
        await postgres?.shutdown()
    }
}

/// config.json's `"database": {"url": "postgres://…"}`: the database every command of this home uses, unless
/// `--database` or `MEDIAJOBS_DATABASE_URL` says otherwise. Whoever can read the home can read this file: a URL with
/// a password is better kept in the environment.
struct DatabaseSection: ConfigurationSection {
    static let sectionName = "database"
    static let fieldNames: Set<String> = ["url"]
    static let defaults = DatabaseSection()

    var url: String?
}
