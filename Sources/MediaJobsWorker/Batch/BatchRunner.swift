import Foundation
import MediaJobsCore
import MediaJobsStore

/// Submits a planned batch, records it in the store, and writes finished outputs into the mirrored tree.
public struct BatchRunner: Sendable {
    public let store: any JobStore
    public let artifacts: ArtifactStore
    public let submitter: Submitter

    public init(store: any JobStore, artifacts: ArtifactStore, submitter: Submitter) {
        self.store = store
        self.artifacts = artifacts
        self.submitter = submitter
    }

    /// What submission did.
    public struct Submission: Sendable {
        /// The job answering each planned item, in plan order (nil when the item was refused).
        public var jobs: [JobID?]
        /// Jobs created by this run; the rest already existed (same content, same spec).
        public var created: Int
        public var rejections: [BatchPlan.Rejection]
        /// False when submission was stopped before the end (`shouldStop`).
        public var complete: Bool
    }

    /// Submits every item that has no job yet, checking each input in full on the way
    /// (an input FFmpeg cannot decode is refused, not submitted). Stops early when `shouldStop`
    /// says so, keeping what was submitted. Records the batch and its entries either way.
    public func submit(
        _ plan: BatchPlan, now: Date = Date(), shouldStop: @Sendable () -> Bool = { false },
        progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> Submission {
        var jobs: [JobID?] = []
        var created = 0
        var rejections = plan.rejections
        var complete = true
        for (index, item) in plan.items.enumerated() {
            if shouldStop() {
                complete = false
                break
            }
            progress(index, plan.items.count)
            if let key = item.spec.idempotencyKey, let existing = try await store.job(idempotencyKey: key) {
                jobs.append(existing.id)
                continue
            }
            do {
                let result = try await submitter.submit(item.spec, now: now)
                jobs.append(result.job.id)
                if result.created { created += 1 }
            } catch let error as MediaJobsError where error.isInputProblem {
                jobs.append(nil)
                let reason = error.message.replacingOccurrences(of: item.file.path, with: item.inputs[0])
                rejections.append(contentsOf: item.inputs.map { BatchPlan.Rejection(path: $0, reason: reason) })
            }
        }
        try await record(plan, jobs: jobs, rejections: rejections, now: now)
        return Submission(jobs: jobs, created: created, rejections: rejections, complete: complete)
    }

    private func record(_ plan: BatchPlan, jobs: [JobID?], rejections: [BatchPlan.Rejection], now: Date) async throws {
        var entries: [BatchEntry] = []
        for (index, item) in plan.items.enumerated() where index < jobs.count {
            guard let job = jobs[index] else { continue }
            for (input, output) in zip(item.inputs, item.outputs) {
                entries.append(BatchEntry(input: input, output: output, jobID: job, rejection: nil))
            }
        }
        for rejection in rejections {
            entries.append(BatchEntry(input: rejection.path, output: "", jobID: nil, rejection: rejection.reason))
        }
        try await plan.request.save(entries: entries, to: store, now: now)
    }

    /// What happened to one output file.
    public enum Written: Sendable, Equatable {
        case written
        /// The file already held exactly these bytes.
        case unchanged
    }

    /// Writes a succeeded job's first output to `out/relative`, atomically (a temporary file in the
    /// same folder, then rename), creating folders as needed. Never called for a failed job, so an
    /// existing output is never replaced by nothing.
    public func writeOutput(of job: JobID, to relative: String, under out: URL) async throws -> Written {
        guard let artifact = try await store.artifacts(job).first(where: { $0.role == .output }) else {
            throw MediaJobsError(.artifactNotFound, "job \(job) has no output")
        }
        let destination = out.appendingPathComponent(relative)
        if FileManager.default.fileExists(atPath: destination.path),
           (try? ArtifactStore.sha256(ofFile: destination).sha256) == artifact.sha256 {
            return .unchanged
        }
        let folder = destination.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        do {
            try artifacts.export(artifact.sha256, to: destination)
        } catch var error as MediaJobsError {
            error.message = "--out: " + error.message
            throw error
        }
        return .written
    }
}

extension MediaJobsError {
    /// Whether this error is about the input (so the input is refused, not retried).
    var isInputProblem: Bool {
        code.rawValue.hasPrefix("input.") || code == .artifactNotFound || code.rawValue.hasPrefix("media.")
    }
}
