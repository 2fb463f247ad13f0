import Foundation
import MediaJobsCore

/// The index of the artifact store: each file's metadata row and the jobs it is attached to (the bytes live in
/// `ArtifactStore`).
public protocol ArtifactIndex: Sendable {
    /// The artifacts attached to a job (inputs and outputs), in the order they were attached.
    func artifacts(_ id: JobID) async throws -> [ArtifactRef]
    /// Stores an artifact's metadata row (idempotent) and, when `job` is given, attaches it.
    func recordArtifact(_ artifact: ArtifactRef, job: JobID?, now: Date) async throws
    /// The metadata row of one artifact.
    func artifact(sha256: String) async throws -> ArtifactRef?
}
