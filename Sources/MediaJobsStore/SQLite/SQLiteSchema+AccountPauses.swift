extension SQLiteSchema {
    /// Providers whose account refused a key (401, 403) or has no credit (402), shared by every worker on the file.
    /// - `key_fingerprint`: `sha256:` and 8 hex digits of the refused key (never the key); a worker with another key
    ///   ignores the pause.
    /// - `recheck_at`: when a 402's pause lapses by itself (NULL: only a new key or `providers resume` ends it).
    static let v14AccountPauses = """
        CREATE TABLE provider_account_pauses (
            provider TEXT PRIMARY KEY NOT NULL,
            code TEXT NOT NULL,
            detail TEXT NOT NULL,
            key_fingerprint TEXT NOT NULL,
            since INTEGER NOT NULL,
            recheck_at INTEGER
        ) WITHOUT ROWID;
        """
}
