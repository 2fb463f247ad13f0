import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// Batches, their entries, and their progress.
extension PostgresJobStore {
    public func saveBatch(_ batch: BatchRecord, entries: [BatchEntry]) async throws {
        let rows = try Self.encodeEntries(entries)
        try await write("save a batch") { session in
            try await session.execute("""
                INSERT INTO batches (id, kind, source, out, request, created_at, updated_at)
                VALUES (\(batch.id), \(batch.kind), \(batch.source), \(batch.out), \(batch.request),
                        \(StoredTime.encode(batch.createdAt)), \(StoredTime.encode(batch.updatedAt)))
                ON CONFLICT (id) DO UPDATE SET request = excluded.request, updated_at = excluded.updated_at
                """)
            try await session.execute("DELETE FROM batch_entries WHERE batch_id = \(batch.id)")
            guard !entries.isEmpty else { return }
            // All entries in one statement, however many: a JSON array of rows, NULLs kept.
            try await session.execute("""
                INSERT INTO batch_entries (batch_id, position, input, output, job_id, rejection, outcome, input_sha256,
                                           result_sha256)
                SELECT \(batch.id), e.position, e.input, e.output, e.job_id, e.rejection, e.outcome, e.input_sha256,
                       e.result_sha256
                FROM json_to_recordset(\(rows)::json) AS e (position BIGINT, input TEXT, output TEXT, job_id TEXT,
                     rejection TEXT, outcome TEXT, input_sha256 TEXT, result_sha256 TEXT)
                """)
        }
    }

    /// One row of `batch_entries` as `saveBatch` sends it (with its batch's id added by the statement).
    private struct EntryRow: Encodable {
        var position: Int
        var input: String
        var output: String
        var jobID: String?
        var rejection: String?
        var outcome: String?
        var inputSHA256: String?
        var resultSHA256: String?

        enum CodingKeys: String, CodingKey {
            case position, input, output, rejection, outcome
            case jobID = "job_id"
            case inputSHA256 = "input_sha256"
            case resultSHA256 = "result_sha256"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(position, forKey: .position)
            try c.encode(input, forKey: .input)
            try c.encode(output, forKey: .output)
            try c.encode(jobID, forKey: .jobID)  // null, not absent
            try c.encode(rejection, forKey: .rejection)
            try c.encode(outcome, forKey: .outcome)
            try c.encode(inputSHA256, forKey: .inputSHA256)
            try c.encode(resultSHA256, forKey: .resultSHA256)
        }
    }

    private static func encodeEntries(_ entries: [BatchEntry]) throws -> String {
        let rows = entries.enumerated().map { position, entry in
            EntryRow(position: position, input: entry.input, output: entry.output, jobID: entry.jobID?.rawValue,
                     rejection: entry.rejection, outcome: entry.outcome?.rawValue, inputSHA256: entry.inputSHA256,
                     resultSHA256: entry.resultSHA256)
        }
        do {
            return String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        } catch {
            throw MediaJobsError(.invalidInput, "batch entries could not be encoded: \(error)", underlying: error)
        }
    }

    public func batch(_ id: String) async throws -> BatchRecord? {
        try await read("read a batch") { session in
            try await session.rows("""
                SELECT \(unescaped: Self.batchColumns) FROM batches WHERE id = \(id)
                """).first.map(Self.batchRecord)
        }
    }

    public func batches(limit: Int) async throws -> [BatchRecord] {
        try await read("list batches") { session in
            try await session.rows("""
                SELECT \(unescaped: Self.batchColumns) FROM batches ORDER BY created_at DESC LIMIT \(max(0, limit))
                """).map(Self.batchRecord)
        }
    }

    public func batchEntries(_ id: String) async throws -> [BatchEntry] {
        try await read("read a batch's entries") { session in
            try await session.rows("""
                SELECT input, output, job_id, rejection, outcome, input_sha256, result_sha256
                FROM batch_entries WHERE batch_id = \(id) ORDER BY position
                """).map { row in
                do {
                    let (input, output, job, rejection, outcome, inputSHA256, resultSHA256) =
                        try row.decode((String, String, String?, String?, String?, String?, String?).self)
                    return BatchEntry(input: input, output: output, jobID: job.map(JobID.init(rawValue:)),
                                      rejection: rejection, outcome: outcome.flatMap(BatchEntry.Outcome.init(rawValue:)),
                                      inputSHA256: inputSHA256, resultSHA256: resultSHA256)
                } catch {
                    throw MediaJobsError(
                        .storeFailure, "batch \(id): a row of batch_entries is corrupt (\(Self.reason(error)))",
                        underlying: error)
                }
            }
        }
    }

    /// The progress of batch `id`: each entry counted by its job's state, the cost of its distinct jobs. Both sums
    /// are read in one snapshot.
    public func batchProgress(_ id: String) async throws -> BatchProgress {
        try await read("read a batch's progress", consistent: true) { session in
            // COUNT(*) FILTER counts the rows whose condition is true, as SQLite's SUM over a truth value does.
            let counts = try await session.rows("""
                SELECT COUNT(*),
                       COUNT(DISTINCT e.job_id),
                       COUNT(*) FILTER (WHERE j.state = 'succeeded' OR e.outcome = 'done'),
                       COUNT(*) FILTER (WHERE j.state IN ('failed', 'canceled') OR e.outcome = 'failed'),
                       COUNT(*) FILTER (WHERE j.state IN ('queued', 'running', 'waiting')),
                       COUNT(*) FILTER (WHERE e.job_id IS NULL AND e.outcome IS NULL)
                FROM batch_entries e LEFT JOIN jobs j ON j.id = e.job_id
                WHERE e.batch_id = \(id)
                """).first
            // A job split into parts costs what its parts cost.
            let cost = try await session.rows("""
                WITH batch_jobs AS (SELECT DISTINCT job_id FROM batch_entries WHERE batch_id = \(id) AND job_id IS NOT NULL)
                SELECT COALESCE(SUM(usd_picos), 0)::BIGINT, COUNT(usd_picos), COUNT(*) - COUNT(usd_picos) FROM costs
                WHERE job_id IN (SELECT job_id FROM batch_jobs)
                   OR job_id IN (SELECT id FROM jobs WHERE parent_id IN (SELECT job_id FROM batch_jobs))
                """).first
            let (inputs, jobs, succeeded, failed, pending, skipped) =
                try counts?.decode((Int, Int, Int, Int, Int, Int).self) ?? (0, 0, 0, 0, 0, 0)
            let (known, knownRecords, unknown) = try cost?.decode((Int64, Int, Int).self) ?? (Int64(0), 0, 0)
            let total = CostTotal(known: Money(picos: known), knownRecords: knownRecords, unknown: unknown)
            return BatchProgress(
                inputs: inputs, jobs: jobs, succeeded: succeeded, failed: failed, pending: pending, skipped: skipped,
                costUSD: total.usd, unknownCosts: total.unknown)
        }
    }

    private static let batchColumns = "id, kind, source, out, request, created_at, updated_at"

    private static func batchRecord(_ row: PostgresRow) throws -> BatchRecord {
        do {
            let (id, kind, source, out, request, createdAt, updatedAt) =
                try row.decode((String, String, String, String, String, Int64, Int64).self)
            return BatchRecord(id: id, kind: kind, source: source, out: out, request: request,
                               createdAt: StoredTime.decode(createdAt), updatedAt: StoredTime.decode(updatedAt))
        } catch {
            throw MediaJobsError(.storeFailure, "a row of batches is corrupt (\(Self.reason(error)))", underlying: error)
        }
    }
}
