import Foundation
import MediaJobsCore

/// When to poll a generation next: never sooner than the provider's own hint (`Retry-After`, a documented
/// cadence, the configured interval), growing by half again per poll that found it still running, with up to 10 %
/// jitter on top, to a cap per kind (video runs minutes, so its polls may be sparse).
public enum PollCadence {
    /// Growth per poll that found the generation still running.
    static let growth = 1.5

    /// The longest gap between polls of a `kind` job (unless the provider itself asks for more).
    public static func cap(for kind: JobKind) -> TimeInterval {
        kind == .video ? 30 : 10
    }

    /// Seconds until the next poll after `polls` polls that found it running, the provider having hinted `hint`.
    public static func delay(hint: TimeInterval, polls: Int, kind: JobKind) -> TimeInterval {
        let floor = max(0.05, hint)
        let grown = min(max(floor, cap(for: kind)), floor * pow(growth, Double(max(0, polls))))
        return grown * (1 + Double.random(in: 0...0.1))
    }
}
