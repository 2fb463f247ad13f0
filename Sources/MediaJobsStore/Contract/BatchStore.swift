import Foundation
import MediaJobsCore

/// How far a batch has come: its entries counted by the state of their jobs, and what its jobs cost.
public struct BatchProgress: Sendable, Equatable, Codable {
    public var inputs: Int
    /// Distinct jobs (identical inputs share one).
    public var jobs: Int
    public var succeeded: Int
    public var failed: Int
    public var pending: Int
    /// Inputs refused before submission.
    public var skipped: Int
    /// The known amounts of the batch's jobs; nil when every one is unknown.
    public var costUSD: Money?
    /// Attempts of the batch's jobs whose amount is unknown, not in `costUSD`.
    public var unknownCosts: Int

    enum CodingKeys: String, CodingKey {
        case inputs, jobs, succeeded, failed, pending, skipped
        case costUSD = "cost_usd"
        case unknownCosts = "unknown_costs"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inputs, forKey: .inputs)
        try c.encode(jobs, forKey: .jobs)
        try c.encode(succeeded, forKey: .succeeded)
        try c.encode(failed, forKey: .failed)
        try c.encode(pending, forKey: .pending)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(costUSD, forKey: .costUSD)  // null when unknown
        try c.encode(unknownCosts, forKey: .unknownCosts)
    }
}

/// Batches: a directory's worth of inputs, each entry pointing at the job that serves it.
public protocol BatchStore: Sendable {
    /// Creates or updates a batch and replaces its entries, in one transaction.
    func saveBatch(_ batch: BatchRecord, entries: [BatchEntry]) async throws
    func batch(_ id: String) async throws -> BatchRecord?
    /// A batch's entries in input order.
    func batchEntries(_ id: String) async throws -> [BatchEntry]
    /// The newest batches first.
    func batches(limit: Int) async throws -> [BatchRecord]
    /// The progress of batch `id`: each entry counted by its job's state, the cost of its distinct jobs.
    func batchProgress(_ id: String) async throws -> BatchProgress
}
