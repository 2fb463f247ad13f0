import Foundation
import GRDB
import MediaJobsCore

// MARK: - Account pauses shared by every process on this file

extension SQLiteJobStore {
    public func pauseAccount(_ pause: ProviderAccountPause) async throws {
        try await write("pause a provider's account") { db in
            try db.execute(sql: """
                INSERT INTO provider_account_pauses (provider, code, detail, key_fingerprint, since, recheck_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (provider) DO UPDATE SET
                    code = excluded.code, detail = excluded.detail, key_fingerprint = excluded.key_fingerprint,
                    since = excluded.since, recheck_at = excluded.recheck_at
                """, arguments: [pause.provider, pause.code.rawValue, pause.detail, pause.keyFingerprint,
                                 StoredTime.encode(pause.since), StoredTime.encode(pause.recheckAt)])
        }
    }

    public func accountPause(provider: String) async throws -> ProviderAccountPause? {
        try await read("read a provider's account pause") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM provider_account_pauses WHERE provider = ?", arguments: [provider])
                .map(SQLiteJobStore.accountPause)
        }
    }

    public func accountPauses() async throws -> [ProviderAccountPause] {
        try await read("read the account pauses") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM provider_account_pauses ORDER BY provider")
                .map(SQLiteJobStore.accountPause)
        }
    }

    @discardableResult
    public func resumeAccount(provider: String) async throws -> ProviderAccountPause? {
        try await write("resume a provider's account") { db in
            let pause = try Row.fetchOne(db, sql: "SELECT * FROM provider_account_pauses WHERE provider = ?",
                                         arguments: [provider]).map(SQLiteJobStore.accountPause)
            try db.execute(sql: "DELETE FROM provider_account_pauses WHERE provider = ?", arguments: [provider])
            return pause
        }
    }

    private static func accountPause(_ row: Row) -> ProviderAccountPause {
        let recheck: Int64? = row["recheck_at"]
        return ProviderAccountPause(
            provider: row["provider"], code: MediaJobsError.Code(row["code"] as String), detail: row["detail"],
            keyFingerprint: row["key_fingerprint"], since: StoredTime.decode(row["since"]),
            recheckAt: recheck.map(StoredTime.decode))
    }
}
