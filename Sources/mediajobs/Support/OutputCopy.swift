import Foundation
import MediaJobsCore

/// Copies a job's stored output out of the artifact store, atomically.
enum OutputCopy {
    /// Writes output `index` of `job` to `output`: a file path, a folder (the file is named
    /// `<id>.<format>`), or `-` for stdout (then the returned URL is nil).
    static func copy(_ job: Job, index: Int, to output: String, context: Context) async throws -> (URL?, ArtifactRef) {
        let outputs = try await context.store.artifacts(job.id).filter { $0.role == .output }
        guard !outputs.isEmpty else {
            throw MediaJobsError(.artifactNotFound, "id: job \(job.id) has no output (it is \(job.state))")
        }
        guard outputs.indices.contains(index) else {
            throw MediaJobsError.invalidInput("--index", "job \(job.id) has \(outputs.count) output(s)")
        }
        let artifact = outputs[index]
        let source = try context.artifacts.url(for: artifact.sha256)
        if output == "-" {
            FileHandle.standardOutput.write(try Data(contentsOf: source))
            return (nil, artifact)
        }
        var destination = URL(fileURLWithPath: (output as NSString).expandingTildeInPath)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination.path, isDirectory: &isDirectory), isDirectory.boolValue {
            destination.appendPathComponent("\(job.id).\(artifact.format)")
        }
        do {
            try context.artifacts.export(artifact.sha256, to: destination)
        } catch var error as MediaJobsError {
            error.message = "-o: " + error.message
            throw error
        }
        return (destination, artifact)
    }
}
