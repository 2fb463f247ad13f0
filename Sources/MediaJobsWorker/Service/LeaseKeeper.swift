import Foundation
import Logging
import MediaJobsCore
import MediaJobsStore

/// The jobs a worker is running, and the renewal of their leases from a thread of the keeper's own.
///
/// A heartbeat on the cooperative pool waits behind whatever CPU-heavy work holds that pool's few threads (two on a
/// 2-core machine), so a busy worker's leases could lapse and its jobs be taken for a dead worker's. The keeper's
/// thread wakes every third of the lease and renews every held lease in one blocking write (`BlockingLeaseRenewal`),
/// needing no thread of the pool. A lease found lost (the job canceled or taken over) wakes that job's `lost` wait,
/// so its run is abandoned. So is a job whose lease could not be renewed before it expired (the store unreachable):
/// another worker may take it over from then on, and a job is never finished twice.
///
/// Its own rescue of expired leases spares the jobs held here: a worker that is looking is alive.
final class LeaseKeeper: @unchecked Sendable {
    // @unchecked: every stored property but the constants is only touched while holding `condition`.
    private let condition = NSCondition()
    private var held: [JobID: Holding] = [:]
    private var running = false
    private var stopped = false
    /// The claims under way, by ticket: the time each was made at. A job they claim is leased from that time, before
    /// its claim's answer reaches the worker (which may wait for a thread of a busy pool), so the keeper renews this
    /// worker's jobs claimed since the earliest of them too.
    private var claims: [Int: Date] = [:]
    private var nextTicket = 0
    /// The lease length of the running keeper (nil before `start`).
    private var leaseDuration: TimeInterval?

    private struct Holding {
        /// The run waiting to hear that its lease is lost, if it waits.
        var waiter: CheckedContinuation<MediaJobsError?, Never>?
        /// Set once the lease is found lost, for a `lost` call that comes after.
        var lost: MediaJobsError?
        /// When the lease ends unless renewed: from the claim, then from each renewal.
        var leaseUntil: Date
    }

    /// The ids of the jobs held now.
    var ids: Set<JobID> { condition.withLock { Set(held.keys) } }

    /// Holds `id`, whose lease runs until `leaseUntil` (nil: not known, never abandoned for a failed renewal).
    func insert(_ id: JobID, leaseUntil: Date?) {
        condition.withLock {
            if held[id] == nil { held[id] = Holding(leaseUntil: leaseUntil ?? .distantFuture) }
        }
    }

    /// Notes a claim about to be made at `time` (the time the claim stamps on the jobs it takes); hand the ticket to
    /// `claimed` once its answer is here.
    func claiming(at time: Date) -> Int {
        condition.withLock {
            nextTicket += 1
            claims[nextTicket] = time
            return nextTicket
        }
    }

    /// The claim of `ticket` has answered with `ids`: they are held from now on.
    func claimed(_ ticket: Int, ids: [JobID]) {
        condition.withLock {
            let claimedAt = claims.removeValue(forKey: ticket)
            let until = claimedAt.flatMap { time in leaseDuration.map { time.addingTimeInterval($0) } }
            for id in ids where held[id] == nil { held[id] = Holding(leaseUntil: until ?? .distantFuture) }
        }
    }

    func remove(_ id: JobID) {
        let waiter = condition.withLock { held.removeValue(forKey: id)?.waiter }
        waiter?.resume(returning: nil)
    }

    /// Waits until the lease of `id` is found lost (its error), or the wait is cancelled (nil).
    func lost(_ id: JobID) async -> MediaJobsError? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<MediaJobsError?, Never>) in
                let ready: MediaJobsError?? = condition.withLock {
                    guard var holding = held[id], !Task.isCancelled else { return .some(nil) }
                    if let lost = holding.lost { return .some(lost) }
                    holding.waiter = continuation
                    held[id] = holding
                    return .none
                }
                if case .some(let value) = ready { continuation.resume(returning: value) }
            }
        } onCancel: {
            let waiter = condition.withLock { () -> CheckedContinuation<MediaJobsError?, Never>? in
                let waiter = held[id]?.waiter
                held[id]?.waiter = nil
                return waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Starts the keeper's thread, renewing through `store` every `leaseDuration / 3` until `stop`.
    func start(store: any BlockingLeaseRenewal, worker: String, leaseDuration: TimeInterval, logger: Logger) {
        let begin = condition.withLock { () -> Bool in
            guard !running else { return false }
            running = true
            stopped = false
            self.leaseDuration = leaseDuration
            return true
        }
        guard begin else { return }
        let thread = Thread { [self] in
            run(store: store, worker: worker, leaseDuration: leaseDuration, logger: logger)
        }
        thread.name = "MediaJobs.leases"
        thread.start()
    }

    /// Ends the thread at its next wake-up (at once if it sleeps).
    func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }

    private func run(store: any BlockingLeaseRenewal, worker: String, leaseDuration: TimeInterval, logger: Logger) {
        let interval = max(0.05, leaseDuration / 3)
        while true {
            let round: (ids: [JobID], claimedSince: Date?)? = condition.withLock {
                let wake = Date().addingTimeInterval(interval)
                while !stopped && Date() < wake { _ = condition.wait(until: wake) }
                if stopped {
                    running = false
                    return nil
                }
                return (held.filter { $0.value.lost == nil }.map(\.key), claims.values.min())
            }
            guard let round else { return }
            guard !round.ids.isEmpty || round.claimedSince != nil else { continue }
            let now = Date()
            let expiry = now.addingTimeInterval(leaseDuration)
            do {
                let renewal = try store.renewLeasesBlocking(round.ids, claimedSince: round.claimedSince, worker: worker,
                                                            leaseExpiry: expiry, now: now)
                renewed(Set(round.ids).union(renewal.claimed).subtracting(renewal.lost), until: expiry)
                for id in renewal.lost { markLost(id) }
            } catch {
                logger.warning("lease renewal failed", metadata: ["jobs": "\(round.ids.count)", "error": "\(error)"])
                abandonExpired(at: Date(), because: error)
            }
        }
    }

    private func renewed(_ ids: Set<JobID>, until expiry: Date) {
        condition.withLock {
            for id in ids where held[id] != nil { held[id]?.leaseUntil = expiry }
        }
    }

    /// After a failed renewal: every held job whose lease has run out is abandoned, since the rescue of another
    /// worker may take it over from now on.
    private func abandonExpired(at now: Date, because failure: any Error) {
        let expired = condition.withLock {
            held.filter { $0.value.lost == nil && $0.value.leaseUntil <= now }.map(\.key)
        }
        for id in expired {
            markLost(id, MediaJobsError(
                .leaseLost, "job \(id): the lease could not be renewed before it expired (\(failure)); the run is "
                    + "abandoned, so that the job is never finished twice"))
        }
    }

    private func markLost(_ id: JobID, _ error: MediaJobsError? = nil) {
        let error = error ?? MediaJobsError(
            .leaseLost, "job \(id): the lease is no longer this worker's (canceled or taken over)")
        let waiter = condition.withLock { () -> CheckedContinuation<MediaJobsError?, Never>? in
            guard var holding = held[id] else { return nil }
            holding.lost = error
            let waiter = holding.waiter
            holding.waiter = nil
            held[id] = holding
            return waiter
        }
        waiter?.resume(returning: error)
    }
}
