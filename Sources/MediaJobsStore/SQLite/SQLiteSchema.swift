import GRDB

/// The SQLite schema, as a list of migrations applied in order (`v1`, `v2`, …).
///
/// Times are INTEGER microseconds since 1970 (UTC); money is INTEGER pico-dollars (NULL when unknown, since v10); specs, units
/// and labels are JSON text. Never edit a migration that has shipped: add the next one.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2-batches") { db in
            try db.execute(sql: v2Batches)
        }
        migrator.registerMigration("v3-clustered-events") { db in
            try db.execute(sql: v3ClusteredEvents)
        }
        migrator.registerMigration("v4-orch-scheduling") { db in
            try db.execute(sql: v4OrchScheduling)
        }
        migrator.registerMigration("v8-batch-local-outcomes") { db in
            try db.execute(sql: v8BatchLocalOutcomes)
        }
        migrator.registerMigration("v5-money-cache-and-budget-holds") { db in
            try db.execute(sql: v5MoneyCacheAndBudgetHolds)
        }
        migrator.registerMigration("v6-media-artifact-checks") { db in
            try db.execute(sql: v6MediaArtifactChecks)
        }
        migrator.registerMigration("v9-submission-lookups") { db in
            try db.execute(sql: v9SubmissionLookups)
        }
        migrator.registerMigration("v10-pico-dollars-and-price-lines") { db in
            try db.execute(sql: v10PicoDollarsAndPriceLines)
        }
        migrator.registerMigration("v13-cost-outcomes") { db in
            try db.execute(sql: v13CostOutcomes)
        }
        migrator.registerMigration("v14-account-pauses") { db in
            try db.execute(sql: v14AccountPauses)
        }
        migrator.registerMigration("v15-route-used") { db in
            try db.execute(sql: v15RouteUsed)
        }
        migrator.registerMigration("v16-parts") { db in
            try db.execute(sql: v16Parts)
        }
        return migrator
    }

    static let v1 = """
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY NOT NULL,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            spec TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            run_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            lease_owner TEXT,
            lease_expires_at INTEGER,
            stage TEXT,
            error_code TEXT,
            error_message TEXT,
            provider_handle TEXT,
            poll_at INTEGER,
            idempotency_key TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            finished_at INTEGER
        );
        -- The claim: runnable jobs in the order they are taken, without a sort.
        CREATE INDEX jobs_runnable ON jobs (priority DESC, run_at) WHERE state IN ('queued', 'waiting');
        -- Rescue of crashed workers' jobs.
        CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE state = 'running';
        CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;

        CREATE TABLE job_labels (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (job_id, name)
        ) WITHOUT ROWID;
        CREATE INDEX job_labels_by_value ON job_labels (name, value, job_id);

        CREATE TABLE job_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            worker TEXT,
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX job_events_by_job ON job_events (job_id, id);

        CREATE TABLE artifacts (
            sha256 TEXT PRIMARY KEY NOT NULL,
            mime TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            format TEXT NOT NULL,
            duration_s REAL,
            width INTEGER,
            height INTEGER,
            codec TEXT,
            created_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE job_artifacts (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            sha256 TEXT NOT NULL REFERENCES artifacts (sha256),
            role TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (job_id, sha256, role)
        ) WITHOUT ROWID;
        CREATE INDEX job_artifacts_by_sha256 ON job_artifacts (sha256);

        CREATE TABLE costs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            attempt INTEGER NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            units TEXT NOT NULL,
            usd_nanos INTEGER NOT NULL,
            source TEXT NOT NULL,
            charged INTEGER NOT NULL,
            raw_usage TEXT,
            at INTEGER NOT NULL
        );
        CREATE INDEX costs_by_job ON costs (job_id, id);
        CREATE INDEX costs_by_time ON costs (at);

        CREATE TABLE workers (
            id TEXT PRIMARY KEY NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            concurrency INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            heartbeat_at INTEGER NOT NULL
        );
        """
}
