import Foundation
import GRDB
import MediaJobsCore
@testable import MediaJobsPostgres
@testable import MediaJobsStore
import PostgresNIO
import Testing

@Suite("PostgreSQL URLs")
struct PostgresURLTests {
    @Test("a URL gives user, password, host, port and database, with libpq's defaults for what it leaves out")
    func parsesParts() throws {
        let url = try PostgresURL("postgresql://ann:p%40ss@db.example:6543/queue?sslmode=disable")
        #expect(url.username == "ann")
        #expect(url.password == "p@ss")
        #expect(url.host == "db.example")
        #expect(url.port == 6543)
        #expect(url.database == "queue")
        #expect(url.sslMode == "disable")
        #expect(url.redacted == "postgresql://ann@db.example:6543/queue?sslmode=disable")

        let bare = try PostgresURL("postgres://127.0.0.1")
        #expect(bare.username == "postgres")
        #expect(bare.password == nil)
        #expect(bare.port == 5432)
        #expect(bare.database == "postgres")
        #expect(bare.isLoopback)
    }

    @Test("the password is stripped before a URL is shown, even from text that is no URL")
    func redactsPasswords() {
        #expect(PostgresURL.redact("postgres://u:secret@h:1/d") == "postgres://u@h:1/d")
        #expect(PostgresURL.redact("postgres://u:sec:ret@h/d?password=x&sslmode=require")
                    == "postgres://u@h/d?sslmode=require")
        #expect(PostgresURL.redact("postgres://u:secret@h:notaport/d") == "postgres://u@h:notaport/d")
        #expect(PostgresURL.redact("postgres://h/d") == "postgres://h/d")
    }

    @Test("a URL of another scheme, or with an unknown sslmode, is refused naming the URL without its password")
    func refusesBadURLs() {
        for text in ["mysql://u:hunter2@h/d", "postgres://u:hunter2@h/d?sslmode=sometimes",
                     "postgres://u:hunter2@h/d?colour=blue"] {
            let error = #expect(throws: MediaJobsError.self) { try PostgresURL(text) }
            #expect(error?.code == .storeFailure)
            #expect(error?.message.contains("hunter2") == false)
            #expect(error?.message.contains("u@h/d") == true)
        }
    }

    @Test("a closed port gives store.failure naming the URL without its password")
    func closedPort() async throws {
        let port = try await closedLoopbackPort()
        let url = "postgres://postgres:hunter2@127.0.0.1:\(port)/postgres"
        let error = await #expect(throws: MediaJobsError.self) {
            _ = try await PostgresJobStore.connect(url: url)
        }
        #expect(error?.code == .storeFailure)
        #expect(error?.message.contains("hunter2") == false)
        #expect(error?.message.contains("postgres://postgres@127.0.0.1:\(port)/postgres") == true)
        #expect(error?.message.contains("could not connect") == true)
    }

    /// A loopback port nothing listens on (bound, then closed).
    private func closedLoopbackPort() async throws -> Int {
        let socket = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = socket.localAddress?.port ?? 1
        try await socket.close().get()
        return port
    }
}

@Suite("PostgreSQL connection and migrations", .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason))
struct PostgresConnectTests {
    @Test("connect applies every migration and creates the SQLite schema's tables, columns, indexes and trigger")
    func migratesToTheSQLiteSchema() async throws {
        let expected = try sqliteSchema()
        try await PostgresTestServer.withDatabase { url in
            let store = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            await store.shutdown()
            let actual = try await PostgresTestServer.withConnection(url) { session in
                var columns: [String: [String]] = [:]
                for row in try await session.rows("""
                    SELECT table_name::text, column_name::text FROM information_schema.columns
                    WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
                    """) {
                    let (table, column) = try row.decode((String, String).self)
                    columns[table, default: []].append(column)
                }
                var indexes: Set<String> = []
                for row in try await session.rows("""
                    SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey'
                    """) {
                    indexes.insert(try row.decode(String.self))
                }
                var triggers: Set<String> = []
                for row in try await session.rows(
                    "SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal") {
                    triggers.insert(try row.decode(String.self))
                }
                return SchemaShape(columns: columns, indexes: indexes, triggers: triggers)
            }
            var withMigrations = expected.columns
            withMigrations["schema_migrations"] = ["name", "applied_at"]
            #expect(actual.columns == withMigrations)
            #expect(actual.indexes == expected.indexes)
            #expect(actual.triggers == expected.triggers)

            let migrations = try await PostgresTestServer.withConnection(url) { session in
                try await session.rows("SELECT name FROM schema_migrations ORDER BY name").map {
                    try $0.decode(String.self)
                }
            }
            #expect(migrations == PostgresSchema.migrations.map(\.name).sorted())
        }
    }

