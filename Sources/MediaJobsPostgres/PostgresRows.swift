import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// Rows of the PostgreSQL tables into the domain's types, with the encodings every backend shares
// (MediaJobsStore's StoredValues.swift), so both stores read and write the same values.

/// The columns of `jobs` in the order `PostgresJobDecoder` reads them.
let jobColumns = """
    id, spec, state, attempts, max_attempts, priority, run_at, created_at, updated_at, finished_at, \
    lease_owner, lease_expires_at, stage, error_code, error_message, provider_handle, poll_at, \
    route_used_provider, route_used_model, route_used_cache_hit_of, parent_id
    """

extension PostgresRandomAccessRow {
    /// The value of column `index` as `type`, failing with the column's name when it does not fit.
    func value<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        try self[index].decode(T.self)
    }
}

/// Turns rows of `jobs` (`jobColumns`) into `Job`s, refusing corrupt rows with `store.failure` instead of crashing.
///
/// Specs never change after enqueue, so decoded specs are remembered by job id (bounded, as the SQLite store's
/// decoder does): a worker that claims, then completes, a job decodes its JSON once at most.
final class PostgresJobDecoder: Sendable {
    let specs: JobSpecCache

    init(capacity: Int = 4_096) {
        specs = JobSpecCache(capacity: capacity)
    }

    func decodeJob(_ row: PostgresRow) throws -> Job {
        let row = row.makeRandomAccess()
        let rawID: String
        do {
            rawID = try row.value(0)
        } catch {
            throw MediaJobsError(.storeFailure, "a row of jobs has no readable id", underlying: error)
        }
        do {
            let spec: JobSpec
            if let cached = specs.spec(rawID) {
                spec = cached
            } else {
                let text: String = try row.value(1)
                spec = try specs.jsonDecoder.decode(JobSpec.self, from: Data(text.utf8))
                specs.remember(spec, for: rawID, jsonBytes: text.utf8.count)
            }
            let stateText: String = try row.value(2)
            guard let state = JobState(rawValue: stateText) else {
                throw StoredValueError("unknown state '\(stateText)'")
            }
            var error: JobFailure?
            if let code: String = try row.value(13) {
                error = JobFailure(code: code, message: try row.value(14, as: String?.self) ?? "")
            }
            return Job(
                id: JobID(rawValue: rawID),
                spec: spec,
                state: state,
                attempts: try row.value(3),
                maxAttempts: try row.value(4),
                priority: try row.value(5),
                runAt: StoredTime.decode(try row.value(6)),
                createdAt: StoredTime.decode(try row.value(7)),
                updatedAt: StoredTime.decode(try row.value(8)),
                finishedAt: try row.value(9, as: Int64?.self).map(StoredTime.decode),
                leaseOwner: try row.value(10),
                leaseExpiresAt: try row.value(11, as: Int64?.self).map(StoredTime.decode),
                stage: try row.value(12),
                error: error,
                providerHandle: try row.value(15),
                pollAt: try row.value(16, as: Int64?.self).map(StoredTime.decode),
                routeUsed: try RouteUsedColumns.decode(row, atIndex: 17),
                parentID: try row.value(20, as: String?.self).map { JobID(rawValue: $0) })
        } catch {
            throw MediaJobsError(
                .storeFailure, "job \(rawID): its stored row is corrupt (\(PostgresJobStore.reason(error)))",
                underlying: error)
        }
    }
}

/// The three `route_used_*` columns of `jobs`, read and written together.
enum RouteUsedColumns {
    /// The route read from three consecutive columns starting at `index`; nil when its provider is NULL.
    static func decode(_ row: PostgresRandomAccessRow, atIndex index: Int) throws -> RouteUsed? {
        guard let provider: String = try row.value(index) else { return nil }
        return RouteUsed(
            provider: provider, model: try row.value(index + 1, as: String?.self) ?? "",
            cacheHitOf: try row.value(index + 2, as: String?.self).map { JobID(rawValue: $0) })
    }
}

