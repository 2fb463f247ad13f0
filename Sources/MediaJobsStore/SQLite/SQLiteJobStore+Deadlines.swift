import Foundation
import GRDB
import MediaJobsCore

extension SQLiteJobStore {
    /// Queued and waiting jobs whose deadline has passed at `?1`: `deadline_seconds` (else `?2` for video jobs,
    /// `?3` for the rest) after their submission, or after their last retry by request when that came later.
    /// Scans only the runnable jobs (`jobs_runnable` holds exactly those). A job waiting on its parts with no
    /// `deadline_seconds` of its own is left to its parts' deadlines (see `PartsHandle`).
    static let pastDeadlineSQL = """
        SELECT j.id FROM jobs AS j INDEXED BY jobs_runnable
        WHERE j.state IN ('queued', 'waiting')
          AND NOT (j.state = 'waiting' AND COALESCE(j.provider_handle, '') LIKE '{"parts":%'
                   AND json_extract(j.spec, '$.deadline_seconds') IS NULL)
          AND MAX(j.created_at, COALESCE(
                (SELECT MAX(e.at) FROM job_events AS e WHERE e.job_id = j.id AND e.kind = 'requeued'), 0))
              + CAST(COALESCE(json_extract(j.spec, '$.deadline_seconds'),
                              CASE j.kind WHEN 'video' THEN ?2 ELSE ?3 END) * 1000000 AS INTEGER) <= ?1
        """

    public func sweepPastDeadline(now: Date, worker: String, error: @escaping @Sendable (Job) -> MediaJobsError)
        async throws -> [Job] {
        let time = StoredTime.encode(now)
        let arguments: StatementArguments = [time, JobSpec.defaultDeadlineSeconds(for: .video),
                                             JobSpec.defaultDeadlineSeconds(for: .tts)]
        // The scan is a read, so the usual sweep that finds nothing never takes the write lock.
        let due = try await read("find jobs past their deadline") { db in
            try String.fetchAll(db, sql: SQLiteJobStore.pastDeadlineSQL, arguments: arguments)
        }
        guard !due.isEmpty else { return [] }
        return try await write("time out jobs past their deadline") { db in
            // Checked again inside the write: a job claimed, finished or retried since the read is left alone.
            let still = Set(try String.fetchAll(db, sql: SQLiteJobStore.pastDeadlineSQL, arguments: arguments))
            let select = try db.cachedStatement(sql: "SELECT \(jobColumns) FROM jobs WHERE id = ?")
            let update = try db.cachedStatement(sql: """
                UPDATE jobs
                SET state = 'failed', finished_at = ?1, updated_at = ?1, lease_owner = NULL, lease_expires_at = NULL,
                    stage = NULL, poll_at = NULL, error_code = ?2, error_message = ?3
                WHERE id = ?4 AND state = 'queued'
                RETURNING \(jobColumns)
                """)
            // A waiting job is not failed here: its generation may be finished (and paid for) at the provider. It is
            // made due, so a poll slot gives it its last look (`Worker.lastLookGrace`) at once.
            let makeDue = try db.cachedStatement(sql: """
                UPDATE jobs SET run_at = ?1, poll_at = ?1 WHERE id = ?2 AND state = 'waiting' AND run_at > ?1
                """)
            var timedOut: [Job] = []
            for id in due where still.contains(id) {
                guard let before = try self.fetchJobs(select, [id]).first else { continue }
                if before.state == .waiting {
                    try makeDue.execute(arguments: [time, id])
                    continue
                }
                let failure = error(before)
                guard let job = try self.fetchJobs(update, [time, failure.code.rawValue, failure.message, id]).first
                else { continue }
                try self.insertEvent(db, job: id, kind: .failed, attempt: job.attempts, worker: worker,
                                     detail: "\(failure) (found \(before.state) by the deadline sweep)", at: time)
                if let parent = job.parentID { try self.wakeParent(db, parent, time: time) }
                timedOut.append(job)
            }
            return timedOut
        }
    }
}