    @Test("eight stores connecting to one fresh database together apply each migration exactly once")
    func concurrentMigrations() async throws {
        try await PostgresTestServer.withDatabase { url in
            let stores = try await withThrowingTaskGroup(of: PostgresJobStore.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for store in stores { await store.shutdown() }
            #expect(stores.count == 8)
            let count = try await PostgresTestServer.withConnection(url) { session in
                try await session.rows("SELECT count(*) FROM schema_migrations").first?.decode(Int.self)
            }
            #expect(count == PostgresSchema.migrations.count)
        }
    }

    @Test("connecting again to a migrated database changes nothing")
    func secondConnectIsANoOp() async throws {
        try await PostgresTestServer.withDatabase { url in
            for _ in 0..<2 {
                let store = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
                await store.shutdown()
            }
            let names = try await PostgresTestServer.withConnection(url) { session in
                try await PostgresJobStore.migrate(session, logger: PostgresTestServer.logger)
            }
            #expect(names.isEmpty)
        }
    }

    @Test("a refused login gives store.failure with the server's reason and without the password")
    func refusedLogin() async throws {
        let server = try PostgresURL(try PostgresTestServer.requireURL())
        // The test cluster trusts loopback logins whatever the password, so an unknown role is what it refuses.
        let url = "postgres://no_such_role:hunter2@\(server.host):\(server.port)/\(server.database)"
        let error = await #expect(throws: MediaJobsError.self) {
            _ = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
        }
        #expect(error?.code == .storeFailure)
        #expect(error?.message.contains("hunter2") == false)
        #expect(error?.message.contains("postgres://no_such_role@\(server.host):\(server.port)") == true)
        #expect(error?.message.contains("no_such_role\" does not exist") == true)
    }

    @Test("a store's database stays usable after shutdown of another store on it")
    func shutdownIsPerStore() async throws {
        try await PostgresTestServer.withDatabase { url in
            let first = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            let second = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            await first.shutdown()
            let value = try await second.read("count jobs") { session in
                try await session.rows("SELECT count(*) FROM jobs").first?.decode(Int.self)
            }
            #expect(value == 0)
            await second.shutdown()
        }
    }

    @Test("with keepOpen, the pool opens all its connections at the start, keeps them, and asks the server for TCP keep-alives")
    func poolConnectionsAreKept() async throws {
        try await PostgresTestServer.withDatabase { url in
            let store = try await PostgresJobStore.connect(url: url, connections: 3, keepOpen: true,
                                                        logger: PostgresTestServer.logger)
            let name = try PostgresURL(url).database
            // Opened in the background from `connect` on, without any call needing them: wait for the third.
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            var open = 0
            while clock.now < deadline {
                open = try await PostgresTestServer.withConnection(url) { session in
                    try await session.rows("""
                        SELECT count(*) FROM pg_stat_activity WHERE datname = \(name) AND pid <> pg_backend_pid()
                        """).first?.decode(Int.self) ?? 0
                }
                if open == 3 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(open == 3)
            let settings = try await store.read("read settings") { session in
                try await session.rows("""
                    SELECT name, setting FROM pg_settings WHERE name LIKE 'tcp_keepalives_%' ORDER BY name
                    """).map { try "\($0.decode((String, String).self))" }
            }
            let server = try PostgresURL(url)
            if server.socketFolder == nil {
                #expect(settings == [#"("tcp_keepalives_count", "4")"#, #"("tcp_keepalives_idle", "60")"#,
                                     #"("tcp_keepalives_interval", "15")"#], "\(settings)")
            }
            await store.shutdown()
        }
    }

    @Test("reads and writes on connections the server closed are retried on new ones")
    func lostConnectionsAreRetried() async throws {
        try await PostgresTestServer.withDatabase { url in
            let store = try await PostgresJobStore.connect(url: url, logger: PostgresTestServer.logger)
            let id = try await store.enqueue(tts(), now: t0).job.id
            // Every pooled connection of the store is killed while idle, as a restarted server or a proxy would.
            let name = try PostgresURL(url).database
            try await PostgresTestServer.withConnection(url) { session in
                try await session.execute("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = \(name) AND pid <> pg_backend_pid()
                    """)
            }
            #expect(try await store.job(id)?.id == id)
            try await PostgresTestServer.withConnection(url) { session in
                try await session.execute("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = \(name) AND pid <> pg_backend_pid()
                    """)
            }
            #expect(try await store.enqueue(tts("again"), now: t0).created)
            #expect(try await store.countsByState() == [.queued: 2])
            await store.shutdown()
        }
    }

    struct SchemaShape: Equatable {
        var columns: [String: [String]]
        var indexes: Set<String>
        var triggers: Set<String>
    }

    /// The tables (with their columns in order), indexes and triggers of a SQLite store made now.
    private func sqliteSchema() throws -> SchemaShape {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteJobStore(path: folder.appendingPathComponent("jobs.sqlite").path)
        return try store.pool.read { db in
            var columns: [String: [String]] = [:]
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                    AND name != 'grdb_migrations'
                """)
            for table in tables {
                columns[table] = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] }
            }
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            let triggers = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'")
            return SchemaShape(columns: columns, indexes: Set(indexes), triggers: Set(triggers))
        }
    }
}
