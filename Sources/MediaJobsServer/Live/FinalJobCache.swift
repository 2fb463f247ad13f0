import Foundation
import MediaJobsCore
import NIOConcurrencyHelpers

/// The encoded JSON of jobs that have ended, keyed by id and `updated_at`.
///
/// A final job's JSON (artifacts, costs, events) no longer changes; a retry changes `updated_at`,
/// which misses the cache. So polling a finished job costs one row read instead of four reads and
/// an encode. Unfinished jobs are never cached.
final class FinalJobCache: Sendable {
    private struct Entry {
        var updatedAt: Date
        var json: Data
    }

    private let entries = NIOLockedValueBox<[JobID: Entry]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func json(for job: Job) -> Data? {
        guard job.state.isFinal else { return nil }
        return entries.withLockedValue { entries in
            guard let entry = entries[job.id], entry.updatedAt == job.updatedAt else { return nil }
            return entry.json
        }
    }

    func store(_ json: Data, for job: Job) {
        guard job.state.isFinal else { return }
        entries.withLockedValue { entries in
            if entries.count >= capacity {
                // Dropping an arbitrary half keeps this O(1) amortised; the cost of a miss is small.
                for key in entries.keys.prefix(capacity / 2) { entries[key] = nil }
            }
            entries[job.id] = Entry(updatedAt: job.updatedAt, json: json)
        }
    }
}
