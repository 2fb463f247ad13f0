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

/// One input of a batch: the job that answers it, or why it was not submitted.
public struct BatchEntry: Sendable, Codable, Equatable {
    /// Relative to the batch's source folder.
    public var input: String
    /// Relative to the batch's output folder.
    public var output: String
    public var jobID: JobID?
    public var rejection: String?

    public init(input: String, output: String, jobID: JobID?, rejection: String?) {
        self.input = input
        self.output = output
        self.jobID = jobID
        self.rejection = rejection
    }
}
