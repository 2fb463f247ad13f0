import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

/// A statement of the store's hot path (enqueue, claim, complete, their events): the server parses and plans it once
/// per connection, then only binds and runs it. Its SQL is what the store's own query-building code makes (with any
/// values), so there is one source for each statement's text; `PostgresSession.rows(_:preparedAs:)` checks that the
/// query it is given has exactly that text.
protocol HotStatement {
    static var sql: String { get }
}

/// `Statement` as postgres-nio prepares it on each connection, under a name of its own, with the binds of one run.
struct PreparedHotStatement<Statement: HotStatement>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var name: String { "mediajobs." + String(describing: Statement.self) }
    static var sql: String { Statement.sql }

    let binds: PostgresBindings

    func makeBindings() -> PostgresBindings { binds }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

extension PostgresSession {
    /// Runs `query`, which must have `Statement`'s text, as that prepared statement, and returns all its rows.
    @discardableResult
    func rows<Statement: HotStatement>(_ query: PostgresQuery, preparedAs statement: Statement.Type) async throws
        -> [PostgresRow]
    {
        assert(query.sql == Statement.sql, "\(Statement.self) is prepared from other SQL than this query's")
        var rows: [PostgresRow] = []
        for try await row in try await connection.execute(
            PreparedHotStatement<Statement>(binds: query.binds), logger: logger) {
            rows.append(row)
        }
        return rows
    }
}

// The hot statements. Each is built by the same function as its runs, with placeholder values.
extension PostgresJobStore {
    enum InsertJob: HotStatement {
        static let sql = insertJobQuery(id: JobID(rawValue: ""), kind: "", specJSON: "", priority: 0, runAt: 0,
                                        maxAttempts: 0, idempotencyKey: nil, parent: nil, now: 0).sql
    }

    enum InsertEvent: HotStatement {
        static let sql = insertEventQuery(job: JobID(rawValue: ""), kind: .note, attempt: 0, worker: "", detail: "",
                                          at: 0).sql
    }

    enum ClaimAny: HotStatement {
        static let sql = claimQuery(scope: .any, worker: "", expiry: 0, now: 0, limit: 1).sql
    }

    enum ClaimQueued: HotStatement {
        static let sql = claimQuery(scope: .queued, worker: "", expiry: 0, now: 0, limit: 1).sql
    }

    enum ClaimDuePolls: HotStatement {
        static let sql = claimQuery(scope: .duePolls, worker: "", expiry: 0, now: 0, limit: 1).sql
    }

    enum Complete: HotStatement {
        static let sql = completeQuery(JobID(rawValue: ""), worker: "", route: nil, time: 0).sql
    }

    enum Notify: HotStatement {
        static let sql = notifyQuery(payload: "").sql
    }

    enum FetchJob: HotStatement {
        static let sql = fetchJobQuery(JobID(rawValue: "")).sql
    }
}
