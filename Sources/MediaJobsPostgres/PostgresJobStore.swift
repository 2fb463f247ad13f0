import Foundation
import Logging
import MediaJobsCore
import MediaJobsStore
import NIOPosix
import PostgresNIO
import Synchronization

/// The job store on a PostgreSQL server, shared by worker processes on several machines: the whole `JobStore`
/// contract, with the SQLite store's semantics.
///
/// Each call is one short transaction on a connection leased from postgres-nio's pool (`PostgresClient`, run by a
/// task the store owns until `shutdown()`). A claim is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`
/// statement, so workers never wait for each other's claims nor take the same job. The schema (`PostgresSchema`) has
/// the SQLite store's tables and encodings; `connect` brings it up to date once, however many processes start
/// together.
///
/// Lost connections: a read is retried (a few times, with growing pauses) whatever failed, since it changes nothing.
/// A write runs as `BEGIN … COMMIT` and is retried only when it failed before `COMMIT` was sent (the server then rolls
/// it back, so running it again cannot apply it twice), or when the server rolled it back itself (deadlock,
/// serialization failure). A connection lost while `COMMIT` was in flight leaves the outcome unknown: that write is not
/// retried, and its `store.failure` says so.
public final class PostgresJobStore: JobStore {
    /// The server's URL without its password: what messages name.
    public let url: String
    public let retryPolicy: RetryPolicy
    let client: PostgresClient
    let logger: Logger
    let decoder: PostgresJobDecoder
    private let runner: Task<Void, Never>
    /// Wakes this process's idle workers (`waitForWork`): at the commit of this store's own changes that make a job
    /// claimable, and on other stores' notifications, which `jobsListener` hears.
    let work = WorkSignal()
    /// The store's `LISTEN` on `jobsChannel`, from `connect` to `shutdown`; it holds one of the pool's connections.
    let jobsListener = JobsListener()

    /// How many times a call that lost its connection is tried in all, and the first pause between tries (each next
    /// pause is four times longer, ± 20 %).
    static let tries = 4

    /// The event loops of this store's connections, never the process-wide group that an HTTP server in the same
    /// process (`serve`, the simulator) shares, so its busy loops never hold back a claim or a lease renewal. A store
    /// call's statements run on its connection's loop (`ConnectionCloseGuard`).
    ///
    /// A store connected with `keepOpen` (a worker's, a server's) has a loop per connection of its own: with fewer,
    /// two calls on connections that share a loop wait for each other's turns, which cost two claimers a third of
    /// their speed (docs/BENCHMARKS.md). Other stores (a command's few calls, a test's) share `sharedEventLoops`, one
    /// loop for the whole process, so that many of them at once never take more than one core.
    let eventLoops: MultiThreadedEventLoopGroup
    /// Whether `eventLoops` is this store's own (not `sharedEventLoops`), shut down with it.
    private var ownsEventLoops: Bool { eventLoops !== Self.sharedEventLoops }
    static let sharedEventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    static let firstPause: Duration = .milliseconds(50)

    private init(url: String, retryPolicy: RetryPolicy, client: PostgresClient, eventLoops: MultiThreadedEventLoopGroup,
                 logger: Logger) {
        self.url = url
        self.eventLoops = eventLoops
        self.retryPolicy = retryPolicy
        self.client = client
        self.logger = logger
        self.decoder = PostgresJobDecoder()
        runner = Task { await client.run() }
        jobsListener.start(client: client, work: work, logger: logger)
    }

    deinit {
        jobsListener.cancel()
        runner.cancel()
        if ownsEventLoops { eventLoops.shutdownGracefully { _ in } }
    }

