import Foundation

/// How an asynchronous job (OpenRouter video, fal queue, Replicate prediction) moves through its states.
///
/// `.polls(queued: 1, running: 1)`: the first status read shows it queued, the second running, the
/// third and later completed. `.seconds(queued: 2, running: 5)`: queued for 2 s after submission,
/// running for 5 s more, then completed. Polls are counted per job, on its status endpoint.
public enum JobSchedule: Sendable, Equatable, CustomStringConvertible {
    case polls(queued: Int, running: Int)
    case seconds(queued: Double, running: Double)

    /// Completed at the first status read.
    public static let immediate = JobSchedule.polls(queued: 0, running: 0)

    public var description: String {
        switch self {
        case .polls(let queued, let running): "polls:\(queued):\(running)"
        case .seconds(let queued, let running): "seconds:\(Self.format(queued)):\(Self.format(running))"
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Parses "polls:Q:R" or "seconds:Q:R" (the CLI's `--schedule`).
    public init(spec: String) throws {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw SimulatorSpecError("schedule '\(spec)': expected polls:QUEUED:RUNNING or seconds:QUEUED:RUNNING")
        }
        switch parts[0] {
        case "polls":
            guard let queued = Int(parts[1]), let running = Int(parts[2]), queued >= 0, running >= 0 else {
                throw SimulatorSpecError("schedule '\(spec)': poll counts are whole numbers ≥ 0")
            }
            self = .polls(queued: queued, running: running)
        case "seconds":
            guard let queued = Double(parts[1]), let running = Double(parts[2]), queued >= 0, running >= 0 else {
                throw SimulatorSpecError("schedule '\(spec)': seconds are numbers ≥ 0")
            }
            self = .seconds(queued: queued, running: running)
        default:
            throw SimulatorSpecError("schedule '\(spec)': expected polls:… or seconds:…")
        }
    }
}

/// A malformed `--faults` or `--schedule` spec.
public struct SimulatorSpecError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
