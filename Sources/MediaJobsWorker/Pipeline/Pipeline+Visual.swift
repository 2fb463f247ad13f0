import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsStore

/// Image and video outputs: validated, converted to what the job asked for, stored.
extension Pipeline {
    /// Validates image or video outputs by decoding them in full, and stores them as they are.
    func storeVisual(_ job: Job, result: ProviderResult, worker: String) async throws -> [ArtifactRef] {
        guard !result.files.isEmpty else {
            throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "the provider returned no \(job.spec.kind) file"))
        }
        let expectation = MediaExpectation(kind: job.spec.kind == .image ? .image : .video)
        let wanted = job.spec.output.format.map(Pipeline.normalizedFormat)
        var outputs: [ArtifactRef] = []
        for produced in result.files {
            try await stage(job.id, worker: worker, stage: "validate", detail: produced.url.lastPathComponent, now: Date())
            let report: MediaReport
            do {
                report = try await engine.validate(produced.url, expecting: expectation)
            } catch {
                // A provider that sends something that is not the media it promised may do better next time.
                let wrapped = MediaJobsError.wrapping(error, code: .mediaInvalidOutput)
                throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput,
                    "the provider's \(job.spec.kind) output is not valid media: \(wrapped.message)", underlying: error))
            }
            try await store.addEvent(job.id, kind: .note, worker: worker,
                                     detail: "validated provider output: " + report.checks.joined(separator: "; "), now: Date())
            let format = Pipeline.normalizedFormat(produced.format)
            if let wanted, wanted != format {
                throw MediaJobsError.invalidInput("output.format", "the provider made \(format), and converting \(job.spec.kind) "
                    + "output to \(wanted) is not supported yet (ask for \(format))")
            }
            try await stage(job.id, worker: worker, stage: "store", detail: produced.url.lastPathComponent, now: Date())
            let stored = try artifacts.put(moving: produced.url)
            let video = report.info.videoStreams.first
            outputs.append(ArtifactRef(
                sha256: stored.sha256, mime: ArtifactRef.mime(forFormat: format), bytes: stored.bytes, format: format,
                durationSeconds: job.spec.kind == .video ? report.durationSeconds : nil,
                width: video?.width, height: video?.height, codec: video?.codec, role: .output))
        }
        return outputs
    }

    static func normalizedFormat(_ format: String) -> String {
        switch format.lowercased() {
        case "jpg": "jpeg"
        default: format.lowercased()
        }
    }
}