    /// Connects to the server at `url`, brings its schema up to date, and opens a pool of `connections` connections
    /// (one of them holds the store's `LISTEN`). With `keepOpen`, what a worker or a server wants, they are all
    /// opened at the start and kept until `shutdown`, which makes each call cheaper; otherwise (a command that makes a
    /// few calls) they are opened as calls need them.
    ///
    /// `url` is `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable]` (see `PostgresURL`). One
    /// connection is made first, so a bad URL, an unreachable server or a refused login fails here, with a
    /// `store.failure` naming the URL (without its password) and the server's or the network's reason. Migrations
    /// run on that connection in one transaction under an advisory lock: of several processes starting together,
    /// one applies them and the others find them applied.
    public static func connect(
        url: String, retryPolicy: RetryPolicy = RetryPolicy(), connections: Int = 4, keepOpen: Bool = false,
        logger: Logger = Logger(label: "mediajobs.postgres")
    ) async throws -> PostgresJobStore {
        let parsed = try PostgresURL(url)
        let connections = max(1, connections)
        let eventLoops = keepOpen ? MultiThreadedEventLoopGroup(numberOfThreads: connections) : sharedEventLoops
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                on: eventLoops.any(), configuration: try parsed.connectionConfiguration(), id: 0, logger: logger)
        } catch {
            if keepOpen { try? await eventLoops.shutdownGracefully() }
            throw storeError(error, doing: "connect", url: parsed.redacted)
        }
        do {
            try await migrate(PostgresSession(connection: connection, logger: logger), logger: logger)
        } catch {
            try? await connection.close()
            if keepOpen { try? await eventLoops.shutdownGracefully() }
            throw storeError(error, doing: "migrate the schema", url: parsed.redacted)
        }
        try? await connection.close()
        let client = PostgresClient(
            configuration: parsed.clientConfiguration(connections: connections, keepOpen: keepOpen),
            eventLoopGroup: eventLoops, backgroundLogger: logger)
        let store = PostgresJobStore(url: parsed.redacted, retryPolicy: retryPolicy, client: client,
                                     eventLoops: eventLoops, logger: logger)
        // Waiters hear every notification committed after connect returns (unless the server is slow to give the
        // listener a connection: then from when it has one).
        await store.jobsListener.ready(within: .seconds(5))
        return store
    }

    /// Closes the pool's connections and ends the task that runs it. Calls made afterwards fail.
    public func shutdown() async {
        await jobsListener.stop()
        runner.cancel()
        await runner.value
        if ownsEventLoops { try? await eventLoops.shutdownGracefully() }
    }

    // MARK: - Migrations

    /// Applies the migrations that `schema_migrations` does not list, in order, in one transaction holding the
    /// advisory lock `PostgresSchema.migrationLock`; returns their names.
    @discardableResult
    static func migrate(_ session: PostgresSession, logger: Logger) async throws -> [String] {
        try await session.execute("BEGIN")
        do {
            try await session.execute("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))")
            try await session.execute(PostgresQuery(unsafeSQL: PostgresSchema.createMigrationsTable))
            var applied: Set<String> = []
            for row in try await session.rows("SELECT name FROM schema_migrations") {
                applied.insert(try row.decode(String.self))
            }
            var done: [String] = []
            for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
                for statement in migration.statements {
                    do {
                        try await session.execute(PostgresQuery(unsafeSQL: statement))
                    } catch {
                        throw MediaJobsError(
                            .storeFailure, "migration \(migration.name) failed: \(reason(error))", underlying: error)
                    }
                }
                let now = StoredTime.encode(Date())
                try await session.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (\(migration.name), \(now))")
                done.append(migration.name)
            }
            try await session.execute("COMMIT")
            let known = Set(PostgresSchema.migrations.map(\.name))
            let unknown = applied.subtracting(known)
            if !unknown.isEmpty {
                logger.notice("the database has migrations this program does not know (a newer version made them)",
                              metadata: ["migrations": "\(unknown.sorted())"])
            }
            if !done.isEmpty { logger.info("applied migrations", metadata: ["migrations": "\(done)"]) }
            return done
        } catch {
            try? await session.execute("ROLLBACK")
            throw error
        }
    }

    // MARK: - Running SQL

    /// Runs `body` in one transaction (`BEGIN … COMMIT`) on one leased connection, retrying the whole transaction when
    /// the connection was lost before `COMMIT` was sent, or the server rolled it back (deadlock, serialization
    /// failure). `what` names the operation in errors ("claim a job").
    ///
    /// `body` may run more than once: it must not change state outside the transaction. An error it throws rolls the
    /// transaction back and is passed on as is when it is a `MediaJobsError`.
    func write<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresSession) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            let committing = CommitFlag()
            do {
                return try await client.withConnection { [logger, work] connection in
                    try await ConnectionCloseGuard.run(on: connection) {
                        let session = PostgresSession(connection: connection, logger: logger)
                        try await session.execute("BEGIN")
                        let value: T
                        do {
                            value = try await body(session)
                        } catch {
                            try? await session.execute("ROLLBACK")
                            throw error
                        }
                        committing.value = true
                        try await session.execute("COMMIT")
                        // This store's waiters learn of it now; other stores' from the NOTIFY it delivered.
                        if session.notifiedJobs.isSet { work.signal() }
                        return value
                    }
                }
            } catch {
                let rolledBack = Self.isRolledBackByServer(error)
                let lost = Self.isConnectionLoss(error)
                if lost && committing.value && !rolledBack {
                    throw MediaJobsError(
                        .storeFailure,
                        "\(url): could not \(what): the connection was lost while committing, so the change may or "
                            + "may not have been applied (\(Self.reason(error)))",
                        underlying: error)
                }
                guard rolledBack || lost, attempt < Self.tries, !Task.isCancelled else {
                    throw Self.storeError(error, doing: what, url: url)
                }
                logger.warning("retrying a write", metadata: [
                    "operation": "\(what)", "attempt": "\(attempt)", "reason": "\(Self.reason(error))",
                ])
                try await Self.pause(before: attempt + 1)
                attempt += 1
            }
        }
    }

    /// Runs the reads of `body` on one leased connection, retrying when the connection is lost. With `consistent`,
    /// in one read-only REPEATABLE READ transaction, so every statement sees the same snapshot; otherwise each
    /// statement sees the latest commits.
    func read<T: Sendable>(
        _ what: String, consistent: Bool = false, _ body: @escaping @Sendable (PostgresSession) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await client.withConnection { [logger] connection in
                    try await ConnectionCloseGuard.run(on: connection) {
                        let session = PostgresSession(connection: connection, logger: logger)
                        guard consistent else { return try await body(session) }
                        try await session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                        do {
                            let value = try await body(session)
                            try await session.execute("COMMIT")
                            return value
                        } catch {
                            try? await session.execute("ROLLBACK")
                            throw error
                        }
                    }
                }
            } catch {
                guard Self.isConnectionLoss(error) || Self.isRolledBackByServer(error), attempt < Self.tries,
                      !Task.isCancelled else {
                    throw Self.storeError(error, doing: what, url: url)
                }
                logger.warning("retrying a read", metadata: [
                    "operation": "\(what)", "attempt": "\(attempt)", "reason": "\(Self.reason(error))",
                ])
                try await Self.pause(before: attempt + 1)
                attempt += 1
            }
        }
    }

    private static func pause(before attempt: Int) async throws {
        let base = firstPause * Int(pow(4, Double(attempt - 2)))
        try await Task.sleep(for: base * Double.random(in: 0.8...1.2))
    }

    /// Whether `write` may be in the middle of `COMMIT`; set just before it is sent. Read by `write` once the
    /// transaction's task has ended or its connection has closed.
    private final class CommitFlag: Sendable {
        private let flag = Atomic(false)

        var value: Bool {
            get { flag.load(ordering: .acquiring) }
            set { flag.store(newValue, ordering: .releasing) }
        }
    }

    // MARK: - Errors

    /// `error` as a `store.failure` naming the URL (without its password), the operation and the reason; a
    /// `MediaJobsError` or a cancellation passes unchanged.
    static func storeError(_ error: any Error, doing what: String, url: String) -> any Error {
        if error is MediaJobsError || error is CancellationError { return error }
        return MediaJobsError(.storeFailure, "\(url): could not \(what): \(reason(error))", underlying: error)
    }

    /// What went wrong, in words: the server's message and SQLSTATE, or the network's error. PSQLError's own
    /// description hides everything on purpose; none of these parts holds a password.
    static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                var text = message
                if let detail = error.serverInfo?[.detail] { text += " (\(detail))" }
                if let state = error.serverInfo?[.sqlState] { text += " [SQLSTATE \(state)]" }
                return text
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        if let error = error as? PostgresDecodingError {
            return "column \(error.columnName) (\(error.postgresType)) could not be read as \(error.targetType): "
                + "\(error.code)"
        }
        return "\(error)"
    }

    /// The connection broke (or the server is shutting down or starting): nothing about the statement in flight is
    /// known, but a transaction not yet committing was rolled back.
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is ConnectionCloseGuard.ConnectionClosed { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown:
            return true
        case .clientClosedConnection:
            // The pool lent a connection that had just learnt its server closed it (it is closing now): the statement
            // was never sent.
            return true
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            // Class 08: connection exception; 57P01-03: administrator, crash or startup shutdown.
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
        default:
            return false
        }
    }

    /// The server rolled the transaction back so that it can be run again: a serialization failure or a deadlock.
    static func isRolledBackByServer(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server else { return false }
        return ["40001", "40P01"].contains(error.serverInfo?[.sqlState] ?? "")
    }

    static func leaseLost(_ id: JobID) -> MediaJobsError {
        MediaJobsError(.leaseLost, "job \(id): lease is held by another worker or the job was canceled")
    }

    static func notFound(_ id: JobID) -> MediaJobsError {
        MediaJobsError(.jobNotFound, "job \(id): no such job")
    }
}

/// One leased connection, inside a transaction when the store's `write` made it. Valid only inside the closure it is
/// given to.
struct PostgresSession: Sendable {
    let connection: PostgresConnection
    let logger: Logger
    /// Set by `notifyJobs`: the store's `write` then wakes this process's waiters once the transaction commits.
    let notifiedJobs = CommitMark()

    /// Runs `query` and returns all its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await connection.query(query, logger: logger).collect()
    }

    /// Runs `query`, discarding any rows.
    func execute(_ query: PostgresQuery) async throws {
        try await rows(query)
    }
}

// The parts of the `JobStore` contract implemented in this module's other files, declared here, beside the class:
// each implies `Sendable`, which Swift wants stated in the class's own file.
extension PostgresJobStore: JobLookup, JobStory, ArtifactIndex {}
