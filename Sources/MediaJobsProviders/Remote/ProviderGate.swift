import Foundation
import MediaJobsCore
import MediaJobsHTTP

/// Holds one provider's requests to its limits: across processes through a shared `ProviderLimiter` (the job
/// store) when there is one, else within this process (`RequestGate`). A 429 pauses the whole provider until its
/// `Retry-After` has passed (counted from the moment the 429 arrived), for every request of every worker that
/// shares the limiter.
///
/// A pause is checked twice: when a request takes its slot, and again just before it is sent, so a request that
/// was admitted while another was being answered 429 waits the pause out instead of going out behind it.
struct ProviderGate: Sendable {
    let provider: String
    let limits: ProviderLimits
    let limiter: (any ProviderLimiter)?
    let local: RequestGate
    /// The pause as this process knows it, updated at a 429's receipt, before the store write lands.
    let pause: ProviderPause
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
        pause = ProviderPause()
    }

    /// Runs `body` once the provider's limits allow a request and no pause is in force. A `body` that throws
    /// `HTTPClientError.Kind.held` (its request's `sendGate` found a pause at the last moment, nothing was sent)
    /// is run again once the pause is over.
    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        guard let limiter else {
            return try await local.run { try await sendOutsidePauses(body) }
        }
        let permit = try await admit(limiter)
        do {
            let value = try await sendOutsidePauses(body)
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
                try await Task.sleep(for: .seconds(min(5, seconds) + ProviderGate.jitter()))
            }
        }
    }

    private func sendOutsidePauses<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        while true {
            try await waitOutPause()
            do {
                return try await body()
            } catch let error as HTTPClientError where error.kind == .held {
                continue
            }
        }
    }

    /// What a request through this gate carries to the transfer thread: it is held while this process knows of a
    /// pause, and a 429's head pauses this process the moment it arrives, before its body is read, and starts the
    /// store write that pauses every other process (`pause(retryAfter:receivedAt:reason:)` writes it again, later,
    /// with its reason; the store keeps the later of the two times, which is the same).
    func sendGate(action: String) -> HTTPSendGate {
        let pause = self.pause
        let provider = self.provider
        let limiter = self.limiter
        return HTTPSendGate(holdUntil: { pause.pausedUntil }, onResponseHead: { status, headers, receivedAt in
            guard status == 429 else { return }
            let retryAfter = ProviderErrorClassifier.retryAfterSeconds(headers, now: receivedAt)
            let until = receivedAt.addingTimeInterval(retryAfter ?? ProviderGate.defaultPause)
            pause.extend(to: until)
            if let limiter {
                Task { try? await limiter.pause(provider: provider, until: until, reason: "\(action): HTTP 429", now: Date()) }
            }
        })
    }

    /// Returns once neither this process nor the shared store holds a pause for the provider: the last check
    /// before a request is sent, since a 429 may have arrived while the request waited for its slot.
    private func waitOutPause() async throws {
        while true {
            var until = pause.pausedUntil
            if let limiter, let stored = try await limiter.pausedUntil(provider: provider) { until = max(until, stored) }
            // Read the clock after the store answered: that read may itself have waited.
            let wait = until.timeIntervalSince(Date())
            if wait <= 0 { return }
            try await Task.sleep(for: .seconds(min(5, wait) + ProviderGate.jitter()))
        }
    }

    /// A little jitter, so the requests a pause held do not all go in the same millisecond.
    private static func jitter() -> TimeInterval { Double.random(in: 0...0.02) }

    /// After a 429 received at `receivedAt`: no request to this provider before `retryAfter` (or a second) has
    /// passed from then. This process holds its requests at once; the store then holds every other process's.
    func pause(retryAfter: TimeInterval?, receivedAt: Date, reason: String) async {
        let until = receivedAt.addingTimeInterval(retryAfter ?? ProviderGate.defaultPause)
        pause.extend(to: until)
        try? await limiter?.pause(provider: provider, until: until, reason: reason, now: Date())
    }
}
