extension SQLiteSchema {
    /// Money in pico-dollars (10⁻¹² USD), so a per-second price times a six-decimal duration is kept exactly; an
    /// unknown amount is NULL, never 0; each cost keeps the price lines that add up to it.
    static let v10PicoDollarsAndPriceLines = """
        ALTER TABLE costs ADD COLUMN usd_picos INTEGER;
        UPDATE costs SET usd_picos = CASE WHEN source = 'unknown' THEN NULL ELSE usd_nanos * 1000 END;
        ALTER TABLE costs DROP COLUMN usd_nanos;
        -- JSON array of {unit, quantity, usd_per_unit, variant, source}; quantities and prices as decimal strings.
        ALTER TABLE costs ADD COLUMN lines TEXT NOT NULL DEFAULT '[]';

        ALTER TABLE budget_holds RENAME COLUMN usd_nanos TO usd_picos;
        UPDATE budget_holds SET usd_picos = usd_picos * 1000;
        """
}
