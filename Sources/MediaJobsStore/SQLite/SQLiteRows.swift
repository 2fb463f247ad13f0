import Foundation
import GRDB
import MediaJobsCore

/// The columns of `jobs` in the order `JobRowDecoder` reads them.
let jobColumns = """
    id, spec, state, attempts, max_attempts, priority, run_at, created_at, updated_at, finished_at, \
    lease_owner, lease_expires_at, stage, error_code, error_message, provider_handle, poll_at, \
    route_used_provider, route_used_model, route_used_cache_hit_of, parent_id
    """

/// Turns rows of `jobs` into `Job`s, refusing corrupt rows with `store.failure` instead of crashing.
///
/// Specs never change after enqueue, so decoded specs are remembered by job id (bounded): a worker
/// that claims, then completes, a job decodes its JSON once at most.
final class JobRowDecoder: Sendable {
    let specs: JobSpecCache

    init(capacity: Int = 4_096) {
        specs = JobSpecCache(capacity: capacity)
    }

    func decodeJob(_ row: Row) throws -> Job {
        let rawID: String
        do {
            rawID = try row.decode(String.self, atIndex: 0)
        } catch {
            throw MediaJobsError(.storeFailure, "a row of jobs has no readable id", underlying: error)
        }
        do {
            let spec: JobSpec
            if let cached = specs.spec(rawID) {
                spec = cached
            } else {
                spec = try row.withUnsafeData(atIndex: 1) { data in
                    guard let data else { throw StoredValueError("spec is NULL") }
                    let spec = try specs.jsonDecoder.decode(JobSpec.self, from: data)
                    specs.remember(spec, for: rawID, jsonBytes: data.count)
                    return spec
                }
            }
            let stateText = try row.decode(String.self, atIndex: 2)
            guard let state = JobState(rawValue: stateText) else {
                throw StoredValueError("unknown state '\(stateText)'")
            }
            var error: JobFailure?
            if let code = try row.decode(String?.self, atIndex: 13) {
                error = JobFailure(code: code, message: try row.decode(String?.self, atIndex: 14) ?? "")
            }
            return Job(
                id: JobID(rawValue: rawID),
                spec: spec,
                state: state,
                attempts: try row.decode(Int.self, atIndex: 3),
                maxAttempts: try row.decode(Int.self, atIndex: 4),
                priority: try row.decode(Int.self, atIndex: 5),
                runAt: StoredTime.decode(try row.decode(Int64.self, atIndex: 6)),
                createdAt: StoredTime.decode(try row.decode(Int64.self, atIndex: 7)),
                updatedAt: StoredTime.decode(try row.decode(Int64.self, atIndex: 8)),
                finishedAt: try row.decode(Int64?.self, atIndex: 9).map(StoredTime.decode),
                leaseOwner: try row.decode(String?.self, atIndex: 10),
                leaseExpiresAt: try row.decode(Int64?.self, atIndex: 11).map(StoredTime.decode),
                stage: try row.decode(String?.self, atIndex: 12),
                error: error,
                providerHandle: try row.decode(String?.self, atIndex: 15),
                pollAt: try row.decode(Int64?.self, atIndex: 16).map(StoredTime.decode),
                routeUsed: try RouteUsedColumns.decode(row, atIndex: 17),
                parentID: try row.decode(String?.self, atIndex: 20).map { JobID(rawValue: $0) })
        } catch {
            throw MediaJobsError(
                .storeFailure, "job \(rawID): its stored row is corrupt (\(error))",
                underlying: error)
        }
    }
}

enum EventRow {
    static let columns = "id, job_id, at, kind, attempt, worker, detail"

