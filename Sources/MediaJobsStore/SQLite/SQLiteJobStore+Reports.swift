import Foundation
import GRDB
import MediaJobsCore

// Reads for reports and the HTTP server: changes since a time, cost lines for grouping, batch progress.
extension SQLiteJobStore {
    /// Jobs whose row changed at or after `since`, oldest change first, at most `limit`.
    ///
    /// Callers keep the ids they saw at the last `updated_at` to skip them next time.
    public func jobs(updatedSince since: Date, limit: Int) async throws -> [Job] {
        let time = StoredTime.encode(since)
        return try await read("list changed jobs") { db in
            try self.fetchJobs(try db.cachedStatement(sql: """
                SELECT \(jobColumns) FROM jobs WHERE updated_at >= ? ORDER BY updated_at, id LIMIT ?
                """), [time, max(0, limit)])
        }
    }

    /// Cost records in `[since, until)` with their job's kind and, when `label` is given, that label's value.
    public func costLines(since: Date?, until: Date?, label: String?) async throws -> [CostLine] {
        let lower = since.map(StoredTime.encode) ?? Int64.min
        let upper = until.map(StoredTime.encode) ?? Int64.max
        return try await read("read cost lines") { db in
            let columns = CostRow.columns.split(separator: ",").map { "c." + $0.trimmingCharacters(in: .whitespaces) }
                .joined(separator: ", ")
            let statement = try db.cachedStatement(sql: """
                SELECT \(columns), j.kind, l.value, json_extract(j.spec, '$.provider'), json_extract(j.spec, '$.model'),
                       j.state, j.route_used_provider, j.route_used_model, j.parent_id
                FROM costs c JOIN jobs j ON j.id = c.job_id
                LEFT JOIN job_labels l ON l.job_id = c.job_id AND l.name = ?
                WHERE c.at >= ? AND c.at < ? ORDER BY c.at, c.id
                """)
            return try Row.fetchAll(statement, arguments: [label ?? "", lower, upper]).map { row in
                let kindText: String = try row.decode(atIndex: 12)
                guard let kind = JobKind(rawValue: kindText) else {
                    throw MediaJobsError(.storeFailure, "\(self.path): a job holds an unknown kind '\(kindText)'")
                }
                let asked = Route(provider: try row.decode(String?.self, atIndex: 14) ?? JobSpec.defaultProvider,
                                  model: try row.decode(String?.self, atIndex: 15))
                let used = try row.decode(String?.self, atIndex: 17).map { provider in
                    Route(provider: provider, model: try row.decode(String?.self, atIndex: 18)).description
                }
                let succeeded = try row.decode(String.self, atIndex: 16) == JobState.succeeded.rawValue
                return CostLine(record: try CostRow.decode(row), kind: kind,
                                label: label == nil ? nil : try row.decode(String?.self, atIndex: 13),
                                routeAsked: asked.description, routeUsed: used ?? (succeeded ? "unknown" : ""),
                                parent: try row.decode(String?.self, atIndex: 19).map { JobID(rawValue: $0) })
            }
        }
    }

    /// The progress of batch `id`: each entry counted by its job's state, the cost of its distinct jobs.
    public func batchProgress(_ id: String) async throws -> BatchProgress {
        try await read("read a batch's progress") { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(*),
                       COUNT(DISTINCT e.job_id),
                       COALESCE(SUM(j.state = 'succeeded' OR e.outcome = 'done'), 0),
                       COALESCE(SUM(j.state IN ('failed', 'canceled') OR e.outcome = 'failed'), 0),
                       COALESCE(SUM(j.state IN ('queued', 'running', 'waiting')), 0),
                       COALESCE(SUM(e.job_id IS NULL AND e.outcome IS NULL), 0)
                FROM batch_entries e LEFT JOIN jobs j ON j.id = e.job_id
                WHERE e.batch_id = ?
                """, arguments: [id])
            // A job split into parts costs what its parts cost.
            let cost = try Row.fetchOne(db, sql: """
                WITH batch_jobs AS (SELECT DISTINCT job_id FROM batch_entries WHERE batch_id = ?1 AND job_id IS NOT NULL)
                SELECT COALESCE(SUM(usd_picos), 0), COUNT(usd_picos), COUNT(*) - COUNT(usd_picos) FROM costs
                WHERE job_id IN (SELECT job_id FROM batch_jobs)
                   OR job_id IN (SELECT id FROM jobs WHERE parent_id IN (SELECT job_id FROM batch_jobs))
                """, arguments: [id])
            let total = CostTotal(known: Money(picos: cost?[0] ?? 0), knownRecords: cost?[1] ?? 0, unknown: cost?[2] ?? 0)
            return BatchProgress(
                inputs: row?[0] ?? 0, jobs: row?[1] ?? 0, succeeded: row?[2] ?? 0, failed: row?[3] ?? 0,
                pending: row?[4] ?? 0, skipped: row?[5] ?? 0, costUSD: total.usd,
                unknownCosts: total.unknown)
        }
    }
}
