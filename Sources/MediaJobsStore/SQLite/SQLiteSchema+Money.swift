extension SQLiteSchema {
    /// The result cache's key on each job, and the budget holds of attempts in flight.
    static let v5MoneyCacheAndBudgetHolds = """
        -- The normalised request (kind, route, input, output settings) a job was served for, as a SHA-256.
        ALTER TABLE jobs ADD COLUMN cache_key TEXT;
        CREATE INDEX jobs_by_cache_key ON jobs (cache_key, finished_at) WHERE cache_key IS NOT NULL;

        -- The estimate of the provider request a job's current attempt made, counted against budgets until the
        -- attempt's cost is recorded or the attempt ends. One row per job: a later route or attempt replaces it.
        CREATE TABLE budget_holds (
            job_id TEXT PRIMARY KEY NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            attempt INTEGER NOT NULL,
            provider TEXT NOT NULL,
            usd_nanos INTEGER NOT NULL,
            at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TRIGGER budget_holds_end AFTER UPDATE OF state ON jobs
        WHEN NEW.state IN ('succeeded', 'failed', 'canceled')
        BEGIN
            DELETE FROM budget_holds WHERE job_id = NEW.id;
        END;
        """
}
