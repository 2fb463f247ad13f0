import Foundation

/// A batch as the store keeps it: what was asked, and one entry per input.
public struct BatchRecord: Sendable, Codable, Equatable {
    public var id: String
    public var kind: String
    public var source: String
    public var out: String
    /// The request that made it (JSON), so `batch status` can say what it was.
    public var request: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, kind: String, source: String, out: String, request: String, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.kind = kind
        self.source = source
        self.out = out
        self.request = request
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One input of a batch: the job that answers it, or why it was not submitted; or, for work the batch
/// command does itself without a job (`batch convert`), how that went.
public struct BatchEntry: Sendable, Codable, Equatable {
    /// How work done without a job ended.
    public enum Outcome: String, Sendable, Codable {
        case done
        case failed
    }

    /// Relative to the batch's source folder.
    public var input: String
    /// Relative to the batch's output folder.
    public var output: String
    public var jobID: JobID?
    /// Why the input was refused, or (with outcome `failed`) why its work failed.
    public var rejection: String?
    /// Set only for work done without a job.
    public var outcome: Outcome?
    /// The input's content hash, when the batch did the work itself (to know a later run may skip it).
    public var inputSHA256: String?
    /// The hash of the output written, when the batch did the work itself.
    public var resultSHA256: String?

    public init(
        input: String, output: String, jobID: JobID?, rejection: String?, outcome: Outcome? = nil,
        inputSHA256: String? = nil, resultSHA256: String? = nil
    ) {
        self.input = input
        self.output = output
        self.jobID = jobID
        self.rejection = rejection
        self.outcome = outcome
        self.inputSHA256 = inputSHA256
        self.resultSHA256 = resultSHA256
    }
}
