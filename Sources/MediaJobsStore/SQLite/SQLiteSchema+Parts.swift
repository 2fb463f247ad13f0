import GRDB

extension SQLiteSchema {
    /// A job made of parts (a long text spoken in pieces, a long recording transcribed in pieces): each part is a job
    /// of its own whose `parent_id` names the job it is a part of. The index finds a parent's parts (its progress,
    /// cancelling them with it); jobs of their own, the most, are not in it.
    static let v16Parts = """
        ALTER TABLE jobs ADD COLUMN parent_id TEXT;
        CREATE INDEX jobs_parent ON jobs (parent_id) WHERE parent_id IS NOT NULL;
        """
}
