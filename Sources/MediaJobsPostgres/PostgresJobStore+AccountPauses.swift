import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// MARK: - Account pauses shared by every worker on this database

extension PostgresJobStore {
    public func pauseAccount(_ pause: ProviderAccountPause) async throws {
        try await write("pause a provider's account") { session in
            try await session.execute("""
                INSERT INTO provider_account_pauses (provider, code, detail, key_fingerprint, since, recheck_at)
                VALUES (\(pause.provider), \(pause.code.rawValue), \(pause.detail), \(pause.keyFingerprint),
                        \(StoredTime.encode(pause.since)), \(StoredTime.encode(pause.recheckAt)))
                ON CONFLICT (provider) DO UPDATE SET
                    code = excluded.code, detail = excluded.detail, key_fingerprint = excluded.key_fingerprint,
                    since = excluded.since, recheck_at = excluded.recheck_at
                """)
        }
    }

    public func accountPause(provider: String) async throws -> ProviderAccountPause? {
        try await read("read a provider's account pause") { session in
            try await session.rows("""
                SELECT \(unescaped: Self.accountPauseColumns) FROM provider_account_pauses WHERE provider = \(provider)
                """).first.map(Self.accountPause)
        }
    }

    public func accountPauses() async throws -> [ProviderAccountPause] {
        try await read("read the account pauses") { session in
            try await session.rows("""
                SELECT \(unescaped: Self.accountPauseColumns) FROM provider_account_pauses ORDER BY provider
                """).map(Self.accountPause)
        }
    }

    @discardableResult
    public func resumeAccount(provider: String) async throws -> ProviderAccountPause? {
        try await write("resume a provider's account") { session in
            try await session.rows("""
                DELETE FROM provider_account_pauses WHERE provider = \(provider)
                RETURNING \(unescaped: Self.accountPauseColumns)
                """).first.map(Self.accountPause)
        }
    }

    private static let accountPauseColumns = "provider, code, detail, key_fingerprint, since, recheck_at"

    private static func accountPause(_ row: PostgresRow) throws -> ProviderAccountPause {
        do {
            let (provider, code, detail, fingerprint, since, recheck) =
                try row.decode((String, String, String, String, Int64, Int64?).self)
            return ProviderAccountPause(
                provider: provider, code: MediaJobsError.Code(code), detail: detail, keyFingerprint: fingerprint,
                since: StoredTime.decode(since), recheckAt: recheck.map(StoredTime.decode))
        } catch {
            throw MediaJobsError(
                .storeFailure, "a row of provider_account_pauses is corrupt (\(Self.reason(error)))", underlying: error)
        }
    }
}
