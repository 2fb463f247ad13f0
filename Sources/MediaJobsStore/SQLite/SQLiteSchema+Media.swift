import GRDB

extension SQLiteSchema {
    /// The media checks made on each output before it was stored, as a JSON array of
    /// `{name, subject, passed, detail}`. Kept on the link between a job and an artifact, not on the
    /// artifact: the same bytes may be checked against different jobs' requests.
    static let v6MediaArtifactChecks = """
        ALTER TABLE job_artifacts ADD COLUMN checks TEXT NOT NULL DEFAULT '[]';
        """
}
