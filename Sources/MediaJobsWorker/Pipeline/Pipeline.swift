import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsStore

/// One attempt at a job: provider → validate → transcode → store → cost.
///
/// Each stage is recorded on the job (so `status` tells the story); every output is decoded in
/// full by FFmpeg before it is stored, and the stored file is the one the user asked for.
public struct Pipeline: Sendable {
    public let store: any JobStore
    public let artifacts: ArtifactStore
    public let engine: MediaEngine
    public let providers: ProviderRegistry
    /// How srt and vtt transcripts are laid out (`transcripts` in `config.json`).
    public var transcripts = TranscriptSettings.defaults
    /// How a paid result that arrived broken is fetched again (see `DownloadRetryPolicy`).
    public var downloadRetry = DownloadRetryPolicy.standard
    /// The `config.json` whose `media` and `budgets` sections are read afresh at each check: the home folder's. By
    /// default the one beside the artifact folder, which is the home's unless the artifacts were put elsewhere.
    public var configurationURL: URL

    public init(store: any JobStore, artifacts: ArtifactStore, engine: MediaEngine, providers: ProviderRegistry) {
        self.store = store
        self.artifacts = artifacts
        self.engine = engine
        self.providers = providers
        self.configurationURL = artifacts.root.deletingLastPathComponent().appendingPathComponent("config.json")
    }

    /// The same pipeline doing its media work (probe, validate, transcode, convert) on `engine`.
    public func using(engine: MediaEngine) -> Pipeline {
        var copy = Pipeline(store: store, artifacts: artifacts, engine: engine, providers: providers)
        copy.transcripts = transcripts
        copy.downloadRetry = downloadRetry
        copy.configurationURL = configurationURL
        return copy
    }

    /// How an attempt ended.
    public enum Outcome: Sendable {
        case completed(JobCompletion)
        /// The provider accepted the job for later; poll `handle` at `pollAt`.
        case waiting(handle: String, pollAt: Date)
    }

    /// A failed attempt, with what to do about it and the costs it incurred.
    public struct Failure: Error, Sendable {
        public var error: MediaJobsError
        public var retryable: Bool
        public var costs: [CostRecord]
        /// Seconds the provider asked us to wait (`Retry-After`): the next attempt is no sooner.
        public var retryAfter: TimeInterval? = nil
    }

