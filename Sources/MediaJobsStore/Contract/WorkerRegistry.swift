import Foundation
import MediaJobsCore

/// A worker process that says it is alive.
public struct WorkerInfo: Sendable, Codable, Equatable {
    public var id: String
    public var host: String
    public var pid: Int32
    public var concurrency: Int
    public var startedAt: Date
    public var heartbeatAt: Date

    public init(id: String, host: String, pid: Int32, concurrency: Int, startedAt: Date, heartbeatAt: Date) {
        self.id = id
        self.host = host
        self.pid = pid
        self.concurrency = concurrency
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
    }
}


/// The worker processes that say they are alive (`mediajobs status`, `/v1/workers`, doctor).
public protocol WorkerRegistry: Sendable {
    func registerWorker(_ worker: WorkerInfo) async throws
    func workerHeartbeat(_ id: String, now: Date) async throws
    func removeWorker(_ id: String) async throws
    /// Workers whose last heartbeat is newer than `now - staleAfter`.
    func liveWorkers(now: Date, staleAfter: TimeInterval) async throws -> [WorkerInfo]
}
