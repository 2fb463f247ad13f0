import GRDB

extension SQLiteSchema {
    /// Separate claim orders for the two worker pools, the per-provider state every worker process shares, and the
    /// record of submissions whose outcome a crash left unknown.
    ///
    /// - `jobs_due_polls`: the poll pool takes waiting jobs in `run_at` (= `poll_at`) order, an index range scan
    ///   that stops at the first job not yet due, however many jobs wait.
    /// - `jobs_queued`: the work pool takes queued jobs in claim order.
    /// - `provider_state`: `paused_until` (set from a 429's `Retry-After`) per provider.
    /// - `provider_slots`: requests in flight per provider, each a lease that lapses if its process dies.
    /// - `provider_requests`: start times of recent requests, for requests-per-minute limits.
    /// - `jobs.submission_attempt`: the attempt whose create request was sent (set before sending).
    /// - `submission_risks`: one row per attempt that sent a create request and was lost before its answer was
    ///   stored: the provider may have made (and billed) a generation that is then made again.
    static let v4OrchScheduling = """
        CREATE INDEX jobs_due_polls ON jobs (run_at) WHERE state = 'waiting';
        CREATE INDEX jobs_queued ON jobs (priority DESC, run_at) WHERE state = 'queued';
        ALTER TABLE jobs ADD COLUMN submission_attempt INTEGER;

        CREATE TABLE provider_state (
            provider TEXT PRIMARY KEY NOT NULL,
            paused_until INTEGER NOT NULL DEFAULT 0,
            pause_reason TEXT
        ) WITHOUT ROWID;

        CREATE TABLE provider_slots (
            provider TEXT NOT NULL,
            permit TEXT NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (provider, permit)
        ) WITHOUT ROWID;

        CREATE TABLE provider_requests (
            provider TEXT NOT NULL,
            at INTEGER NOT NULL
        );
        CREATE INDEX provider_requests_by_time ON provider_requests (provider, at);

        CREATE TABLE submission_risks (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            attempt INTEGER NOT NULL,
            at INTEGER NOT NULL,
            detail TEXT NOT NULL,
            PRIMARY KEY (job_id, attempt)
        ) WITHOUT ROWID;
        """
}
