import Foundation
import MediaJobsCore

/// After `cancel`: asks the provider holding a waiting job's generation to stop it, and notes the answer in the
/// job's story. A failure is reported on stderr; the job stays canceled either way.
enum CancelAtProvider {
    static func run(_ context: Context, job: Job, handle: String) async {
        let detail: String
        do {
            detail = try await context.pipeline.cancelGeneration(handle: handle).detail
        } catch {
            detail = "canceling at the provider failed: \(MediaJobsError.wrapping(error).message)"
            FileHandle.standardError.write(Data("warning: \(detail)\n".utf8))
        }
        try? await context.store.addEvent(job.id, kind: .note, worker: nil, detail: detail, now: Date())
    }
}