enum EventRow {
    static let columns = "id, job_id, at, kind, attempt, worker, detail"

    static func decode(_ row: PostgresRow) throws -> JobEvent {
        let row = row.makeRandomAccess()
        do {
            let kindText: String = try row.value(3)
            guard let kind = JobEvent.Kind(rawValue: kindText) else {
                throw StoredValueError("unknown event kind '\(kindText)'")
            }
            return JobEvent(
                id: try row.value(0),
                jobID: JobID(rawValue: try row.value(1)),
                at: StoredTime.decode(try row.value(2)),
                kind: kind,
                attempt: try row.value(4),
                worker: try row.value(5),
                detail: try row.value(6))
        } catch {
            throw MediaJobsError(.storeFailure, "a row of job_events is corrupt (\(PostgresJobStore.reason(error)))",
                                 underlying: error)
        }
    }
}

enum ArtifactRow: StoredChecksEncoding {
    /// The columns of `artifacts a` in the order `decode` reads them.
    static let columns = "a.sha256, a.mime, a.bytes, a.format, a.duration_s, a.width, a.height, a.codec"

    static func decode(_ row: PostgresRandomAccessRow, role: ArtifactRef.Role) throws -> ArtifactRef {
        do {
            return ArtifactRef(
                sha256: try row.value(0),
                mime: try row.value(1),
                bytes: try row.value(2),
                format: try row.value(3),
                durationSeconds: try row.value(4),
                width: try row.value(5),
                height: try row.value(6),
                codec: try row.value(7),
                role: role)
        } catch {
            throw MediaJobsError(.storeFailure, "a row of artifacts is corrupt (\(PostgresJobStore.reason(error)))",
                                 underlying: error)
        }
    }
}

enum CostRow: StoredCostEncoding {
    /// The columns of `costs` in the order `decode` reads them.
    static let columns = "job_id, attempt, provider, model, units, usd_picos, source, charged, raw_usage, at, lines, outcome"

    static func decode(_ row: PostgresRow) throws -> CostRecord {
        let row = row.makeRandomAccess()
        do {
            let sourceText: String = try row.value(6)
            guard let source = CostRecord.Source(rawValue: sourceText) else {
                throw StoredValueError("unknown cost source '\(sourceText)'")
            }
            let outcomeText: String = try row.value(11)
            guard let outcome = CostRecord.Outcome(rawValue: outcomeText) else {
                throw StoredValueError("unknown cost outcome '\(outcomeText)'")
            }
            return CostRecord(
                jobID: JobID(rawValue: try row.value(0)),
                attempt: try row.value(1),
                provider: try row.value(2),
                model: try row.value(3),
                units: try decodeUnits(try row.value(4)),
                usd: try row.value(5, as: Int64?.self).map { Money(picos: $0) },
                source: source,
                lines: try decodeLines(try row.value(10)),
                charged: try row.value(7),
                outcome: outcome,
                rawUsage: try row.value(8),
                at: StoredTime.decode(try row.value(9)))
        } catch {
            throw MediaJobsError(.storeFailure, "a row of costs is corrupt (\(PostgresJobStore.reason(error)))",
                                 underlying: error)
        }
    }
}

enum WorkerRow {
    static let columns = "id, host, pid, concurrency, started_at, heartbeat_at"

    static func decode(_ row: PostgresRow) throws -> WorkerInfo {
        let row = row.makeRandomAccess()
        do {
            let pid: Int = try row.value(2)
            guard let pid32 = Int32(exactly: pid) else { throw StoredValueError("pid \(pid) is out of range") }
            return WorkerInfo(
                id: try row.value(0),
                host: try row.value(1),
                pid: pid32,
                concurrency: try row.value(3),
                startedAt: StoredTime.decode(try row.value(4)),
                heartbeatAt: StoredTime.decode(try row.value(5)))
        } catch {
            throw MediaJobsError(.storeFailure, "a row of workers is corrupt (\(PostgresJobStore.reason(error)))",
                                 underlying: error)
        }
    }
}
