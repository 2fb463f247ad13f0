import Foundation
import Logging
import MediaJobsCore
import MediaJobsStore
import ServiceLifecycle

/// One poller of the jobs table for every live reader (SSE streams, metrics): each tick hands the
/// jobs whose row changed since the last tick to every subscriber.
///
/// It polls, rather than being told, because workers may be other processes on the same home. Rows
/// are read again over a short look-back window, because another process may commit a change
/// stamped a little before the newest one already seen; a job is handed on only when its
/// `updated_at` differs from the one last handed on.
public actor JobChangeFeed: Service {
    private let store: any JobLookup
    private let interval: Duration
    private let lookBack: TimeInterval = 2
    private var cursor: Date
    private var handedOn: [JobID: Date] = [:]
    private var subscribers: [UUID: AsyncStream<[Job]>.Continuation] = [:]
    private let logger: Logger

    public init(store: any JobLookup, interval: Duration = .milliseconds(250), logger: Logger) {
        self.store = store
        self.interval = interval
        self.cursor = Date()
        self.logger = logger
    }

    /// A stream of changed jobs, one element per tick (possibly empty: a tick is also a heartbeat).
    public func subscribe() -> AsyncStream<[Job]> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<[Job]>.makeStream(bufferingPolicy: .bufferingNewest(64))
        subscribers[id] = continuation
        continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
        return stream
    }

    private func unsubscribe(_ id: UUID) {
        subscribers[id] = nil
    }

    public var subscriberCount: Int { subscribers.count }

    public func run() async throws {
        defer {
            for continuation in subscribers.values { continuation.finish() }
            subscribers = [:]
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let changed = try await poll()
                for continuation in subscribers.values { continuation.yield(changed) }
            } catch {
                logger.warning("job change feed: poll failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    func poll() async throws -> [Job] {
        let since = cursor.addingTimeInterval(-lookBack)
        var changed: [Job] = []
        var from = since
        while true {
            let page = try await store.jobs(updatedSince: from, limit: 500)
            for job in page where handedOn[job.id] != job.updatedAt {
                handedOn[job.id] = job.updatedAt
                changed.append(job)
            }
            guard page.count == 500, let last = page.last?.updatedAt, last > from else { break }
            from = last
        }
        if let newest = changed.map(\.updatedAt).max(), newest > cursor { cursor = newest }
        handedOn = handedOn.filter { $0.value >= since }
        return changed
    }
}
