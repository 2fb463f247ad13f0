import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// Rows of the PostgreSQL tables into the domain's types, with the SQLite store's encodings (SQLiteRows.swift), so
// both stores read and write the same values.

/// Times in the database: BIGINT microseconds since 1970, as the SQLite store stores them.
enum StoredTime {
    static func encode(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    static func encode(_ date: Date?) -> Int64? {
        date.map(encode)
    }

    static func decode(_ micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// `date` as it reads back from the database (rounded to the microsecond).
    static func stored(_ date: Date) -> Date {
        decode(encode(date))
    }
}

/// Why a stored value could not be read back.
struct StoredValueError: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The columns of `jobs` in the order `PostgresJobDecoder` reads them.
let jobColumns = """
    id, spec, state, attempts, max_attempts, priority, run_at, created_at, updated_at, finished_at, \
    lease_owner, lease_expires_at, stage, error_code, error_message, provider_handle, poll_at, \
    route_used_provider, route_used_model, route_used_cache_hit_of
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
final class PostgresJobDecoder: @unchecked Sendable {
    // @unchecked: `specs`, `order` and `next` are only touched while holding `lock`; JSONDecoder is used without
    // changing its options, which is thread-safe.
    private let lock = NSLock()
    private var specs: [String: JobSpec] = [:]
    private var order: [String] = []
    private var next = 0
    private let capacity: Int
    private let jsonDecoder = JSONDecoder()

    /// Specs whose JSON is larger are decoded each time, which bounds the cache to about `capacity × 4 KiB`.
    static let largestCachedSpec = 4_096

    init(capacity: Int = 4_096) {
        self.capacity = capacity
    }

    func remember(_ spec: JobSpec, for id: String, jsonBytes: Int) {
        guard capacity > 0, jsonBytes <= Self.largestCachedSpec else { return }
        lock.lock()
        defer { lock.unlock() }
        if specs.updateValue(spec, forKey: id) != nil { return }
        if order.count < capacity {
            order.append(id)
        } else {
            specs.removeValue(forKey: order[next])
            order[next] = id
            next = (next + 1) % capacity
        }
    }

    private func cachedSpec(_ id: String) -> JobSpec? {
        lock.lock()
        defer { lock.unlock() }
        return specs[id]
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
            if let cached = cachedSpec(rawID) {
                spec = cached
            } else {
                let text: String = try row.value(1)
                spec = try jsonDecoder.decode(JobSpec.self, from: Data(text.utf8))
                remember(spec, for: rawID, jsonBytes: text.utf8.count)
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
                routeUsed: try RouteUsedColumns.decode(row, atIndex: 17))
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

enum ArtifactRow {
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

    /// The `checks` column of `job_artifacts`: a JSON array of `MediaCheck`.
    static func encode(_ checks: [MediaCheck]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(checks), as: UTF8.self)
    }

    static func decodeChecks(_ text: String) throws -> [MediaCheck] {
        do {
            return try JSONDecoder().decode([MediaCheck].self, from: Data(text.utf8))
        } catch {
            throw MediaJobsError(.storeFailure, "the checks of a row of job_artifacts are corrupt (\(error))",
                                 underlying: error)
        }
    }
}

enum CostRow {
    /// The columns of `costs` in the order `decode` reads them.
    static let columns = "job_id, attempt, provider, model, units, usd_picos, source, charged, raw_usage, at, lines, outcome"

    /// Units are stored as a JSON object of decimal strings, so they come back exactly.
    static func encodeUnits(_ units: [String: Decimal]) throws -> String {
        let strings = units.mapValues { NSDecimalNumber(decimal: $0).stringValue }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(strings), as: UTF8.self)
    }

    static func decodeUnits(_ text: String) throws -> [String: Decimal] {
        let strings = try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
        return try strings.mapValues { value in
            guard let decimal = Decimal(string: value, locale: Locale(identifier: "en_US_POSIX")) else {
                throw StoredValueError("unit amount '\(value)' is not a decimal")
            }
            return decimal
        }
    }

    /// Price lines as JSON, with quantities and prices as decimal strings, so they come back exactly.
    static func encodeLines(_ lines: [PriceLine]) throws -> String {
        let stored = lines.map {
            StoredLine(unit: $0.unit, quantity: NSDecimalNumber(decimal: $0.quantity).stringValue,
                       usdPerUnit: $0.usdPerUnit.map { NSDecimalNumber(decimal: $0).stringValue },
                       variant: $0.variant, source: $0.source)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(stored), as: UTF8.self)
    }

    static func decodeLines(_ text: String) throws -> [PriceLine] {
        func decimal(_ value: String) throws -> Decimal {
            guard let decimal = Decimal(string: value, locale: Locale(identifier: "en_US_POSIX")) else {
                throw StoredValueError("price line amount '\(value)' is not a decimal")
            }
            return decimal
        }
        return try JSONDecoder().decode([StoredLine].self, from: Data(text.utf8)).map {
            PriceLine(unit: $0.unit, quantity: try decimal($0.quantity), usdPerUnit: try $0.usdPerUnit.map(decimal),
                      variant: $0.variant, source: $0.source)
        }
    }

    private struct StoredLine: Codable {
        var unit: String
        var quantity: String
        var usdPerUnit: String?
        var variant: String?
        var source: String?

        enum CodingKeys: String, CodingKey {
            case unit, quantity, variant, source
            case usdPerUnit = "usd_per_unit"
        }
    }

    /// What a create request in flight would cost (`jobs.submission_cost`), without its job, attempt and time.
    private struct Sent: Codable {
        var provider: String
        var model: String
        var units: String
        var usdPicos: Int64?
        var source: String
        var lines: String
    }

    static func encodeSent(_ cost: CostRecord) throws -> String {
        let sent = Sent(provider: cost.provider, model: cost.model, units: try encodeUnits(cost.units),
                        usdPicos: cost.usd?.picos, source: cost.source.rawValue, lines: try encodeLines(cost.lines))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(sent), as: UTF8.self)
    }

    /// The stored cost of a request in flight, as the record of attempt `attempt` whose answer never arrived.
    static func decodeSent(_ text: String, job: JobID, attempt: Int, at: Date) throws -> CostRecord {
        do {
            let sent = try JSONDecoder().decode(Sent.self, from: Data(text.utf8))
            guard let source = CostRecord.Source(rawValue: sent.source) else {
                throw StoredValueError("unknown cost source '\(sent.source)'")
            }
            return CostRecord(
                jobID: job, attempt: attempt, provider: sent.provider, model: sent.model,
                units: try decodeUnits(sent.units), usd: sent.usdPicos.map { Money(picos: $0) }, source: source,
                lines: try decodeLines(sent.lines), charged: true, outcome: .unknown, at: at)
        } catch {
            throw MediaJobsError(.storeFailure, "the submission cost of job \(job) is corrupt (\(error))",
                                 underlying: error)
        }
    }

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
