import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsStore

/// A synchronous provider's answer, kept until its job has ended.
///
/// A remote provider that answers at once (OpenAI speech, a Replicate prediction that finished within `Prefer: wait`)
/// has been paid when its answer arrives, but the job still has to validate, convert and store it. The answer's files
/// are therefore moved into `answers/<job id>/` under the artifact store and named, with what the provider billed, in
/// the job's `provider_handle` before anything else is done with them. A worker that dies after that leaves a job with
/// a handle, which the rescue sends to `waiting`; the next worker finishes it from the kept answer, and the provider
/// is not asked (and paid) again.
struct KeptAnswer: Codable, Sendable {
    struct File: Codable, Sendable {
        /// The file's name in the job's answer folder.
        var name: String
        /// Its container format, as the provider labelled it.
        var format: String
        var sha256: String
        var bytes: Int64
    }

    var files: [File]
    var transcript: Transcript?
    var units: [String: Decimal]
    var reportedUSD: Money?
    var estimate: CostEstimate?
    var rawUsage: String?
    /// The attempt that was answered.
    var attempt: Int

    enum CodingKeys: String, CodingKey {
        case files, transcript, units, attempt
        case reportedUSD = "reported_usd"
        case estimate
        case rawUsage = "raw_usage"
    }
}

/// What asking a provider to stop a job's generation came to.
public enum GenerationCancel: Sendable, Equatable {
    /// The provider was asked to stop it.
    case canceled
    /// The provider has no cancel endpoint; its generation runs to its end there.
    case notSupported
    /// Nothing runs at the provider: the handle is an answer it already gave.
    case alreadyAnswered
    /// The job's parts that had not ended were canceled.
    case partsCanceled

    /// How the job's story puts it.
    public var detail: String {
        switch self {
        case .canceled: "canceled at the provider"
        case .notSupported: "the provider has no cancel endpoint; its generation runs on"
        case .alreadyAnswered: "the provider had already answered; nothing runs there"
        case .partsCanceled: "its parts that had not ended were canceled"
        }
    }
}

extension Pipeline {
    /// Where the answer given to job `id` is kept.
    func answerFolder(_ id: JobID) -> URL {
        artifacts.answersDirectory.appendingPathComponent(id.rawValue, isDirectory: true)
    }

