import Dispatch
import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO
import Synchronization

// A worker's lease keeper: renewals from a thread of its own, blocking.
extension PostgresJobStore {
    /// Extends the leases as `BlockingLeaseRenewal` says, blocking the calling thread until the transaction commits.
    ///
    /// The store's client is async, so the renewal runs in a `Task` and the calling thread waits on a semaphore for
    /// it. This does not deadlock: the caller is a plain thread (the contract forbids the cooperative pool), the
    /// client's I/O runs on NIO's event loops, and the task prefers `LeaseRenewalExecutor`, a serial queue of its own,
    /// so its steps between awaits need no thread of the cooperative pool either, however busy that pool is. (Opening
    /// a new pool connection is done by the client's run task, on the cooperative pool; a renewal finds an open one
    /// idle unless every connection is busy.)
    public func renewLeasesBlocking(_ ids: [JobID], claimedSince: Date?, worker: String, leaseExpiry: Date,
                                    now: Date) throws -> LeaseRenewal {
        guard !ids.isEmpty || claimedSince != nil else { return LeaseRenewal(lost: [], claimed: []) }
        let outcome = Mutex<Result<LeaseRenewal, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task(executorPreference: LeaseRenewalExecutor.shared) {
            let result: Result<LeaseRenewal, any Error>
            do {
                result = .success(try await self.renewLeases(ids, claimedSince: claimedSince, worker: worker,
                                                             leaseExpiry: leaseExpiry, now: now))
            } catch {
                result = .failure(error)
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0 }!.get()
    }

    /// The renewal itself, in one transaction: every lease of `worker` among `ids`, and (with `claimedSince`) of its
    /// running jobs claimed since then, is extended to `leaseExpiry` by one statement that locks their rows first; a
    /// lease that had lapsed is noted as the worker being busy, not dead.
    func renewLeases(_ ids: [JobID], claimedSince: Date?, worker: String, leaseExpiry: Date, now: Date) async throws
        -> LeaseRenewal {
        let expiry = StoredTime.encode(leaseExpiry)
        let time = StoredTime.encode(now)
        let since = claimedSince.map(StoredTime.encode)
        let held = ids.map(\.rawValue)
        return try await write("extend leases") { session in
            // A claim sets updated_at to its own time; a held job is renewed whatever its updated_at. The rows are
            // locked in id order, and the lapse is read from each row as it was once locked.
            let renewed = try await session.rows("""
                WITH held AS (
                    SELECT id, attempts, lease_expires_at FROM jobs
                    WHERE state = 'running' AND lease_owner = \(worker)
                      AND (id = ANY(\(held)::TEXT[]) OR (\(since)::BIGINT IS NOT NULL AND updated_at >= \(since)::BIGINT))
                    ORDER BY id
                    FOR NO KEY UPDATE
                )
                UPDATE jobs j SET lease_expires_at = \(expiry)
                FROM held WHERE j.id = held.id
                RETURNING j.id, held.attempts, held.lease_expires_at
                """)
            var found: Set<JobID> = []
            var lapses: [(job: JobID, attempt: Int, detail: String)] = []
            for row in renewed {
                let (raw, attempt, lapsedAt) = try row.decode((String, Int, Int64?).self)
                let id = JobID(rawValue: raw)
                found.insert(id)
                if let lapsedAt, lapsedAt < time {
                    lapses.append((id, attempt, String(
                        format: "the lease of worker %@ lapsed %.1f s before it was renewed: the worker was busy, not dead",
                        worker, Double(time - lapsedAt) / 1_000_000)))
                }
            }
            try await self.insertEvents(session, kind: .note, worker: worker, lapses.sorted { $0.job < $1.job },
                                        at: time)
            let asked = Set(ids)
            return LeaseRenewal(lost: asked.subtracting(found), claimed: found.subtracting(asked))
        }
    }
}

/// The executor that `renewLeasesBlocking`'s tasks prefer: one serial dispatch queue, outside the cooperative pool, so
/// a pool kept busy by CPU-heavy work cannot hold a renewal back until leases lapse.
final class LeaseRenewalExecutor: TaskExecutor {
    static let shared = LeaseRenewalExecutor()

    private let queue = DispatchQueue(label: "MediaJobsPostgres.leaseRenewal")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
