import Foundation
import MediaJobsCore

/// Holds one provider's requests to its limits: across processes through a shared `ProviderLimiter` (the job
/// store) when there is one, else within this process (`RequestGate`). A 429 pauses the whole provider until its
/// `Retry-After` has passed, for every request of every worker that shares the limiter.
struct ProviderGate: Sendable {
    let provider: String
    let limits: ProviderLimits
    let limiter: (any ProviderLimiter)?
    let local: RequestGate
    /// A slot of a process that died lapses after this long.
    static let slotLease: TimeInterval = 600
    /// How long a 429 without `Retry-After` pauses the provider.
    static let defaultPause: TimeInterval = 1

    init(provider: String, settings: RemoteProviderSettings, limiter: (any ProviderLimiter)?) {
        self.provider = provider
        limits = ProviderLimits(concurrency: settings.concurrency, requestsPerMinute: settings.requestsPerMinute)
        self.limiter = limiter
        local = RequestGate(concurrency: limiter == nil ? settings.concurrency : nil,
                            requestsPerMinute: limiter == nil ? settings.requestsPerMinute : nil)
    }

    /// Runs `body` once the provider's limits allow a request.
    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        guard let limiter else {
            try await local.waitWhilePaused()
            return try await local.run(body)
        }
        let permit = try await admit(limiter)
        do {
            let value = try await body()
            try? await limiter.release(provider: provider, permit: permit)
            return value
        } catch {
            try? await limiter.release(provider: provider, permit: permit)
            throw error
        }
    }

    private func admit(_ limiter: any ProviderLimiter) async throws -> String {
        while true {
            switch try await limiter.admit(provider: provider, limits: limits, now: Date(), slotLease: ProviderGate.slotLease) {
            case .granted(let permit):
                return permit
            case .wait(let seconds, _):
                // A little jitter, so the workers a pause held do not all ask again in the same millisecond.
                try await Task.sleep(for: .seconds(min(5, seconds) + Double.random(in: 0...0.02)))
            }
        }
    }

    /// After a 429: no request to this provider before `retryAfter` (or a second) has passed.
    func pause(retryAfter: TimeInterval?, reason: String) async {
        let until = Date().addingTimeInterval(retryAfter ?? ProviderGate.defaultPause)
        if let limiter {
            try? await limiter.pause(provider: provider, until: until, reason: reason, now: Date())
        } else {
            await local.pause(until: until)
        }
    }
}
