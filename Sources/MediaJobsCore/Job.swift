import Foundation

/// A job as the store holds it: the spec plus where it is in its life.
public struct Job: Sendable, Codable, Equatable {
    public var id: JobID
    public var spec: JobSpec
    public var state: JobState
    /// Attempts started so far (each claim of a queued job starts one).
    public var attempts: Int
    public var maxAttempts: Int
    public var priority: Int
    /// When a queued job may run (later than now after a retry's backoff).
    public var runAt: Date
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?
    /// The worker holding the lease, while running.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    /// What the job is doing now, while running (`provider`, `validate`, `transcode`, `store`).
    public var stage: String?
    public var error: JobFailure?
    /// The provider's handle for an asynchronous generation (JSON), while waiting.
    public var providerHandle: String?
    public var pollAt: Date?
    /// The route that made the result, once the job succeeded; nil before, and for a job that succeeded before this
    /// was recorded (unknown, never guessed from the routes asked for).
    public var routeUsed: RouteUsed?
    /// The job this one is a part of (a piece of a long text or recording), nil for a job of its own.
    public var parentID: JobID?

    public init(
        id: JobID, spec: JobSpec, state: JobState, attempts: Int, maxAttempts: Int, priority: Int, runAt: Date,
        createdAt: Date, updatedAt: Date, finishedAt: Date? = nil, leaseOwner: String? = nil,
        leaseExpiresAt: Date? = nil, stage: String? = nil, error: JobFailure? = nil,
        providerHandle: String? = nil, pollAt: Date? = nil, routeUsed: RouteUsed? = nil, parentID: JobID? = nil
    ) {
        self.id = id
        self.spec = spec
        self.state = state
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.priority = priority
        self.runAt = runAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.stage = stage
        self.error = error
        self.providerHandle = providerHandle
        self.pollAt = pollAt
        self.routeUsed = routeUsed
        self.parentID = parentID
    }

    public var kind: JobKind { spec.kind }
}

/// Why a job failed, as kept on the job: a stable code and the message.
public struct JobFailure: Sendable, Codable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public init(_ error: MediaJobsError) {
        self.init(code: error.code.rawValue, message: error.message)
    }

    public var description: String { "\(code): \(message)" }
}

/// One line of a job's story: every transition and stage is an event.
public struct JobEvent: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case submitted, claimed, stage, waiting, succeeded, failed, retryScheduled = "retry_scheduled"
        case canceled, leaseExpired = "lease_expired", released, requeued, note
    }

    public var id: Int64
    public var jobID: JobID
    public var at: Date
    public var kind: Kind
    public var attempt: Int
    public var worker: String?
    public var detail: String

    public init(id: Int64, jobID: JobID, at: Date, kind: Kind, attempt: Int, worker: String?, detail: String) {
        self.id = id
        self.jobID = jobID
        self.at = at
        self.kind = kind
        self.attempt = attempt
        self.worker = worker
        self.detail = detail
    }
}
