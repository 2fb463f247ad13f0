import Foundation
import GRDB
import MediaJobsCore

/// The whole SQLite store as it was at one instant, read table by table for a copy to another database
/// (`mediajobs migrate`).
///
/// Every read runs in one read transaction, held by a connection of its own (a GRDB `DatabaseSnapshot`) until the
/// snapshot is released: writes that other processes commit meanwhile are not seen, so every table is read as of the
/// same commit. Rows come in pages, in primary-key order (`rowid` for a table without one), so a large store is never
/// held in memory whole.
public final class SQLiteStoreSnapshot: Sendable {
    /// The database file.
    public let path: String
    /// The store's tables (not SQLite's nor GRDB's own), each after the tables its foreign keys name.
    public let tables: [StoredTable]
    private let snapshot: DatabaseSnapshot
    /// The columns that order each table's rows and page through them, by table name.
    private let keys: [String: [String]]

    init(path: String, snapshot: DatabaseSnapshot) throws {
        self.path = path
        self.snapshot = snapshot
        let found = try snapshot.read { db -> (tables: [StoredTable], keys: [String: [String]]) in
            let names = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master
                WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'grdb\\_%' ESCAPE '\\'
                ORDER BY name
                """)
            var tables: [String: StoredTable] = [:]
            var keys: [String: [String]] = [:]
            var parents: [String: Set<String>] = [:]
            for name in names {
                let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(name.quotedDatabaseIdentifier))")
                tables[name] = StoredTable(name: name, columns: columns.map { $0["name"] })
                let primaryKey = columns.filter { ($0["pk"] as Int) > 0 }.sorted { ($0["pk"] as Int) < ($1["pk"] as Int) }
                keys[name] = primaryKey.isEmpty ? ["rowid"] : primaryKey.map { $0["name"] }
                let references = try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\(name.quotedDatabaseIdentifier))")
                parents[name] = Set(references.map { $0["table"] as String }).subtracting([name])
            }
            return (SQLiteStoreSnapshot.parentsFirst(tables, parents: parents), keys)
        }
        tables = found.tables
        keys = found.keys
    }

    /// `tables` ordered so that each comes after every table it references (by name among equals).
    static func parentsFirst(_ tables: [String: StoredTable], parents: [String: Set<String>]) -> [StoredTable] {
        var ordered: [StoredTable] = []
        var placed: Set<String> = []
        var remaining = tables.keys.sorted()
        while !remaining.isEmpty {
            let ready = remaining.filter { parents[$0, default: []].subtracting(placed).intersection(tables.keys).isEmpty }
            // A cycle (none in the schema) cannot be ordered: take the rest as they come.
            let next = ready.isEmpty ? remaining : ready
            for name in next {
                ordered.append(tables[name]!)
                placed.insert(name)
            }
            remaining.removeAll { placed.contains($0) }
        }
        return ordered
    }

    /// Up to `limit` rows of `table` (values in the order of its columns) that come after `after`, the key of the last
    /// row of the previous page (nil: from the start), and the key of this page's last row.
    public func rows(of table: StoredTable, after: [StoredValue]?, limit: Int) async throws
        -> (rows: [[StoredValue]], last: [StoredValue]?)
    {
        let key = keys[table.name] ?? ["rowid"]
        let columns = (table.columns + key).map(\.quotedDatabaseIdentifier).joined(separator: ", ")
        let keyList = key.map(\.quotedDatabaseIdentifier).joined(separator: ", ")
        var sql = "SELECT \(columns) FROM \(table.name.quotedDatabaseIdentifier)"
        var arguments = StatementArguments()
        if let after {
            sql += " WHERE (\(keyList)) > (\(Array(repeating: "?", count: key.count).joined(separator: ", ")))"
            arguments = StatementArguments(after.map(SQLiteStoreSnapshot.databaseValue))
        }
        sql += " ORDER BY \(keyList) LIMIT \(limit)"
        let width = table.columns.count
        let path = self.path
        let statement = sql
        let values = arguments
        do {
            return try await snapshot.read { db in
                var rows: [[StoredValue]] = []
                var last: [StoredValue]?
                let cursor = try Row.fetchCursor(db, sql: statement, arguments: values)
                while let row = try cursor.next() {
                    let values = Array(row.databaseValues.map(SQLiteStoreSnapshot.storedValue))
                    rows.append(Array(values[..<width]))
                    last = Array(values[width...])
                }
                return (rows, last)
            }
        } catch {
            throw SQLiteJobStore.storeError(error, doing: "read table \(table.name)", path: path)
        }
    }

    /// The rows of every table, the ledger's known total and unknown amounts, and jobs per state, as of the snapshot.
    public func tally() async throws -> StoreTally {
        let tables = self.tables
        do {
            return try await snapshot.read { db in
                var rows: [String: Int] = [:]
                for table in tables {
                    rows[table.name] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.name.quotedDatabaseIdentifier)")
                }
                let money = try Row.fetchOne(
                    db, sql: "SELECT COALESCE(SUM(usd_picos), 0) AS known, COUNT(*) - COUNT(usd_picos) AS unknown FROM costs")
                var states: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
                    states[row["state"]] = row["n"]
                }
                return StoreTally(rows: rows, usdPicos: money?["known"] ?? 0, unknownCosts: money?["unknown"] ?? 0,
                                  jobsByState: states)
            }
        } catch {
            throw SQLiteJobStore.storeError(error, doing: "count the rows", path: path)
        }
    }

    static func storedValue(_ value: DatabaseValue) -> StoredValue {
        switch value.storage {
        case .null: return .null
        case .int64(let number): return .integer(number)
        case .double(let number): return .real(number)
        case .string(let text): return .text(text)
        case .blob(let data): return .blob([UInt8](data))
        }
    }

    static func databaseValue(_ value: StoredValue) -> DatabaseValue {
        switch value {
        case .null: return .null
        case .integer(let number): return number.databaseValue
        case .real(let number): return number.databaseValue
        case .text(let text): return text.databaseValue
        case .blob(let bytes): return Data(bytes).databaseValue
        }
    }
}

extension SQLiteJobStore {
    /// Moves what the write-ahead log holds into the database file (as far as other readers allow), then opens a
    /// snapshot of the whole store as it now is.
    public func snapshot() throws -> SQLiteStoreSnapshot {
        do {
            _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            return try SQLiteStoreSnapshot(path: path, snapshot: try pool.makeSnapshot())
        } catch {
            throw SQLiteJobStore.storeError(error, doing: "read a snapshot", path: path)
        }
    }
}
