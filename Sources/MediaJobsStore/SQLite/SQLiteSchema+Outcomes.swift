extension SQLiteSchema {
    /// Every request a provider may have billed is in the ledger from the moment it is sent.
    /// - `costs.outcome`: `answered`, or `unknown` when the request was sent and its answer never arrived whole (cut
    ///   mid-body, timed out, or its worker died first). An unknown one counts in the totals until a look-up at the
    ///   provider settles its submission risk; it then stops being `charged`.
    /// - `jobs.submission_cost`: what the create request in flight would cost (JSON: provider, model, units, amount,
    ///   source, price lines), written with `submission_attempt` before it is sent, so the rescue of a worker that
    ///   died with it in flight can put it in the ledger.
    static let v13CostOutcomes = """
        ALTER TABLE costs ADD COLUMN outcome TEXT NOT NULL DEFAULT 'answered';
        ALTER TABLE jobs ADD COLUMN submission_cost TEXT;
        """
}
