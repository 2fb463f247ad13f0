import Foundation
import MediaJobsCore
import MediaJobsStore
import PostgresNIO

// The metadata of stored artifacts, and which jobs they belong to.
extension PostgresJobStore {
    public func artifacts(_ id: JobID) async throws -> [ArtifactRef] {
        try await read("read a job's artifacts") { session in
            try await session.rows("""
                SELECT \(unescaped: ArtifactRow.columns), ja.role, ja.checks
                FROM job_artifacts ja JOIN artifacts a ON a.sha256 = ja.sha256
                WHERE ja.job_id = \(id.rawValue) ORDER BY ja.position
                """).map { row in
                let row = row.makeRandomAccess()
                let roleText: String = try row.value(8)
                guard let role = ArtifactRef.Role(rawValue: roleText) else {
                    throw MediaJobsError(.storeFailure, "job \(id): artifact role '\(roleText)' is unknown")
                }
                var artifact = try ArtifactRow.decode(row, role: role)
                artifact.checks = try ArtifactRow.decodeChecks(try row.value(9))
                return artifact
            }
        }
    }

    public func recordArtifact(_ artifact: ArtifactRef, job: JobID?, now: Date) async throws {
        let time = StoredTime.encode(now)
        try await write("record an artifact") { session in
            // The job's row lock also orders the positions of artifacts attached concurrently.
            if let job, try await self.lockJob(session, job) == nil { throw Self.notFound(job) }
            try await self.insertArtifact(session, artifact, job: job, time: time)
        }
    }

    public func artifact(sha256: String) async throws -> ArtifactRef? {
        guard ArtifactRef.isValidSHA256(sha256) else { return nil }
        return try await read("read an artifact") { session in
            guard let row = try await session.rows("""
                SELECT \(unescaped: ArtifactRow.columns),
                       (SELECT role FROM job_artifacts WHERE sha256 = a.sha256 ORDER BY role LIMIT 1)
                FROM artifacts a WHERE a.sha256 = \(sha256)
                """).first?.makeRandomAccess() else { return nil }
            let role = (try row.value(8, as: String?.self)).flatMap(ArtifactRef.Role.init(rawValue:)) ?? .output
            return try ArtifactRow.decode(row, role: role)
        }
    }
}
