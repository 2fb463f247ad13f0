import GRDB

extension SQLiteSchema {
    /// Events clustered by job: one B-tree keyed `(job_id, id)` instead of a rowid table, its
    /// `(job_id, id)` index and the AUTOINCREMENT counter row. Every write of the queue appends an
    /// event, and each of those three structures was one more page written to the log per commit.
    ///
    /// Ids now count per job (`MAX(id) + 1` within the job, under the write lock), so they still
    /// only increase per job, which is what `events(_:after:)` needs; existing events keep their ids.
    static let v3ClusteredEvents = """
        CREATE TABLE job_events_v3 (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            id INTEGER NOT NULL,
            at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            worker TEXT,
            detail TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (job_id, id)
        ) WITHOUT ROWID;
        INSERT INTO job_events_v3 (job_id, id, at, kind, attempt, worker, detail)
            SELECT job_id, id, at, kind, attempt, worker, detail FROM job_events;
        DROP TABLE job_events;
        ALTER TABLE job_events_v3 RENAME TO job_events;
        """

    /// Appends an event to job `?1`: `?2` at, `?3` kind, `?4` attempt, `?5` worker, `?6` detail.
    static let insertEventSQL = """
        INSERT INTO job_events (job_id, id, at, kind, attempt, worker, detail)
        VALUES (?1, (SELECT COALESCE(MAX(id), 0) + 1 FROM job_events WHERE job_id = ?1), ?2, ?3, ?4, ?5, ?6)
        """
}
