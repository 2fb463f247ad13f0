import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// MARK: - Provider limits shared by every worker on this database

extension PostgresJobStore {
    /// Counts and takes a slot in one transaction that first locks the provider's row of `provider_state`
    /// (`SELECT … FOR UPDATE`, creating the row when missing): admits for one provider from every process run one at a
    /// time, each seeing the slots and request times the one before it committed.
    public func admit(provider: String, limits: ProviderLimits, now: Date, slotLease: TimeInterval) async throws
        -> ProviderAdmission {
        let time = StoredTime.encode(now)
        if limits.concurrency == nil && limits.requestsPerMinute == nil {
            // Nothing to count: only a pause can hold the request, and reading it needs no lock.
            let paused = try await pausedUntil(provider: provider)
            if let paused, paused > now {
                return .wait(seconds: paused.timeIntervalSince(now), reason: "\(provider) is paused (429 Retry-After)")
            }
            return .granted(permit: "")
        }
        let expiry = StoredTime.encode(now.addingTimeInterval(slotLease))
        return try await write("admit a provider request") { session in
            let paused = try await self.lockProviderState(session, provider)
            if paused > time {
                return .wait(seconds: Double(paused - time) / 1_000_000, reason: "\(provider) is paused (429 Retry-After)")
            }
            if let concurrency = limits.concurrency {
                try await session.execute("""
                    DELETE FROM provider_slots WHERE provider = \(provider) AND expires_at < \(time)
                    """)
                let inFlight = try await session.rows("""
                    SELECT COUNT(*) FROM provider_slots WHERE provider = \(provider)
                    """).first?.decode(Int.self) ?? 0
                if inFlight >= concurrency {
                    return .wait(seconds: 0.05, reason: "\(provider) has \(inFlight) of \(concurrency) requests in flight")
                }
            }
            if let perMinute = limits.requestsPerMinute {
                let windowStart = time - 60_000_000
                try await session.execute("""
                    DELETE FROM provider_requests WHERE provider = \(provider) AND at <= \(windowStart)
                    """)
                let row = try await session.rows("""
                    SELECT COUNT(*), MIN(at) FROM provider_requests WHERE provider = \(provider)
                    """).first
                let (count, oldest) = try row?.decode((Int, Int64?).self) ?? (0, nil)
                if count >= perMinute, let oldest {
                    return .wait(seconds: max(0.01, Double(oldest - windowStart) / 1_000_000),
                                 reason: "\(provider) sent \(count) requests in the last minute (limit \(perMinute))")
                }
                try await session.execute("INSERT INTO provider_requests (provider, at) VALUES (\(provider), \(time))")
            }
            var permit = ""
            if limits.concurrency != nil {
                permit = UUID().uuidString
                try await session.execute("""
                    INSERT INTO provider_slots (provider, permit, expires_at) VALUES (\(provider), \(permit), \(expiry))
                    """)
            }
            return .granted(permit: permit)
        }
    }

    /// Locks `provider`'s row of `provider_state` until the transaction ends, creating it (unpaused) when missing, and
    /// returns its `paused_until`. Under READ COMMITTED, each statement after this one sees every change committed by
    /// the transaction that held the lock before.
    private func lockProviderState(_ session: PostgresSession, _ provider: String) async throws -> Int64 {
        let lock: PostgresQuery = "SELECT paused_until FROM provider_state WHERE provider = \(provider) FOR UPDATE"
        if let paused = try await session.rows(lock).first {
            return try paused.decode(Int64.self)
        }
        try await session.execute("""
            INSERT INTO provider_state (provider) VALUES (\(provider)) ON CONFLICT (provider) DO NOTHING
            """)
        return try await session.rows(lock).first?.decode(Int64.self) ?? 0
    }

    public func release(provider: String, permit: String) async throws {
        guard !permit.isEmpty else { return }
        try await write("release a provider request") { session in
            try await session.execute("""
                DELETE FROM provider_slots WHERE provider = \(provider) AND permit = \(permit)
                """)
        }
    }

    public func pause(provider: String, until: Date, reason: String, now: Date) async throws {
        let time = StoredTime.encode(until)
        try await write("pause a provider") { session in
            try await session.execute("""
                INSERT INTO provider_state AS s (provider, paused_until, pause_reason) VALUES (\(provider), \(time), \(reason))
                ON CONFLICT (provider) DO UPDATE SET
                    pause_reason = CASE WHEN excluded.paused_until > s.paused_until THEN excluded.pause_reason
                                        ELSE s.pause_reason END,
                    paused_until = GREATEST(s.paused_until, excluded.paused_until)
                """)
        }
    }

    public func pausedUntil(provider: String) async throws -> Date? {
        try await read("read a provider's pause") { session in
            let paused = try await session.rows("SELECT paused_until FROM provider_state WHERE provider = \(provider)")
                .first?.decode(Int64.self)
            return paused.flatMap { $0 > 0 ? StoredTime.decode($0) : nil }
        }
    }
}
