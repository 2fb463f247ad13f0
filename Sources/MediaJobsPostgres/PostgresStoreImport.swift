import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

extension PostgresJobStore {
    /// Copies every row of `source` into this database, in one transaction, and returns the rows copied per table.
    ///
    /// The database must be empty: each of its tables but `schema_migrations` is locked against writers (`EXCLUSIVE`)
    /// and looked at first; a row in any of them refuses the copy (`input.invalid`, naming the tables and their rows)
    /// before anything is written. Each source table goes to the table of the same name, each column to the column
    /// of the same name (a table or column the schema lacks refuses the copy too); values are sent as text and cast
    /// to the column's type (SQLite's 0/1 becomes a boolean), many rows to an `INSERT`. Identity and serial columns
    /// are then set past the largest id copied, so rows added later do not collide. Any failure rolls everything back.
    ///
    /// `copied` is told each table's name and its rows as each table is done.
    public func importStore(
        _ source: SQLiteStoreSnapshot, copied: @escaping @Sendable (String, Int) -> Void = { _, _ in }
    ) async throws -> [String: Int] {
        try await write("copy the SQLite store") { [self] session in
            let target = try await Self.tableColumns(session)
            for table in source.tables {
                guard let columns = target[table.name] else {
                    throw MediaJobsError(.storeFailure, "\(url): the schema has no table \(table.name) for the rows of "
                                         + "\(source.path)'s; nothing was written")
                }
                let known = Set(columns.map(\.name))
                if let missing = table.columns.first(where: { !known.contains($0) }) {
                    throw MediaJobsError(.storeFailure, "\(url): table \(table.name) has no column \(missing) for "
                                         + "\(source.path)'s; nothing was written")
                }
            }
            let names = target.keys.filter { $0 != "schema_migrations" }.sorted()
            if !names.isEmpty {
                let list = names.map(Self.quoted).joined(separator: ", ")
                try await session.execute(PostgresQuery(unsafeSQL: "LOCK TABLE \(list) IN EXCLUSIVE MODE"))
            }
            var occupied: [String] = []
            for name in names {
                let count = try await session.rows(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(Self.quoted(name))"))
                    .first?.decode(Int64.self) ?? 0
                if count > 0 { occupied.append("\(name): \(count)") }
            }
            guard occupied.isEmpty else {
                throw MediaJobsError(.invalidInput, "\(url) already holds rows (\(occupied.joined(separator: ", "))): "
                                     + "migrate copies into an empty database only; nothing was written")
            }
            var counts: [String: Int] = [:]
            for table in source.tables {
                let types = Dictionary(uniqueKeysWithValues: target[table.name]!.map { ($0.name, $0) })
                let columns = table.columns.map { types[$0]! }
                counts[table.name] = try await copy(table, columns: columns, from: source, session)
                copied(table.name, counts[table.name] ?? 0)
            }
            for (name, columns) in target where names.contains(name) {
                for column in columns where column.generated {
                    try await session.execute(PostgresQuery(unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence('\(Self.quoted(name))', '\(column.name)'),
                                      COALESCE(MAX(\(Self.quoted(column.name))), 0) + 1, false)
                        FROM \(Self.quoted(name))
                        """))
                }
            }
            return counts
        }
    }

    /// The rows of every table but `schema_migrations`, the ledger's known total and unknown amounts, and jobs per
    /// state, read in one snapshot.
    public func tally() async throws -> StoreTally {
        try await read("count the rows", consistent: true) { session in
            var rows: [String: Int] = [:]
            for name in try await Self.tableColumns(session).keys where name != "schema_migrations" {
                rows[name] = Int(try await session.rows(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(Self.quoted(name))"))
                    .first?.decode(Int64.self) ?? 0)
            }
            let money = try await session.rows(
                "SELECT COALESCE(SUM(usd_picos), 0)::bigint, COUNT(*) - COUNT(usd_picos) FROM costs").first
            var (known, unknown): (Int64, Int64) = (0, 0)
            if let money { (known, unknown) = try money.decode((Int64, Int64).self) }
            var states: [String: Int] = [:]
            for row in try await session.rows("SELECT state, COUNT(*) FROM jobs GROUP BY state") {
                let (state, count) = try row.decode((String, Int64).self)
                states[state] = Int(count)
            }
            return StoreTally(rows: rows, usdPicos: known, unknownCosts: Int(unknown), jobsByState: states)
        }
    }

    /// A column of the schema: its name, its type as `::` casts name it, and whether the database numbers it
    /// (identity or serial).
    struct TargetColumn: Sendable {
        var name: String
        var type: String
        var generated: Bool
    }

    /// The columns of each table in the current schema, in order, by table name.
    static func tableColumns(_ session: PostgresSession) async throws -> [String: [TargetColumn]] {
        var tables: [String: [TargetColumn]] = [:]
        let rows = try await session.rows("""
            SELECT c.table_name::text, c.column_name::text, c.udt_name::text,
                   (c.is_identity = 'YES' OR COALESCE(c.column_default, '') LIKE 'nextval(%') AS generated
            FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
            ORDER BY c.table_name, c.ordinal_position
            """)
        for row in rows {
            let (table, column, type, generated) = try row.decode((String, String, String, Bool).self)
            tables[table, default: []].append(TargetColumn(name: column, type: type, generated: generated))
        }
        return tables
    }

    /// Copies `table` page by page, each page one multi-row `INSERT` of at most 500 rows and 30,000 values.
    private func copy(
        _ table: StoredTable, columns: [TargetColumn], from source: SQLiteStoreSnapshot, _ session: PostgresSession
    ) async throws -> Int {
        guard !columns.isEmpty else { return 0 }
        let perPage = max(1, min(500, 30_000 / columns.count))
        let overriding = columns.contains(where: \.generated) ? " OVERRIDING SYSTEM VALUE" : ""
        let head = "INSERT INTO \(Self.quoted(table.name)) (\(columns.map { Self.quoted($0.name) }.joined(separator: ", ")))"
            + "\(overriding) VALUES "
        var after: [StoredValue]?
        var total = 0
        while true {
            let page = try await source.rows(of: table, after: after, limit: perPage)
            guard !page.rows.isEmpty else { return total }
            var bindings = PostgresBindings(capacity: page.rows.count * columns.count)
            var tuples: [String] = []
            tuples.reserveCapacity(page.rows.count)
            for row in page.rows {
                var placeholders: [String] = []
                for (index, value) in row.enumerated() {
                    if let text = Self.text(value) { bindings.append(text) } else { bindings.appendNull() }
                    placeholders.append("$\(bindings.count)::\(columns[index].type)")
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            try await session.execute(PostgresQuery(unsafeSQL: head + tuples.joined(separator: ", "), binds: bindings))
            total += page.rows.count
            after = page.last
            if page.rows.count < perPage { return total }
        }
    }

    /// A stored value as the text PostgreSQL casts to any column type: numbers in decimal, blobs as `\x` hex; nil for
    /// NULL.
    static func text(_ value: StoredValue) -> String? {
        switch value {
        case .null: return nil
        case .integer(let number): return String(number)
        case .real(let number): return number.isFinite ? "\(number)" : (number.isNaN ? "NaN" : number > 0 ? "Infinity" : "-Infinity")
        case .text(let text): return text
        case .blob(let bytes): return "\\x" + bytes.map { String(format: "%02x", $0) }.joined()
        }
    }

    /// `name` as a quoted SQL identifier.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
