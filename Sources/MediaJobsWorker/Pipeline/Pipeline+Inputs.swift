import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsStore

/// A transcription's input is only inspected at submit (its headers, declared length and index), so that `submit`
/// answers at once for a recording of any length. It is decoded in full here, once per job, before anything is
/// sent for it: a damaged part past the headers fails the job as bad input before any provider is paid.
extension Pipeline {
    /// How the note of an input decoded in full begins, in the job's story.
    static let inputDecodedNote = "input.audio decoded in full"

    /// A job a provider holds (polled) was decoded before it was sent: nothing is read again for it.
    func decodeInputInFull(_ job: Job, worker: String) async throws {
        guard job.kind == .transcribe, job.providerHandle == nil, let sha = job.spec.input.audio, let url = try await inputAudio(job) else { return }
        let stored = try await store.artifacts(job.id).first { $0.role == .input && $0.sha256 == sha }
        if stored?.checks.contains(where: { $0.name == "decode" }) == true { return }
        if try await store.events(job.id, after: nil).contains(where: { $0.detail.hasPrefix(Pipeline.inputDecodedNote) }) {
            return
        }
        try await stage(job.id, worker: worker, stage: "validate", detail: "input.audio, in full", now: Date())
        let report: MediaReport
        do {
            report = try await engine.validate(url, expecting: MediaExpectation())
        } catch let error as MediaJobsError where error.code != .mediaCanceled {
            let name = job.spec.input.sourceName ?? sha
            throw Failure(error: MediaJobsError(.invalidInput, "input.audio: \(name) is not usable media: \(error.message)",
                                                underlying: error),
                          retryable: false, costs: [])
        }
        try await store.addEvent(job.id, kind: .note, worker: worker, detail: String(
            format: "%@: %.2f s, %d frames, %d decode error(s)", Pipeline.inputDecodedNote, report.durationSeconds,
            report.decodedFrames, report.decodeErrors), now: Date())
    }
}
