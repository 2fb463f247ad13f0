/// The PostgreSQL schema, as an ordered list of named migrations applied once each (`schema_migrations` records
/// them) under an advisory lock, so any number of processes may start together.
///
/// The tables, columns and indexes are those of the SQLite schema at its head (`SQLiteSchema`, v1 to v16), with the
/// same encodings, so rows read the same on both: times are BIGINT microseconds since 1970 (UTC), money BIGINT
/// pico-dollars (NULL when unknown), specs, units, price lines, checks and labels JSON text. Never edit a migration
/// that has shipped: append the next one to `migrations`.
enum PostgresSchema {
    /// One step of the schema: its statements run in order, in the transaction that records `name`.
    struct Migration: Sendable {
        var name: String
        var statements: [String]
    }

    /// Every migration, in the order they apply.
    static let migrations: [Migration] = [
        Migration(name: "v1-sqlite-v15", statements: v1),
        Migration(name: "v2-parts", statements: v2Parts),
    ]

    /// The key of the advisory lock that migrations take (`pg_advisory_xact_lock`): "mediajob" in ASCII.
    static let migrationLock: Int64 = 0x6D65_6469_616A_6F62

    static let createMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            name TEXT PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )
        """

    /// The SQLite schema at v15, in one step.
    static let v1: [String] = [
        """
        CREATE TABLE jobs (
            -- Byte order, as in SQLite, whatever the database's collation: lists page by id.
            id TEXT COLLATE "C" PRIMARY KEY,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            spec TEXT NOT NULL,
            priority BIGINT NOT NULL DEFAULT 0,
            run_at BIGINT NOT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            max_attempts BIGINT NOT NULL,
            lease_owner TEXT,
            lease_expires_at BIGINT,
            stage TEXT,
            error_code TEXT,
            error_message TEXT,
            provider_handle TEXT,
            poll_at BIGINT,
            idempotency_key TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            finished_at BIGINT,
            -- The attempt whose create request was sent (set before sending), when it was marked, its route
            -- ("provider/model") and what it would cost (JSON, see CostRow.encodeSent).
            submission_attempt BIGINT,
            -- The normalised request (kind, route, input, output settings) a job was served for, as a SHA-256.
            cache_key TEXT,
            submission_started_at BIGINT,
            submission_route TEXT,
            submission_cost TEXT,
            -- The route that made a succeeded job's result; NULL when not known.
            route_used_provider TEXT,
            route_used_model TEXT,
            route_used_cache_hit_of TEXT
        )
        """,
        // The claim of either pool: runnable jobs in the order they are taken. A waiting job's `run_at` is its
        // `poll_at` (set together by `wait`, and made due together by the rescue and the deadline sweep), so one
        // index in `run_at` serves both.
        "CREATE INDEX jobs_runnable ON jobs (priority DESC, run_at) WHERE state IN ('queued', 'waiting')",
        // The work pool's claim (queued jobs by priority, then age) and the poll pool's (due waiting jobs, earliest
        // first): index range scans that stop at the first job not yet due.
        "CREATE INDEX jobs_queued ON jobs (priority DESC, run_at) WHERE state = 'queued'",
        "CREATE INDEX jobs_due_polls ON jobs (run_at) WHERE state = 'waiting'",
        // Rescue of crashed workers' jobs.
        "CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE state = 'running'",
        "CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL",
        "CREATE INDEX jobs_by_cache_key ON jobs (cache_key, finished_at) WHERE cache_key IS NOT NULL",

        """
        CREATE TABLE job_labels (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (job_id, name)
        )
        """,
        "CREATE INDEX job_labels_by_value ON job_labels (name, value, job_id)",

        // Ids count per job (`MAX(id) + 1` within the job, written while holding the job's row lock), so a reader
        // following `events(_:after:)` never misses an event committed late with a smaller id.
        """
        CREATE TABLE job_events (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            id BIGINT NOT NULL,
            at BIGINT NOT NULL,
            kind TEXT NOT NULL,
            attempt BIGINT NOT NULL,
            worker TEXT,
            detail TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (job_id, id)
        )
        """,

        """
        CREATE TABLE artifacts (
            sha256 TEXT PRIMARY KEY,
            mime TEXT NOT NULL,
            bytes BIGINT NOT NULL,
            format TEXT NOT NULL,
            duration_s DOUBLE PRECISION,
            width BIGINT,
            height BIGINT,
            codec TEXT,
            created_at BIGINT NOT NULL
        )
        """,
        // `checks`: the media checks made on the output before it was stored, JSON `[{name, subject, passed,
        // detail}]`; on the link, since the same bytes may be checked against different jobs' requests.
        """
        CREATE TABLE job_artifacts (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            sha256 TEXT NOT NULL REFERENCES artifacts (sha256),
            role TEXT NOT NULL,
            position BIGINT NOT NULL,
            checks TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (job_id, sha256, role)
        )
        """,
        "CREATE INDEX job_artifacts_by_sha256 ON job_artifacts (sha256)",

        // `usd_picos` NULL when unknown; `lines` the price lines (JSON, decimal strings); `outcome` `answered` or
        // `unknown` (sent, answer never arrived whole).
        """
        CREATE TABLE costs (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            attempt BIGINT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            units TEXT NOT NULL,
            source TEXT NOT NULL,
            charged BOOLEAN NOT NULL,
            raw_usage TEXT,
            at BIGINT NOT NULL,
            usd_picos BIGINT,
            lines TEXT NOT NULL DEFAULT '[]',
            outcome TEXT NOT NULL DEFAULT 'answered'
        )
        """,
        "CREATE INDEX costs_by_job ON costs (job_id, id)",
        "CREATE INDEX costs_by_time ON costs (at)",

        """
        CREATE TABLE workers (
            id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid BIGINT NOT NULL,
            concurrency BIGINT NOT NULL,
            started_at BIGINT NOT NULL,
            heartbeat_at BIGINT NOT NULL
        )
        """,

        """
        CREATE TABLE batches (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            source TEXT NOT NULL,
            out TEXT NOT NULL,
            request TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX batches_created ON batches (created_at)",
        // `outcome`, `input_sha256`, `result_sha256`: entries a batch does itself, without a job (`batch convert`).
        """
        CREATE TABLE batch_entries (
            batch_id TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
            position BIGINT NOT NULL,
            input TEXT NOT NULL,
            output TEXT NOT NULL,
            job_id TEXT REFERENCES jobs (id),
            rejection TEXT,
            outcome TEXT,
            input_sha256 TEXT,
            result_sha256 TEXT,
            PRIMARY KEY (batch_id, position)
        )
        """,

        // The estimate of the provider request a job's current attempt made, counted against budgets until the
        // attempt's cost is recorded or the attempt ends. One row per job: a later route or attempt replaces it.
        """
        CREATE TABLE budget_holds (
            job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
            attempt BIGINT NOT NULL,
            provider TEXT NOT NULL,
            usd_picos BIGINT NOT NULL,
            at BIGINT NOT NULL
        )
        """,
        """
        CREATE FUNCTION budget_holds_end() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM budget_holds WHERE job_id = NEW.id;
            RETURN NULL;
        END;
        $$
        """,
        """
        CREATE TRIGGER budget_holds_end AFTER UPDATE OF state ON jobs
        FOR EACH ROW WHEN (NEW.state IN ('succeeded', 'failed', 'canceled'))
        EXECUTE FUNCTION budget_holds_end()
        """,

        // `paused_until` (from a 429's Retry-After) per provider.
        """
        CREATE TABLE provider_state (
            provider TEXT PRIMARY KEY,
            paused_until BIGINT NOT NULL DEFAULT 0,
            pause_reason TEXT
        )
        """,
        // Requests in flight per provider, each a lease that lapses if its process dies.
        """
        CREATE TABLE provider_slots (
            provider TEXT NOT NULL,
            permit TEXT NOT NULL,
            expires_at BIGINT NOT NULL,
            PRIMARY KEY (provider, permit)
        )
        """,
        // Start times of recent requests, for requests-per-minute limits.
        """
        CREATE TABLE provider_requests (
            provider TEXT NOT NULL,
            at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX provider_requests_by_time ON provider_requests (provider, at)",

        // One row per attempt that sent a create request and was lost before its answer was stored, and what a
        // look-up at the provider settled (`resolution`: NULL, `found_at_provider` or `absent_at_provider`).
        """
        CREATE TABLE submission_risks (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            attempt BIGINT NOT NULL,
            at BIGINT NOT NULL,
            detail TEXT NOT NULL,
            submitted_at BIGINT,
            route TEXT,
            resolution TEXT,
            resolution_detail TEXT,
            resolved_at BIGINT,
            PRIMARY KEY (job_id, attempt)
        )
        """,

        // Providers whose account refused a key (401, 403) or has no credit (402), shared by every worker.
        // `key_fingerprint`: `sha256:` and 8 hex digits of the refused key (never the key); `recheck_at`: when a
        // 402's pause lapses by itself (NULL: only a new key or `providers resume` ends it).
        """
        CREATE TABLE provider_account_pauses (
            provider TEXT PRIMARY KEY,
            code TEXT NOT NULL,
            detail TEXT NOT NULL,
            key_fingerprint TEXT NOT NULL,
            since BIGINT NOT NULL,
            recheck_at BIGINT
        )
        """,
    ]

    /// SQLite's v16: a job made of parts (a long text spoken in pieces, a long recording transcribed in pieces) has
    /// parts that are jobs of their own, whose `parent_id` names it. The index finds a parent's parts (to list them,
    /// to cancel them with it); jobs of their own, the most, are not in it. Adding a column without a default
    /// rewrites no rows.
    static let v2Parts: [String] = [
        "ALTER TABLE jobs ADD COLUMN parent_id TEXT",
        "CREATE INDEX jobs_parent ON jobs (parent_id) WHERE parent_id IS NOT NULL",
    ]
}
