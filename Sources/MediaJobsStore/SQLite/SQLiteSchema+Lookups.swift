import GRDB

extension SQLiteSchema {
    /// What a look-up of a possibly lost submission needs, and what it found.
    ///
    /// - `jobs.submission_started_at`, `jobs.submission_route`: when the attempt in `submission_attempt` marked its
    ///   create request, and the route ("provider/model") it was sent to.
    /// - `submission_risks.submitted_at`, `.route`: the same, copied by the rescue that records the risk (rows from
    ///   before this migration take them from their `submission started` event).
    /// - `submission_risks.resolution`: NULL while nobody looked; `found_at_provider` when the provider still held
    ///   the generation and the job adopted it instead of sending it again; `absent_at_provider` when the provider
    ///   listed no such generation (the create request never landed, nothing was charged). With
    ///   `resolution_detail` (what was found) and `resolved_at`.
    static let v9SubmissionLookups = """
        ALTER TABLE jobs ADD COLUMN submission_started_at INTEGER;
        ALTER TABLE jobs ADD COLUMN submission_route TEXT;
        ALTER TABLE submission_risks ADD COLUMN submitted_at INTEGER;
        ALTER TABLE submission_risks ADD COLUMN route TEXT;
        ALTER TABLE submission_risks ADD COLUMN resolution TEXT;
        ALTER TABLE submission_risks ADD COLUMN resolution_detail TEXT;
        ALTER TABLE submission_risks ADD COLUMN resolved_at INTEGER;

        UPDATE submission_risks SET submitted_at = (
            SELECT e.at FROM job_events e
            WHERE e.job_id = submission_risks.job_id AND e.attempt = submission_risks.attempt
                AND e.detail LIKE 'submission started: %'
            ORDER BY e.id DESC LIMIT 1);
        UPDATE submission_risks SET route = (
            SELECT substr(e.detail, 21) FROM job_events e
            WHERE e.job_id = submission_risks.job_id AND e.attempt = submission_risks.attempt
                AND e.detail LIKE 'submission started: %'
            ORDER BY e.id DESC LIMIT 1);
        """
}
