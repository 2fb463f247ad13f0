import Foundation

/// Holds a provider's requests to its configured concurrency and requests per minute (`providers.<name>.concurrency`
/// and `requests_per_minute` in `config.json`), within this process. Downloads of finished outputs are not counted.
actor RequestGate {
    let concurrency: Int?
    let requestsPerMinute: Int?
    private(set) var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var recent: [Date] = []

    init(concurrency: Int?, requestsPerMinute: Int?) {
        self.concurrency = concurrency.map { max(1, $0) }
        self.requestsPerMinute = requestsPerMinute.map { max(1, $0) }
    }

    /// Waits for a free slot and for room in the last minute's request budget.
    func acquire() async throws {
        if let concurrency {
            while inFlight >= concurrency {
                await withCheckedContinuation { waiters.append($0) }
            }
        }
        inFlight += 1
        guard let requestsPerMinute else { return }
        while true {
            let now = Date()
            recent.removeAll { now.timeIntervalSince($0) >= 60 }
            if recent.count < requestsPerMinute {
                recent.append(now)
                return
            }
            let wait = 60 - now.timeIntervalSince(recent[0])
            do {
                try await Task.sleep(for: .seconds(max(0.01, wait)))
            } catch {
                release()
                throw error
            }
        }
    }

    func release() {
        inFlight -= 1
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// Runs `body` inside the gate.
    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }
}
