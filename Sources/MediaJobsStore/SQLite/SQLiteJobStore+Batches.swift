import Foundation
import GRDB
import MediaJobsCore

extension SQLiteSchema {
    /// Batches and their entries (one per input: its job, or why it was refused).
    static let v2Batches = """
        CREATE TABLE batches (
            id TEXT PRIMARY KEY NOT NULL,
            kind TEXT NOT NULL,
            source TEXT NOT NULL,
            out TEXT NOT NULL,
            request TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX batches_created ON batches (created_at);
        CREATE TABLE batch_entries (
            batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            input TEXT NOT NULL,
            output TEXT NOT NULL,
            job_id TEXT REFERENCES jobs(id),
            rejection TEXT,
            PRIMARY KEY (batch_id, position)
        );
        """

    /// Entries of work a batch does itself, without a job (`batch convert`): how it ended, and the hashes of
    /// the input and the output written, so a later run of the same batch can skip what is already done.
    static let v8BatchLocalOutcomes = """
        ALTER TABLE batch_entries ADD COLUMN outcome TEXT;
        ALTER TABLE batch_entries ADD COLUMN input_sha256 TEXT;
        ALTER TABLE batch_entries ADD COLUMN result_sha256 TEXT;
        """
}

extension SQLiteJobStore {
    public func job(idempotencyKey: String) async throws -> Job? {
        try await read("find a job by idempotency key") { db in
            let statement = try db.cachedStatement(sql: "SELECT \(jobColumns) FROM jobs WHERE idempotency_key = ?")
            return try self.fetchJobs(statement, [idempotencyKey]).first
        }
    }

    public func saveBatch(_ batch: BatchRecord, entries: [BatchEntry]) async throws {
        try await write("save a batch") { db in
            try db.execute(sql: """
                INSERT INTO batches (id, kind, source, out, request, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET request = excluded.request, updated_at = excluded.updated_at
                """, arguments: [batch.id, batch.kind, batch.source, batch.out, batch.request,
                                 StoredTime.encode(batch.createdAt), StoredTime.encode(batch.updatedAt)])
            try db.execute(sql: "DELETE FROM batch_entries WHERE batch_id = ?", arguments: [batch.id])
            let insert = try db.cachedStatement(sql: """
                INSERT INTO batch_entries (batch_id, position, input, output, job_id, rejection, outcome, input_sha256,
                                           result_sha256)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (position, entry) in entries.enumerated() {
                try insert.execute(arguments: [batch.id, position, entry.input, entry.output, entry.jobID?.rawValue,
                                               entry.rejection, entry.outcome?.rawValue, entry.inputSHA256,
                                               entry.resultSHA256])
            }
        }
    }

    public func batch(_ id: String) async throws -> BatchRecord? {
        try await read("read a batch") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM batches WHERE id = ?", arguments: [id]).map(SQLiteJobStore.batchRecord)
        }
    }

    public func batches(limit: Int) async throws -> [BatchRecord] {
        try await read("list batches") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM batches ORDER BY created_at DESC LIMIT ?", arguments: [max(0, limit)])
                .map(SQLiteJobStore.batchRecord)
        }
    }

    public func batchEntries(_ id: String) async throws -> [BatchEntry] {
        try await read("read a batch's entries") { db in
            try Row.fetchAll(db, sql: """
                SELECT input, output, job_id, rejection, outcome, input_sha256, result_sha256
                FROM batch_entries WHERE batch_id = ? ORDER BY position
                """, arguments: [id]).map { row in
                let job: String? = row["job_id"]
                let outcome: String? = row["outcome"]
                return BatchEntry(input: row["input"], output: row["output"], jobID: job.map(JobID.init(rawValue:)),
                                  rejection: row["rejection"], outcome: outcome.flatMap(BatchEntry.Outcome.init(rawValue:)),
                                  inputSHA256: row["input_sha256"], resultSHA256: row["result_sha256"])
            }
        }
    }

    private static func batchRecord(_ row: Row) -> BatchRecord {
        BatchRecord(
            id: row["id"], kind: row["kind"], source: row["source"], out: row["out"], request: row["request"],
            createdAt: StoredTime.decode(row["created_at"]), updatedAt: StoredTime.decode(row["updated_at"]))
    }
}
