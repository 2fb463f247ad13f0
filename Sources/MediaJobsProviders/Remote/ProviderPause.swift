import Foundation
import Synchronization

/// This process's view of when a provider may be sent requests again after a 429.
///
/// Written the moment a 429 is received, before the shared store hears of it, and read synchronously just before
/// each request goes out, so the requests of this process see a 429 at once. Shared by every copy of the
/// `ProviderGate` that holds it (one per provider per registry).
final class ProviderPause: Sendable {
    private let until = Mutex(Date.distantPast)

    /// Holds requests until `date`; an earlier pause is never shortened.
    func extend(to date: Date) {
        until.withLock { $0 = max($0, date) }
    }

    /// When requests may start again (a past date: now).
    var pausedUntil: Date { until.withLock { $0 } }
}
