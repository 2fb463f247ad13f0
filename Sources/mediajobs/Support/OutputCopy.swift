import Foundation
import MediaJobsCore

/// Copies a job's stored output out of the artifact store, atomically, once its bytes are checked against its name.
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
        if output == "-" {
            let source = try await context.artifacts.verifiedURL(for: artifact.sha256)
            let file = try FileHandle(forReadingFrom: source)
            defer { try? file.close() }
            while let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty {
                FileHandle.standardOutput.write(chunk)
            }
            return (nil, artifact)
        }
        var destination = URL(fileURLWithPath: (output as NSString).expandingTildeInPath)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination.path, isDirectory: &isDirectory), isDirectory.boolValue {
            destination.appendPathComponent("\(job.id).\(artifact.format)")
        }
        do {
            try context.artifacts.export(artifact.sha256, to: destination)
        } catch var error as MediaJobsError where error.code == .invalidInput {
            error.message = "-o: " + error.message
            throw error
        }
        return (destination, artifact)
    }
}
