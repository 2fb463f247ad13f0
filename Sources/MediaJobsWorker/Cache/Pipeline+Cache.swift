import Foundation
import MediaJobsCore
import MediaJobsProviders
import MediaJobsStore

/// The result cache: an identical request that already succeeded answers a job from the artifact store, at no cost.
extension Pipeline {
    /// How many earlier successes are looked at for one job (the newest whose outputs are all still stored wins).
    static let cacheCandidates = 5

    /// Completes `job` from the newest succeeded job with the same request on its first route, when the job uses the
    /// cache and that job's outputs are all still in the artifact store: the same artifacts, a cost record of $0
    /// marked `cached`, an event `cache hit from job X`, and as the route used that route with job X named. Nil on a
    /// miss (a failed lookup counts as one).
    func answerFromCache(_ job: Job, worker: String) async throws -> Outcome? {
        guard job.spec.usesCache, job.providerHandle == nil, let first = job.spec.routes.first else { return nil }
        let key: String
        let route: (provider: any Provider, model: String)
        do {
            route = try providers.resolve(first, for: job.spec)
            key = ResultCacheKey.make(job.spec, provider: route.provider.name, model: route.model)
        } catch {
            return nil
        }
        let candidates: [JobID]
        do {
            candidates = try await store.cacheCandidates(key: key, excluding: job.id, limit: Pipeline.cacheCandidates)
        } catch where !Task.isCancelled {
            try await store.addEvent(job.id, kind: .note, worker: worker,
                                     detail: "result cache not consulted: \(MediaJobsError.wrapping(error).message)", now: Date())
            return nil
        }
        for candidate in candidates {
            let outputs = try await store.artifacts(candidate).filter { $0.role == .output }
            guard !outputs.isEmpty, outputs.allSatisfy(isStored) else { continue }
            let now = Date()
            try await stage(job.id, worker: worker, stage: "cache", detail: "reusing the stored outputs of job \(candidate)",
                            now: now)
            try await store.addEvent(job.id, kind: .note, worker: worker, detail: "cache hit from job \(candidate)", now: now)
            try await store.setCacheKey(job.id, key: key)
            let record = CostRecord(
                jobID: job.id, attempt: job.attempts, provider: route.provider.name, model: route.model, units: [:],
                usd: .zero, source: .cached, charged: false, rawUsage: #"{"cache_hit_of":"\#(candidate)"}"#, at: now)
            let summary = outputs.map { "\($0.format) \($0.bytes) bytes sha256:\($0.sha256.prefix(12))" }
                .joined(separator: ", ")
            return .completed(JobCompletion(
                artifacts: outputs, costs: [record], detail: "cache hit from job \(candidate): \(summary), no cost",
                // The cache key names the route that served `candidate`: the route that made these outputs.
                routeUsed: RouteUsed(provider: route.provider.name, model: route.model, cacheHitOf: candidate)))
        }
        return nil
    }

    /// Records on `job` the cache key of the route that served it, so identical later jobs can reuse its outputs once
    /// it succeeds. A failure to record only loses the reuse, never the result.
    func rememberCacheKey(_ job: Job, provider: String, model: String) async {
        let key = ResultCacheKey.make(job.spec, provider: provider, model: model)
        try? await store.setCacheKey(job.id, key: key)
    }

    /// Whether the artifact's file is in the store with the size its row says.
    private func isStored(_ artifact: ArtifactRef) -> Bool {
        guard let url = try? artifacts.url(for: artifact.sha256),
              let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber else { return false }
        return size.int64Value == artifact.bytes
    }
}