    /// Keeps `result` for `job` (see `KeptAnswer`) and returns it with its files at their kept paths.
    func keep(_ result: ProviderResult, job: Job, provider: String, model: String, worker: String) async throws
        -> ProviderResult
    {
        let folder = answerFolder(job.id)
        // An earlier attempt's answer is no longer named by the job (its attempt failed): it goes.
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var kept: [KeptAnswer.File] = []
        var files: [ProviderResult.File] = []
        for (index, file) in result.files.enumerated() {
            let suffix = file.format.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }
            let name = suffix.isEmpty ? "\(index)" : "\(index).\(suffix)"
            let target = folder.appendingPathComponent(name)
            let (sha256, bytes) = try artifacts.keep(file.url, at: target)
            kept.append(KeptAnswer.File(name: name, format: file.format, sha256: sha256, bytes: bytes))
            files.append(ProviderResult.File(url: target, format: file.format))
        }
        let answer = KeptAnswer(
            files: kept, transcript: result.transcript, units: result.units, reportedUSD: result.reportedUSD,
            estimate: result.estimate, rawUsage: result.rawUsage, attempt: job.attempts)
        let handle = PendingGeneration(provider: provider, model: model, handle: "answer", pollErrors: 0, polls: nil,
                                       answer: answer)
        let what = kept.isEmpty ? "a transcript" : "\(kept.count) file(s), \(kept.reduce(0) { $0 + $1.bytes }) bytes"
        try await store.keepAnswer(
            job.id, worker: worker, handle: handle.encoded(),
            detail: "\(provider)/\(model) answered with \(what): kept until the job ends, so that a worker lost from "
                + "here on is followed by one that finishes from this answer instead of asking (and paying) again",
            now: Date())
        var answered = result
        answered.files = files
        return answered
    }

    /// The answer an earlier attempt kept, its files copied into `workDirectory` (the kept ones stay until the job
    /// has ended). A kept file already stored as an artifact (moved there just before its worker was lost) is taken
    /// from the artifact store. A file gone from both, or changed, fails the attempt as retryable: the next attempt
    /// asks the provider again.
    func restore(_ answer: KeptAnswer, job: Job, workDirectory: URL) throws -> ProviderResult {
        var files: [ProviderResult.File] = []
        for file in answer.files {
            let source = answerFolder(job.id).appendingPathComponent(file.name)
            let copy = workDirectory.appendingPathComponent(file.name)
            if FileManager.default.fileExists(atPath: source.path) {
                try FileManager.default.copyItem(at: source, to: copy)
            } else if artifacts.contains(file.sha256) {
                try artifacts.export(file.sha256, to: copy)
            } else {
                throw ProviderError(.retryable, MediaJobsError(
                    .mediaInvalidOutput, "the provider's answer kept by attempt \(answer.attempt) is gone from "
                        + "\(source.path) (and not in the artifact store): it cannot be finished, so it is asked again"))
            }
            guard try ArtifactStore.sha256(ofFile: copy).sha256 == file.sha256 else {
                throw ProviderError(.retryable, MediaJobsError(
                    .mediaInvalidOutput, "\(source.path): the provider's answer kept by attempt \(answer.attempt) "
                        + "changed on disk since it was kept: it cannot be trusted, so it is asked again"))
            }
            files.append(ProviderResult.File(url: copy, format: file.format))
        }
        return ProviderResult(
            files: files, transcript: answer.transcript, units: answer.units, reportedUSD: answer.reportedUSD,
            estimate: answer.estimate, rawUsage: answer.rawUsage)
    }

    /// Finishes a job from the answer an earlier attempt kept: no request is sent.
    func finishKept(
        _ answer: KeptAnswer, pending: PendingGeneration, job: Job, worker: String, workDirectory: URL,
        costs: inout [CostRecord]
    ) async throws -> Outcome {
        let provider = try providers.provider(named: pending.provider)
        let request = try await providerRequest(job, model: pending.model, workDirectory: workDirectory)
        try await store.addEvent(
            job.id, kind: .note, worker: worker,
            detail: "finishing from the answer \(pending.provider)/\(pending.model) gave attempt \(answer.attempt) "
                + "(kept): no new request", now: Date())
        let result = try restore(answer, job: job, workDirectory: workDirectory)
        return try await finish(job, provider: provider, model: pending.model, request: request, result: result,
                                worker: worker, workDirectory: workDirectory, costs: &costs)
    }

    /// Removes job `id`'s kept answer, once how the job's attempt ended is recorded.
    public func discardKeptAnswer(_ id: JobID) {
        try? FileManager.default.removeItem(at: answerFolder(id))
    }

    /// Removes kept answers left behind by jobs that have ended (canceled while their answer was kept, say) or are
    /// gone, and not touched for `age` seconds. Returns how many were removed.
    @discardableResult
    public func sweepKeptAnswers(olderThan age: TimeInterval = 3600, now: Date = Date()) async -> Int {
        let keys: [URLResourceKey] = [.contentModificationDateKey]
        guard let folders = try? FileManager.default.contentsOfDirectory(
            at: artifacts.answersDirectory, includingPropertiesForKeys: keys) else { return 0 }
        var removed = 0
        for folder in folders {
            let modified = (try? folder.resourceValues(forKeys: Set(keys)))?.contentModificationDate ?? now
            guard now.timeIntervalSince(modified) >= age else { continue }
            let job: Job?
            do {
                job = try await store.job(JobID(rawValue: folder.lastPathComponent))
            } catch {
                continue  // the store cannot say: keep it
            }
            guard job?.state.isFinal ?? true else { continue }
            if (try? FileManager.default.removeItem(at: folder)) != nil { removed += 1 }
        }
        return removed
    }
}
