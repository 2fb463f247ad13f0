import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsStore

/// What the job row keeps while a provider generates: which route holds it and the provider's own handle.
struct PendingGeneration: Codable, Sendable {
    var provider: String
    var model: String
    var handle: String
    /// Polls in a row that failed with a retryable error (the generation itself may be fine).
    var pollErrors: Int
    /// Polls so far that found the generation still running (the cadence grows with it).
    var polls: Int?
    /// A synchronous provider's answer, kept: the job is finished from it, and nothing is polled.
    var answer: KeptAnswer? = nil
    /// Downloads of the finished result that failed so far (see `DownloadRetryPolicy`).
    var badDownloads: Int? = nil

    enum CodingKeys: String, CodingKey {
        case provider, model, handle, polls, answer
        case pollErrors = "poll_errors"
        case badDownloads = "bad_downloads"
    }

    func encoded() -> String {
        String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> PendingGeneration {
        do {
            return try JSONDecoder().decode(PendingGeneration.self, from: Data(text.utf8))
        } catch {
            throw MediaJobsError(.providerFailed, "provider_handle: the stored handle of this job is not readable", underlying: error)
        }
    }
}

extension Pipeline {
    /// Polls in a row that may fail (provider down, poll timed out) before the job fails.
    static let maxPollErrors = 8
    /// The longest `Retry-After` waited for inside one attempt; longer ones end the attempt as retryable.
    static let maxInlineRetryAfter: TimeInterval = 60

    enum Resumption {
        case finished(Outcome)
        /// The route that held the generation cannot serve it: try the routes after it.
        case fallback(ArraySlice<Route>, String)
    }

    /// Polls the generation a provider already holds. In the step that sees it complete, its outputs are downloaded
    /// (by the adapter) and stored, so a job never keeps only a URL that will expire. A poll that fails in a way that
    /// may pass (429, 5xx, a timeout) keeps the job waiting rather than paying for a new generation; so does a bad
    /// download of the finished result (see `Pipeline+Downloads.swift`).
    func resume(_ job: Job, handle text: String, worker: String, workDirectory: URL) async throws -> Resumption {
        var pending = try PendingGeneration.decode(text)
        let route = Route(provider: pending.provider, model: pending.model)
        // What the provider billed for the answer it gave, whatever becomes of the answer.
        var costs: [CostRecord] = []
        do {
            if let answer = pending.answer {
                return .finished(try await finishKept(answer, pending: pending, job: job, worker: worker,
                                                      workDirectory: workDirectory, costs: &costs))
            }
            let provider = try providers.provider(named: pending.provider)
            let request = try await providerRequest(job, model: pending.model, workDirectory: workDirectory)
            try await stage(job.id, worker: worker, stage: "poll", detail: "\(provider.name)/\(pending.model)", now: Date())
            let poll: ProviderPoll
            do {
                poll = try await provider.poll(pending.handle, request: request)
            } catch let error as ProviderError where error.error.code == .providerResultGone && !Task.isCancelled {
                throw resultGone(job, pending: pending, failure: error, provider: provider, request: request)
            } catch where !Task.isCancelled && Pipeline.badDownload(error) != nil {
                let bad = Pipeline.badDownload(error)!
                return .finished(try await downloadAgain(
                    job, pending: pending, failure: bad.error, retryAfter: bad.retryAfter, provider: provider,
                    request: request, worker: worker))
            } catch let error as ProviderError where error.classification == .retryable && !Task.isCancelled {
                pending.pollErrors += 1
                guard pending.pollErrors < Pipeline.maxPollErrors else { throw error }
                let delay = max(error.retryAfter ?? 0, min(300, 2 * pow(2, Double(pending.pollErrors))))
                try await store.addEvent(job.id, kind: .note, worker: worker, detail: String(
                    format: "poll %d failed (%@); polling again in %.0f s", pending.pollErrors, error.error.message, delay),
                    now: Date())
                return .finished(.waiting(handle: pending.encoded(), pollAt: Date().addingTimeInterval(delay)))
            }
            switch poll {
            case .pending(let pollAfter):
                pending.pollErrors = 0
                pending.polls = (pending.polls ?? 0) + 1
                let delay = PollCadence.delay(hint: pollAfter, polls: pending.polls ?? 0, kind: job.kind)
                return .finished(.waiting(handle: pending.encoded(), pollAt: Date().addingTimeInterval(delay)))
            case .failed(let error) where error.error.code == .providerGenerationExpired:
                // Finished and billed, then expired before it was fetched: that purchase is in the ledger.
                throw resultGone(job, pending: pending, failure: error, provider: provider, request: request)
            case .failed(let error):
                throw error
            case .done(let result):
                try await store.addEvent(job.id, kind: .note, worker: worker,
                                         detail: "\(route): generation finished; outputs downloaded", now: Date())
                do {
                    return .finished(try await finish(
                        job, provider: provider, model: pending.model, request: request, result: result, worker: worker,
                        workDirectory: workDirectory, costs: &costs))
                } catch where !Task.isCancelled && Pipeline.badDownload(error) != nil {
                    // Bytes that are not media: a bad download of a result the provider still holds.
                    costs.removeAll()
                    let bad = Pipeline.badDownload(error)!
                    return .finished(try await downloadAgain(
                        job, pending: pending, failure: bad.error, retryAfter: bad.retryAfter, provider: provider,
                        request: request, worker: worker))
                }
            }
        } catch where Task.isCancelled {
            throw CancellationError()
        } catch let error as ProviderError where error.classification == .fallback {
            try await store.addEvent(job.id, kind: .note, worker: worker,
                                     detail: "route \(route) cannot serve this job: \(error.error.message)", now: Date())
            try await pauseAccount(after: error, route: route, job: job, worker: worker)
            let routes = job.spec.routes
            let index = routes.firstIndex { $0.provider == route.provider && ($0.model == nil || $0.model == route.model) }
            return .fallback(routes[((index ?? routes.count - 1) + 1)...], "\(route): \(error.error.message)")
        } catch let error as ProviderError {
            throw Pipeline.failure(error, job: job, costs: costs)
        } catch let error as Failure {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let wrapped = MediaJobsError.wrapping(error)
            throw Failure(error: wrapped, retryable: Pipeline.isRetryable(wrapped), costs: costs)
        }
    }

    /// `attempt`, waiting inside the attempt when the provider asks for a short pause (`Retry-After` up to a minute)
    /// and trying once more; a longer or repeated request to wait ends the attempt as retryable.
    func attemptHonouringRetryAfter(
        _ job: Job, route: Route, worker: String, workDirectory: URL, costs: inout [CostRecord]
    ) async throws -> Outcome {
        var waits = 0
        while true {
            do {
                return try await attempt(job, route: route, worker: worker, workDirectory: workDirectory, costs: &costs)
            } catch let error as ProviderError where error.classification == .retryable && waits < 2 && !Task.isCancelled {
                guard let after = error.retryAfter, after <= Pipeline.maxInlineRetryAfter else { throw error }
                waits += 1
                try await store.addEvent(job.id, kind: .note, worker: worker, detail: String(
                    format: "%@; the provider asked to wait %.1f s (Retry-After), trying again then", error.error.message, after),
                    now: Date())
                try await Task.sleep(for: .seconds(after))
            }
        }
    }
}
