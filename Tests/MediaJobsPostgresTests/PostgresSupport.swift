import Foundation
import MediaJobsCore
import PostgresNIO
@testable import MediaJobsPostgres
import MediaJobsStore

let t0 = Date(timeIntervalSince1970: 1_700_000_000)

func tts(_ text: String = "hello", priority: Int = 0, key: String? = nil, labels: [String: String] = [:],
         maxAttempts: Int? = nil) -> JobSpec {
    JobSpec(kind: .tts, input: JobInput(text: text), priority: priority, idempotencyKey: key, labels: labels,
            maxAttempts: maxAttempts)
}

func code(of error: any Error) -> MediaJobsError.Code? {
    (error as? MediaJobsError)?.code
}

/// Runs `body` with a store on a fresh database of the test server, with the SQLite store tests' retry policy
/// (base 10 s, no jitter), so the same expectations hold on both stores.
func withPostgresStore<T>(
    retryPolicy: RetryPolicy = RetryPolicy(baseDelay: 10, maxDelay: 100, jitter: 0),
    _ body: (PostgresJobStore) async throws -> T
) async throws -> T {
    try await PostgresTestServer.withStore(retryPolicy: retryPolicy, body)
}

// The conveniences `extension JobStore` gives a store of the whole protocol, for the tests written for it.
extension PostgresJobStore {
    @discardableResult
    func rescueExpiredLeases(now: Date) async throws -> Int {
        try await rescueExpiredLeases(now: now, sparing: [])
    }

    @discardableResult
    func fail(_ id: JobID, worker: String, error: MediaJobsError, retryable: Bool, costs: [CostRecord],
              now: Date) async throws -> Job {
        try await fail(id, worker: worker, error: error, retryable: retryable, costs: costs, notBefore: nil, now: now)
    }
}

extension PostgresJobStore {
    /// A job's rows of the ledger, read directly (the ledger's own protocol is implemented elsewhere).
    func ledgerRows(_ id: JobID) async throws -> [CostRecord] {
        try await read("read a job's costs") { session in
            try await session.rows("SELECT \(unescaped: CostRow.columns) FROM costs WHERE job_id = \(id.rawValue) ORDER BY id")
                .map(CostRow.decode)
        }
    }
}
