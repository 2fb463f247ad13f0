import ArgumentParser
import Foundation
import MediaJobsCore
import MediaJobsPostgres
import MediaJobsStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the home's SQLite database into an empty PostgreSQL database, for a fleet of workers.",
        discussion: """
            mediajobs migrate --to postgres://mediajobs@db.example.net/mediajobs
            mediajobs migrate --home ~/media --to postgresql://mediajobs@127.0.0.1:5432/mediajobs --json

            Stop every worker and server on the home first: jobs they change during the copy stay behind \
            in the SQLite file. The copy reads the whole SQLite database as of one instant, brings the \
            PostgreSQL database's schema up to date, and copies every table (jobs, events, labels, \
            artifacts and attachments, costs, budget holds, batches, submission risks, provider state \
            and pauses) in one transaction: it is all there, or nothing is. A database that already holds \
            any row is refused, and nothing is written. Afterwards the rows of every table, the total \
            cost, the costs of unknown amount and the jobs per state are compared on both sides.

            The source is the home's mediajobs.sqlite (or --database sqlite:PATH); MEDIAJOBS_DATABASE_URL \
            and config.json's database.url are not read, since they may already name the target. The \
            artifact files stay in the artifact folder (--artifacts, else the home's): every machine of the fleet \
            needs to see it (a shared mount). Then run commands with --database (or MEDIAJOBS_DATABASE_URL):
              mediajobs worker --database postgres://mediajobs@db.example.net/mediajobs
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: ArgumentHelp("The PostgreSQL database to copy into: postgres://USER@HOST[:PORT]/DATABASE.",
                                            valueName: "url"))
    var to: String

    struct Summary: Encodable {
        var source: String
        var target: String
        var tables: [Table]
        var totalUSD: Decimal
        var total: String
        var unknownCosts: Int
        var jobsByState: [String: Int]
        var checks: [Check]
        var ok: Bool

        enum CodingKeys: String, CodingKey {
            case source, target, tables, total, checks, ok
            case totalUSD = "total_usd", unknownCosts = "unknown_costs", jobsByState = "jobs_by_state"
        }
    }

    struct Table: Encodable {
        var name: String
        var rows: Int
    }

    struct Check: Encodable {
        var name: String
        var ok: Bool
        var source: String
        var target: String
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let target = try DatabaseChoice(parsing: to, source: "--to", environment: environment)
        guard case .postgres(let url) = target.location else {
            throw MediaJobsError.invalidInput("--to", "'\(target.shown)' is not a PostgreSQL database (use postgres://USER@HOST[:PORT]/DATABASE)")
        }
        let home = try global.resolveHome()
        let source = try global.database.map { try DatabaseChoice(parsing: $0, source: "--database", environment: environment) }
            ?? DatabaseChoice(location: .sqlite(path: home.databaseURL.path), source: "--home")
        guard case .sqlite(let path) = source.location else {
            throw MediaJobsError.invalidInput("--database", "migrate copies from a SQLite database; '\(source.shown)' is not one (leave --database out to copy the home's)")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw MediaJobsError.invalidInput(source.source, "\(path): no database there, so nothing to copy")
        }
        Context.bootstrapLogging(level: global.logLevel ?? .warning)
        let sqlite = try SQLiteJobStore(path: path)
        let snapshot = try sqlite.snapshot()
        let postgres = try await PostgresJobStore.connect(url: url, connections: 2)
        do {
            let showing: (@Sendable (String, Int) -> Void)? = global.json ? nil : Migrate.showProgress
            let summary = try await Migrate.copy(snapshot, into: postgres, showing: showing)
            await postgres.shutdown()
            Terminal.endProgress()
            if global.json {
                try Terminal.writeJSON(summary)
            } else {
                Terminal.write(Migrate.text(summary))
            }
            if !summary.ok { throw JobEndedBadly() }
        } catch {
            Terminal.endProgress()
            await postgres.shutdown()
            throw error
        }
    }

    /// Copies `snapshot` into `postgres` and compares the two: rows per table, the known total, the unknown amounts
    /// and the jobs per state.
    static func copy(
        _ snapshot: SQLiteStoreSnapshot, into postgres: PostgresJobStore, showing: (@Sendable (String, Int) -> Void)?
    ) async throws -> Summary {
        let copied = try await postgres.importStore(snapshot) { table, rows in showing?(table, rows) }
        let before = try await snapshot.tally()
        let after = try await postgres.tally()
        var checks: [Check] = []
        for table in snapshot.tables {
            let here = before.rows[table.name] ?? 0
            let there = after.rows[table.name] ?? 0
            checks.append(Check(name: "rows in \(table.name)", ok: here == there && copied[table.name] == here,
                                source: "\(here)", target: "\(there)"))
        }
        checks.append(Check(name: "total cost", ok: before.usdPicos == after.usdPicos,
                            source: Money(picos: before.usdPicos).display(places: 12),
                            target: Money(picos: after.usdPicos).display(places: 12)))
        checks.append(Check(name: "costs of unknown amount", ok: before.unknownCosts == after.unknownCosts,
                            source: "\(before.unknownCosts)", target: "\(after.unknownCosts)"))
        let states = Set(before.jobsByState.keys).union(after.jobsByState.keys).sorted()
        for state in states {
            let here = before.jobsByState[state] ?? 0
            let there = after.jobsByState[state] ?? 0
            checks.append(Check(name: "\(state) jobs", ok: here == there, source: "\(here)", target: "\(there)"))
        }
        let total = Money(picos: before.usdPicos)
        return Summary(
            source: snapshot.path, target: postgres.url,
            tables: snapshot.tables.map { Table(name: $0.name, rows: copied[$0.name] ?? 0) },
            totalUSD: total.decimal,
            total: CostReport.describe(total, unknown: before.unknownCosts, places: 6),
            unknownCosts: before.unknownCosts, jobsByState: before.jobsByState,
            checks: checks, ok: checks.allSatisfy(\.ok))
    }

    /// Tells a terminal which table was just copied.
    @Sendable static func showProgress(_ table: String, _ rows: Int) {
        Terminal.progress("copied \(table): \(rows) row(s)")
    }

    static func text(_ summary: Summary) -> String {
        let width = summary.tables.map(\.name.count).max() ?? 0
        var lines = ["copied \(summary.source) into \(summary.target):"]
        for table in summary.tables {
            lines.append("  \(JobText.pad(table.name, width))  \(table.rows) row(s)")
        }
        lines.append("total cost: \(summary.total)")
        let jobs = summary.jobsByState.keys.sorted().map { "\($0) \(summary.jobsByState[$0] ?? 0)" }
        lines.append("jobs: " + (jobs.isEmpty ? "none" : jobs.joined(separator: ", ")))
        let failed = summary.checks.filter { !$0.ok }
        if failed.isEmpty {
            lines.append("checks: ok (\(summary.checks.count): rows per table, total cost, unknown amounts, jobs per state "
                         + "are the same on both sides)")
        } else {
            lines.append("checks: FAILED")
            for check in failed {
                lines.append("  \(check.name): \(check.source) in SQLite, \(check.target) in PostgreSQL")
            }
        }
        return lines.joined(separator: "\n")
    }
}
