import Foundation
import MediaJobsCore

// The encodings of stored values that every backend shares: a database moved from one backend to another
// (`mediajobs migrate`) holds the same text and numbers, and reads back the same.

/// Times in the database: integer microseconds since 1970.
package enum StoredTime {
    package static func encode(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    package static func encode(_ date: Date?) -> Int64? {
        date.map(encode)
    }

    package static func decode(_ micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// `date` as it reads back from the database (rounded to the microsecond).
    package static func stored(_ date: Date) -> Date {
        decode(encode(date))
    }
}

/// Decoded job specs, remembered by job id (bounded): specs never change after enqueue, so a worker that claims,
/// then completes, a job decodes its JSON once at most. Each backend's job-row decoder keeps one.
package final class JobSpecCache: @unchecked Sendable {
    // @unchecked: `specs`, `order` and `next` are only touched while holding `lock`; `jsonDecoder` is used without
    // changing its options, which is thread-safe.
    private let lock = NSLock()
    private var specs: [String: JobSpec] = [:]
    private var order: [String] = []
    private var next = 0
    private let capacity: Int
    package let jsonDecoder = JSONDecoder()

    /// Specs whose JSON is larger are decoded each time, which bounds the cache to about `capacity × 4 KiB`.
    package static let largestCachedSpec = 4_096

    package init(capacity: Int = 4_096) {
        self.capacity = capacity
        order.reserveCapacity(capacity)
    }

    package func remember(_ spec: JobSpec, for id: String, jsonBytes: Int) {
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

    package func spec(_ id: String) -> JobSpec? {
        lock.lock()
        defer { lock.unlock() }
        return specs[id]
    }
}

/// Why a stored value could not be read back.
package struct StoredValueError: Error, Sendable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// The `checks` column of `job_artifacts`, for a backend's artifact rows.
package protocol StoredChecksEncoding {}

extension StoredChecksEncoding {
    /// The `checks` column of `job_artifacts`: a JSON array of `MediaCheck`.
    package static func encode(_ checks: [MediaCheck]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(checks), as: UTF8.self)
    }

    package static func decodeChecks(_ text: String) throws -> [MediaCheck] {
        do {
            return try JSONDecoder().decode([MediaCheck].self, from: Data(text.utf8))
        } catch {
            throw MediaJobsError(.storeFailure, "the checks of a row of job_artifacts are corrupt (\(error))",
                                 underlying: error)
        }
    }
}

/// The JSON columns of `costs` (units, price lines) and `jobs.submission_cost`, for a backend's cost rows.
package protocol StoredCostEncoding {}

extension StoredCostEncoding {
    /// Units are stored as a JSON object of decimal strings, so they come back exactly.
    package static func encodeUnits(_ units: [String: Decimal]) throws -> String {
        let strings = units.mapValues { NSDecimalNumber(decimal: $0).stringValue }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(strings), as: UTF8.self)
    }

    package static func decodeUnits(_ text: String) throws -> [String: Decimal] {
        let strings = try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
        return try strings.mapValues { value in
            guard let decimal = Decimal(string: value, locale: Locale(identifier: "en_US_POSIX")) else {
                throw StoredValueError("unit amount '\(value)' is not a decimal")
            }
            return decimal
        }
    }

    /// Price lines as JSON, with quantities and prices as decimal strings, so they come back exactly.
    package static func encodeLines(_ lines: [PriceLine]) throws -> String {
        let stored = lines.map {
            StoredPriceLine(unit: $0.unit, quantity: NSDecimalNumber(decimal: $0.quantity).stringValue,
                       usdPerUnit: $0.usdPerUnit.map { NSDecimalNumber(decimal: $0).stringValue },
                       variant: $0.variant, source: $0.source)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(stored), as: UTF8.self)
    }

    package static func decodeLines(_ text: String) throws -> [PriceLine] {
        func decimal(_ value: String) throws -> Decimal {
            guard let decimal = Decimal(string: value, locale: Locale(identifier: "en_US_POSIX")) else {
                throw StoredValueError("price line amount '\(value)' is not a decimal")
            }
            return decimal
        }
        return try JSONDecoder().decode([StoredPriceLine].self, from: Data(text.utf8)).map {
            PriceLine(unit: $0.unit, quantity: try decimal($0.quantity), usdPerUnit: try $0.usdPerUnit.map(decimal),
                      variant: $0.variant, source: $0.source)
        }
    }

    package static func encodeSent(_ cost: CostRecord) throws -> String {
        let sent = SentCost(provider: cost.provider, model: cost.model, units: try encodeUnits(cost.units),
                            usdPicos: cost.usd?.picos, source: cost.source.rawValue, lines: try encodeLines(cost.lines))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(sent), as: UTF8.self)
    }

    /// The stored cost of a request in flight, as the record of attempt `attempt` whose answer never arrived.
    package static func decodeSent(_ text: String, job: JobID, attempt: Int, at: Date) throws -> CostRecord {
        do {
            let sent = try JSONDecoder().decode(SentCost.self, from: Data(text.utf8))
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
}

/// A price line as stored: decimals as strings, so they come back exactly.
private struct StoredPriceLine: Codable {
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
private struct SentCost: Codable {
    var provider: String
    var model: String
    var units: String
    var usdPicos: Int64?
    var source: String
    var lines: String
}
