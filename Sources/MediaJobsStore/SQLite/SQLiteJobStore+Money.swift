import Foundation
import GRDB
import MediaJobsCore

// The result cache's keys and the budget ledger.
extension SQLiteJobStore {
    public func setCacheKey(_ id: JobID, key: String) async throws {
        try await write("record a job's cache key") { db in
            try db.execute(sql: "UPDATE jobs SET cache_key = ? WHERE id = ?", arguments: [key, id.rawValue])
        }
    }

    public func cacheCandidates(key: String, excluding id: JobID, limit: Int) async throws -> [JobID] {
        try await read("look up the result cache") { db in
            let statement = try db.cachedStatement(sql: """
                SELECT id FROM jobs
                WHERE cache_key = ? AND state = 'succeeded' AND id != ?
                ORDER BY finished_at DESC LIMIT ?
                """)
            return try String.fetchAll(statement, arguments: [key, id.rawValue, max(0, limit)]).map { JobID(rawValue: $0) }
        }
    }

    public func reserveBudget(_ hold: BudgetHold, limits: [BudgetLimit], now: Date) async throws -> BudgetDecision {
        let time = StoredTime.encode(now)
        return try await write("check budgets") { db in
            // Inside the write transaction: two workers cannot both take the last of a budget.
            for limit in limits {
                let provider = limit.provider
                let spent = try Int64.fetchOne(db, sql: """
                    SELECT COALESCE(SUM(usd_picos), 0) FROM costs WHERE at >= ?1 AND (?2 IS NULL OR provider = ?2)
                    """, arguments: [StoredTime.encode(limit.since), provider]) ?? 0
                let held = try Int64.fetchOne(db, sql: """
                    SELECT COALESCE(SUM(h.usd_picos), 0)
                    FROM budget_holds h JOIN jobs j ON j.id = h.job_id
                    WHERE h.job_id != ?1 AND (?2 IS NULL OR h.provider = ?2)
                      AND j.state IN ('running', 'waiting') AND j.attempts = h.attempt
                      AND NOT EXISTS (SELECT 1 FROM costs c WHERE c.job_id = h.job_id AND c.attempt = h.attempt)
                    """, arguments: [hold.jobID.rawValue, provider]) ?? 0
                if spent + held + hold.usd.picos > limit.limit.picos {
                    return .refused(limit: limit, spent: Money(picos: spent), inFlight: Money(picos: held))
                }
            }
            try db.execute(sql: """
                INSERT INTO budget_holds (job_id, attempt, provider, usd_picos, at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (job_id) DO UPDATE SET attempt = excluded.attempt, provider = excluded.provider,
                    usd_picos = excluded.usd_picos, at = excluded.at
                """, arguments: [hold.jobID.rawValue, hold.attempt, hold.provider, hold.usd.picos, time])
            return .reserved
        }
    }
}
