import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsStore

/// A provider that refuses the account (401, 403: the key; 402: no credit) fails the route, not the job: the next
/// route is tried, and the provider is paused in the store for every worker sharing it, so other jobs skip it without
/// sending anything. The pause names the refused key by its fingerprint; it ends when the configured key changes,
/// when a 402's credit recheck time (`credit_recheck_s`) passes, or with `mediajobs providers resume NAME`.
extension Pipeline {
    /// Where pauses are kept: the store, shared by every worker on it.
    var accountPauses: any ProviderAccountPauses { store }

    /// The pause that keeps `route` from being tried now, or nil. A pause recorded for another key than the one
    /// configured here (the key changed), or a 402's pause whose recheck time has passed, is ended instead, and the
    /// route tried.
    func pausedAccount(_ route: Route, job: Job, worker: String) async throws -> ProviderAccountPause? {
        let pauses = accountPauses
        guard let account = try? providers.provider(named: route.provider).account,
              let pause = try await pauses.accountPause(provider: route.provider)
        else { return nil }
        let now = Date()
        if pause.holds(forKey: account.keyFingerprint, at: now) {
            try await store.addEvent(job.id, kind: .note, worker: worker,
                                     detail: "route \(route) skipped, nothing sent: \(route.provider) is paused: \(pause.reason)",
                                     now: now)
            return pause
        }
        try await pauses.resumeAccount(provider: route.provider)
        let why = pause.keyFingerprint != account.keyFingerprint
            ? "the key is now \(account.keyFingerprint), not the refused \(pause.keyFingerprint)"
            : "its credit recheck time has come"
        try await store.addEvent(job.id, kind: .note, worker: worker,
                                 detail: "\(route.provider)'s pause (\(pause.code.rawValue)) ended: \(why); route \(route) is tried",
                                 now: now)
        return nil
    }

    /// After `route`'s provider refused the account: pauses the provider for every worker, naming the key's
    /// fingerprint and what the provider said (already without the key).
    func pauseAccount(after error: ProviderError, route: Route, job: Job, worker: String) async throws {
        let pauses = accountPauses
        guard error.isAccountRefusal,
              let account = try? providers.provider(named: route.provider).account
        else { return }
        let now = Date()
        let credit = error.error.code == .providerInsufficientCredits
        let pause = ProviderAccountPause(
            provider: route.provider, code: error.error.code, detail: error.error.message,
            keyFingerprint: account.keyFingerprint, since: now,
            recheckAt: credit ? now.addingTimeInterval(account.creditRecheckSeconds) : nil)
        try await pauses.pauseAccount(pause)
        try await store.addEvent(job.id, kind: .note, worker: worker,
                                 detail: "\(route.provider) paused for every worker: \(pause.reason)", now: now)
    }

    /// The end of an attempt whose every route failed or was skipped. When a refused account kept a route from
    /// serving, the job fails with that code (`provider.unauthorized`, `provider.insufficient_credits`), the message
    /// naming the paused provider and why.
    static func noUsableRoute(_ routeErrors: [String], accountCode: MediaJobsError.Code?, costs: [CostRecord]) -> Failure {
        Failure(error: MediaJobsError(accountCode ?? .providerUnsupported,
                                      "no route could serve this job: " + routeErrors.joined(separator: "; ")),
                retryable: false, costs: costs)
    }
}