    static func decode(_ row: Row) throws -> JobEvent {
        do {
            let kindText = try row.decode(String.self, atIndex: 3)
            guard let kind = JobEvent.Kind(rawValue: kindText) else {
                throw StoredValueError("unknown event kind '\(kindText)'")
            }
            return JobEvent(
                id: try row.decode(Int64.self, atIndex: 0),
                jobID: JobID(rawValue: try row.decode(String.self, atIndex: 1)),
                at: StoredTime.decode(try row.decode(Int64.self, atIndex: 2)),
                kind: kind,
                attempt: try row.decode(Int.self, atIndex: 4),
                worker: try row.decode(String?.self, atIndex: 5),
                detail: try row.decode(String.self, atIndex: 6))
        } catch {
            throw MediaJobsError(.storeFailure, "a row of job_events is corrupt (\(error))",
                                 underlying: error)
        }
    }
}

enum ArtifactRow: StoredChecksEncoding {
    static let columns = "a.sha256, a.mime, a.bytes, a.format, a.duration_s, a.width, a.height, a.codec"

    static func decode(_ row: Row, role: ArtifactRef.Role) throws -> ArtifactRef {
        do {
            return ArtifactRef(
                sha256: try row.decode(String.self, atIndex: 0),
                mime: try row.decode(String.self, atIndex: 1),
                bytes: try row.decode(Int64.self, atIndex: 2),
                format: try row.decode(String.self, atIndex: 3),
                durationSeconds: try row.decode(Double?.self, atIndex: 4),
                width: try row.decode(Int?.self, atIndex: 5),
                height: try row.decode(Int?.self, atIndex: 6),
                codec: try row.decode(String?.self, atIndex: 7),
                role: role)
        } catch {
            throw MediaJobsError(.storeFailure, "a row of artifacts is corrupt (\(error))",
                                 underlying: error)
        }
    }
}

enum CostRow: StoredCostEncoding {
    static let columns = "job_id, attempt, provider, model, units, usd_picos, source, charged, raw_usage, at, lines, outcome"

    static func decode(_ row: Row) throws -> CostRecord {
        do {
            let sourceText = try row.decode(String.self, atIndex: 6)
            guard let source = CostRecord.Source(rawValue: sourceText) else {
                throw StoredValueError("unknown cost source '\(sourceText)'")
            }
            let outcomeText = try row.decode(String.self, atIndex: 11)
            guard let outcome = CostRecord.Outcome(rawValue: outcomeText) else {
                throw StoredValueError("unknown cost outcome '\(outcomeText)'")
            }
            return CostRecord(
                jobID: JobID(rawValue: try row.decode(String.self, atIndex: 0)),
                attempt: try row.decode(Int.self, atIndex: 1),
                provider: try row.decode(String.self, atIndex: 2),
                model: try row.decode(String.self, atIndex: 3),
                units: try decodeUnits(try row.decode(String.self, atIndex: 4)),
                usd: try row.decode(Int64?.self, atIndex: 5).map { Money(picos: $0) },
                source: source,
                lines: try decodeLines(try row.decode(String.self, atIndex: 10)),
                charged: try row.decode(Bool.self, atIndex: 7),
                outcome: outcome,
                rawUsage: try row.decode(String?.self, atIndex: 8),
                at: StoredTime.decode(try row.decode(Int64.self, atIndex: 9)))
        } catch {
            throw MediaJobsError(.storeFailure, "a row of costs is corrupt (\(error))",
                                 underlying: error)
        }
    }
}

enum WorkerRow {
    static let columns = "id, host, pid, concurrency, started_at, heartbeat_at"

    static func decode(_ row: Row) throws -> WorkerInfo {
        do {
            return WorkerInfo(
                id: try row.decode(String.self, atIndex: 0),
                host: try row.decode(String.self, atIndex: 1),
                pid: try row.decode(Int32.self, atIndex: 2),
                concurrency: try row.decode(Int.self, atIndex: 3),
                startedAt: StoredTime.decode(try row.decode(Int64.self, atIndex: 4)),
                heartbeatAt: StoredTime.decode(try row.decode(Int64.self, atIndex: 5)))
        } catch {
            throw MediaJobsError(.storeFailure, "a row of workers is corrupt (\(error))",
                                 underlying: error)
        }
    }
}