    /// Runs one attempt of `job` for `worker`. Throws `Failure` when the attempt failed.
    ///
    /// With `submitting` false (a job past its deadline), only a generation the provider already holds is polled or
    /// finished; nothing new is sent, and the attempt fails with `job.timeout` where it would have to be.
    public func run(_ job: Job, worker: String, submitting: Bool = true) async throws -> Outcome {
        let workDirectory = try makeWorkDirectory(for: job)
        defer { try? FileManager.default.removeItem(at: workDirectory) }

        var routeErrors: [String] = []
        var costs: [CostRecord] = []
        var routes = job.spec.routes[...]
        if let parts = PartsHandle.decode(job.providerHandle) {
            return try await resumeParts(job, handle: parts, worker: worker, submitting: submitting,
                                         workDirectory: workDirectory)
        }
        if let handle = job.providerHandle {
            // The provider already has this generation: poll it, never submit it again.
            switch try await resume(job, handle: handle, worker: worker, workDirectory: workDirectory) {
            case .finished(let outcome): return outcome
            case .fallback(let later, let error): (routes, routeErrors) = (later, [error])
            }
        }
        guard submitting else {
            throw Failure(error: MediaJobsError(
                .jobTimeout, "deadline_seconds: the job is past its deadline, so no new request is sent for it"
                    + (routeErrors.isEmpty ? "" : " (" + routeErrors.joined(separator: "; ") + ")")),
                          retryable: false, costs: costs)
        }
        if job.providerHandle == nil, let cached = try await answerFromCache(job, worker: worker) {
            return cached
        }
        try await decodeInputInFull(job, worker: worker)
        if let split = try await splitIfTooLong(job, worker: worker, workDirectory: workDirectory) {
            return split
        }
        var accountCode: MediaJobsError.Code?
        for route in routes {
            if let pause = try await pausedAccount(route, job: job, worker: worker) {
                (routeErrors, accountCode) = (routeErrors + ["\(route): \(route.provider) is paused: \(pause.reason)"], pause.code)
                continue
            }
            do {
                return try await attemptHonouringRetryAfter(
                    job, route: route, worker: worker, workDirectory: workDirectory, costs: &costs)
            } catch where Task.isCancelled {
                // Whatever the stage threw (`media.canceled`, a cancelled database call), the worker is
                // stopping: the job goes back to the queue rather than failing.
                throw CancellationError()
            } catch let error as ProviderError where error.classification == .fallback {
                routeErrors.append("\(route): \(error.error.message)")
                try await store.addEvent(job.id, kind: .note, worker: worker,
                                         detail: "route \(route) cannot serve this job: \(error.error.message)", now: Date())
                if error.isAccountRefusal {
                    accountCode = error.error.code
                    try await pauseAccount(after: error, route: route, job: job, worker: worker)
                }
                continue
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
        throw Pipeline.noUsableRoute(routeErrors, accountCode: accountCode, costs: costs)
    }

    /// Errors in the user's input or this machine's set-up will not go away by trying again.
    static func isRetryable(_ error: MediaJobsError) -> Bool {
        let code = error.code.rawValue
        if code.hasPrefix("input.") || code.hasPrefix("budget.") { return false }
        return ![MediaJobsError.Code.mediaFilterUnavailable, .providerUnknown, .providerUnsupported, .artifactNotFound]
            .contains(error.code)
    }

    func attempt(
        _ job: Job, route: Route, worker: String, workDirectory: URL, costs: inout [CostRecord]
    ) async throws -> Outcome {
        let (provider, model) = try providers.resolve(route, for: job.spec)
        let request = try await providerRequest(job, model: model, workDirectory: workDirectory)

        try await checkBudget(job, provider: provider, model: model, request: request, costs: costs, worker: worker)
        try await stage(job.id, worker: worker, stage: "provider", detail: "\(provider.name)/\(model)", now: Date())
        let result: ProviderResult
        // A remote create request is marked first, and a lost one is looked for at the provider (Pipeline+Lookup).
        switch try await submit(request, to: provider, model: model, job: job, worker: worker) {
        case .pending(let handle, let pollAfter):
            let pending = PendingGeneration(provider: provider.name, model: model, handle: handle, pollErrors: 0, polls: 0)
            let delay = PollCadence.delay(hint: pollAfter, polls: 0, kind: job.kind)
            return .waiting(handle: pending.encoded(), pollAt: Date().addingTimeInterval(delay))
        case .done(let done):
            // Paid for now: kept before anything else is done with it (see `KeptAnswer`).
            result = provider.name == "local"
                ? done : try await keep(done, job: job, provider: provider.name, model: model, worker: worker)
        }
        return try await finish(job, provider: provider, model: model, request: request, result: result, worker: worker,
                                workDirectory: workDirectory, costs: &costs)
    }

    /// Stores what a provider made (from `start` or a later `poll`) and its cost: the end of a successful attempt.
    func finish(
        _ job: Job, provider: any Provider, model: String, request: ProviderRequest, result: ProviderResult, worker: String,
        workDirectory: URL, costs: inout [CostRecord]
    ) async throws -> Outcome {
        let cost = costRecord(for: job, provider: provider, model: model, request: request, result: result)
        costs.append(cost)

        let outputs: [ArtifactRef]
        switch job.spec.kind {
        case .tts:
            outputs = try await storeAudio(job, result: result, worker: worker, workDirectory: workDirectory)
        case .transcribe:
            outputs = try await storeTranscript(job, result: result, worker: worker)
        case .image, .video:
            outputs = try await storeVisual(job, result: result, worker: worker)
        }
        let summary = outputs.map { "\($0.format) \($0.bytes) bytes sha256:\($0.sha256.prefix(12))" }.joined(separator: ", ")
        await rememberCacheKey(job, provider: provider.name, model: model)
        return .completed(JobCompletion(artifacts: outputs, costs: [cost], detail: "\(provider.name)/\(model): \(summary)",
                                        routeUsed: RouteUsed(provider: provider.name, model: model)))
    }

    /// What this attempt of `job` asks of `model`: the same for a submission, a poll and a kept answer, so each
    /// prices the job alike (a transcription by its input's measured audio seconds).
    func providerRequest(_ job: Job, model: String, workDirectory: URL) async throws -> ProviderRequest {
        var request = ProviderRequest(
            jobID: job.id, attempt: job.attempts, spec: job.spec, model: model,
            audioFile: try await inputAudio(job), workDirectory: workDirectory)
        if job.kind == .transcribe, let sha = job.spec.input.audio, ArtifactRef.isValidSHA256(sha) {
            request.audioSeconds = try await store.artifact(sha256: sha)?.durationSeconds
        }
        request.images = try await inputImages(job)
        return request
    }

    /// The job's input images: each stored one (a sha256 since submit) as its file in the artifact store, with the
    /// media type it was stored as, once its bytes are checked against its name; a URL as given.
    func inputImages(_ job: Job) async throws -> InputImages {
        func image(_ value: String, field: String) async throws -> InputImage {
            if InputImage.isURL(value) { return InputImage(field: field, source: .url(value)) }
            guard ArtifactRef.isValidSHA256(value) else {
                throw MediaJobsError(.artifactNotFound, "\(field): \(value) was not stored at submit")
            }
            let url = try artifacts.url(for: value)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw MediaJobsError(.artifactNotFound, "\(field): the stored input \(value) is missing from \(url.path)")
            }
            try await verifyInput(value, field: field)
            let mime = try await store.artifact(sha256: value)?.mime ?? "image/png"
            return InputImage(field: field, source: .file(url, mime: mime))
        }
        let input = job.spec.input
        var images = InputImages()
        if let first = input.firstFrame { images.firstFrame = try await image(first, field: "input.first_frame") }
        if let last = input.lastFrame { images.lastFrame = try await image(last, field: "input.last_frame") }
        for (index, reference) in (input.referenceImages ?? []).enumerated() {
            images.references.append(try await image(reference, field: "input.reference_images[\(index)]"))
        }
        return images
    }

    /// The transcription's input file: the stored artifact (once its bytes are checked against its name), or the
    /// path as given.
    func inputAudio(_ job: Job) async throws -> URL? {
        guard job.spec.kind == .transcribe, let audio = job.spec.input.audio else { return nil }
        let url = ArtifactRef.isValidSHA256(audio) ? try artifacts.url(for: audio) : URL(fileURLWithPath: audio)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MediaJobsError(.artifactNotFound, "input.audio: the stored input \(audio) is missing from \(url.path)")
        }
        if ArtifactRef.isValidSHA256(audio) { try await verifyInput(audio, field: "input.audio") }
        return url
    }

    /// Checks a stored input's bytes against its name before anything reads or sends it; a corrupt one fails the
    /// attempt with a `store.failure` naming the field and the artifact.
    private func verifyInput(_ sha256: String, field: String) async throws {
        do {
            _ = try await artifacts.verifiedURL(for: sha256)
        } catch var error as MediaJobsError {
            error.message = "\(field): " + error.message
            throw error
        }
    }

    private func storeAudio(_ job: Job, result: ProviderResult, worker: String, workDirectory: URL) async throws -> [ArtifactRef] {
        guard let given = result.files.first else {
            throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "the provider returned no audio file"))
        }
        try await stage(job.id, worker: worker, stage: "validate", detail: given.url.lastPathComponent, now: Date())
        let (produced, labelNote) = try await relabeled(given, kind: .tts, job: job, worker: worker)
        let made = try await validateAndRecord(
            produced.url, expecting: Pipeline.providerExpectation(for: job.spec), what: "provider output", job: job,
            worker: worker)

        let format = job.spec.outputFormat
        guard let audioFormat = AudioFormat(rawValue: format) else {
            throw MediaJobsError.invalidInput("output.format", "'\(format)' is not an audio format")
        }
        let output = job.spec.output
        let options = AudioOutputOptions(
            format: audioFormat, bitrateKbps: output.bitrateKbps, sampleRate: output.sampleRate, channels: output.channels)
        var file = produced.url
        if !(produced.format == format && output.bitrateKbps == nil && output.sampleRate == nil && output.channels == nil) {
            try await stage(job.id, worker: worker, stage: "transcode", detail: "to \(format)", now: Date())
            file = workDirectory.appendingPathComponent("output.\(audioFormat.fileExtension)")
            try await engine.transcodeAudio(produced.url, to: file, options: options)
        }
        try await stage(job.id, worker: worker, stage: "store", detail: file.lastPathComponent, now: Date())
        let final = try await validateAndRecord(
            file, expecting: Pipeline.outputExpectation(for: job.spec), what: "\(format) output", job: job, worker: worker)
        let stored = try artifacts.put(moving: file)
        let audio = final.info.streams.first { $0.type == "audio" }
        return [ArtifactRef(
            sha256: stored.sha256, mime: audioFormat.mime, bytes: stored.bytes, format: format,
            durationSeconds: final.durationSeconds, codec: audio?.codec, role: .output,
            checks: (labelNote.map { [$0] } ?? []) + made.results.map { $0.about("provider output") }
                + final.results.map { $0.about("\(format) output") })]
    }

    private func storeTranscript(_ job: Job, result: ProviderResult, worker: String) async throws -> [ArtifactRef] {
        guard let transcript = result.transcript else {
            throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "the provider returned no transcript"))
        }
        let format = job.spec.outputFormat
        guard let transcriptFormat = Transcript.Format(rawValue: format) else {
            throw MediaJobsError.invalidInput("output.format", "'\(format)' is not a transcript format")
        }
        try await stage(job.id, worker: worker, stage: "store", detail: "\(format) transcript", now: Date())
        let text = transcript.rendered(as: transcriptFormat, settings: transcripts)
        let stored = try artifacts.put(data: Data(text.utf8))
        let duration = transcript.segments.last?.end
        let check = MediaCheck(
            name: "transcript", subject: "\(format) output",
            detail: "\(transcript.segments.count) segment(s) over \(String(format: "%.2f", duration ?? 0)) s, rendered as \(format)")
        return [ArtifactRef(
            sha256: stored.sha256, mime: ArtifactRef.mime(forFormat: format), bytes: stored.bytes, format: format,
            durationSeconds: duration, role: .output, checks: [check])]
    }

    func costRecord(
        for job: Job, provider: any Provider, model: String, request: ProviderRequest, result: ProviderResult
    ) -> CostRecord {
        // The provider's stated amount, else our price lines for what it billed, else for what was asked.
        let estimate = result.estimate ?? provider.estimate(request)
        let units = result.units.isEmpty ? estimate.units : result.units
        let source: CostRecord.Source
        let usd: Money?
        if let reported = result.reportedUSD {
            (usd, source) = (reported, .reported)
        } else if let estimated = estimate.usd {
            (usd, source) = (estimated, .estimated)
        } else {
            (usd, source) = (nil, .unknown)
        }
        return CostRecord(
            jobID: job.id, attempt: job.attempts, provider: provider.name, model: model, units: units, usd: usd,
            source: source, lines: estimate.lines, charged: true, rawUsage: result.rawUsage, at: Date())
    }

    /// Records the stage a job enters; stops here if the worker is being cancelled.
    func stage(_ id: JobID, worker: String, stage: String, detail: String, now: Date) async throws {
        try Task.checkCancellation()
        try await store.setStage(id, worker: worker, stage: stage, detail: detail, now: now)
    }

    private func makeWorkDirectory(for job: Job) throws -> URL {
        // Under the artifact store's own temporary folder, so storing a result is a rename.
        let url = artifacts.temporaryDirectory
            .appendingPathComponent("mediajobs-\(job.id.rawValue)-\(job.attempts)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
