import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsStore

/// A job too long for one request to its routes is split into parts: jobs of their own, run by any worker slot side by
/// side, each retried alone, each cached and paid for once. The job waits on them as it would wait on a provider (its
/// handle is a `PartsHandle`), is woken as each one ends, and is put together from them when they all succeeded.
extension Pipeline {
    /// Splits `job` into parts and queues them when it is over its routes' limits; nil when it fits in one request.
    ///
    /// The parts' idempotency keys are the job's id and their number, so splitting again (after a crash, or when the job
    /// is retried) finds the same parts rather than adding new ones; a part that failed or was canceled is retried.
    func splitIfTooLong(_ job: Job, worker: String, workDirectory: URL) async throws -> Outcome? {
        let limits = RequestLimits(job.spec, providers: providers)
        switch job.kind {
        case .tts:
            guard let limit = PartsPlan.characterLimit(job.spec, limits: limits), let text = job.spec.input.text else {
                return nil
            }
            let pieces = TextSplitter.split(text, limit: limit)
            try await stage(job.id, worker: worker, stage: "split",
                            detail: "\(text.unicodeScalars.count) characters into \(pieces.count) parts of at most \(limit)",
                            now: Date())
            let specs = pieces.enumerated().map { index, piece in
                var spec = partSpec(job, number: index + 1, of: pieces.count, share: Double(piece.count) / Double(text.count))
                spec.input.text = piece
                spec.input.textFile = nil
                spec.output = OutputSettings(format: "wav")
                return spec
            }
            let parts = try await enqueueParts(specs, of: job, worker: worker)
            let handle = PartsHandle(parts: parts.map { PartsHandle.Part(job: $0.id) }, pauseSeconds: PartsPlan.pauseSeconds)
            return .waiting(handle: handle.encoded(), pollAt: Date().addingTimeInterval(Pipeline.partsPollSeconds))
        case .transcribe:
            guard let sha = job.spec.input.audio, ArtifactRef.isValidSHA256(sha),
                  let input = try await store.artifact(sha256: sha), let seconds = input.durationSeconds,
                  let longest = try PartsPlan.pieceSeconds(recordingSeconds: seconds, bytes: input.bytes, limits: limits)
            else { return nil }
            return try await splitRecording(job, sha256: sha, longest: longest, options: PartsPlan.pieceForm(longest, limits),
                                            worker: worker, workDirectory: workDirectory)
        case .image, .video:
            return nil
        }
    }

    /// Seconds a job waits on its parts before it looks at them unwoken (each part that ends wakes it at once).
    static let partsPollSeconds: TimeInterval = 60

    private func splitRecording(_ job: Job, sha256: String, longest: Double, options: AudioOutputOptions, worker: String,
                                workDirectory: URL) async throws -> Outcome {
        let source = try await artifacts.verifiedURL(for: sha256)
        try await stage(job.id, worker: worker, stage: "split", detail: "looking for silences to cut at", now: Date())
        let plan = try await engine.planAudioCuts(source, maxPieceSeconds: longest, overlapSeconds: PartsPlan.overlapSeconds,
                                                  searchSeconds: PartsPlan.searchSeconds)
        let folder = workDirectory.appendingPathComponent("pieces", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let files = try await engine.cutAudio(source, plan: plan, into: folder, options: options)
        let format = options.format == .opus ? "ogg" : options.format.fileExtension
        let silences = plan.pieces.dropLast().filter(\.endsInSilence).count
        try await stage(job.id, worker: worker, stage: "split", detail: String(
            format: "%.1f s into %d parts of at most %.0f s, %d of %d cuts in a silence", plan.durationSeconds,
            plan.pieces.count, longest, silences, max(0, plan.pieces.count - 1)), now: Date())
        var specs: [JobSpec] = []
        var inputs: [ArtifactRef] = []
        for (index, (piece, file)) in zip(plan.pieces, files).enumerated() {
            let stored = try artifacts.put(moving: file)
            inputs.append(ArtifactRef(
                sha256: stored.sha256, mime: ArtifactRef.mime(forFormat: format), bytes: stored.bytes, format: format,
                durationSeconds: piece.end - piece.start, codec: options.format.rawValue, role: .input,
                checks: [MediaCheck(name: "part", subject: "input", detail: String(
                    format: "%.3f–%.3f s of %@ (owns %.3f–%.3f s)", piece.start, piece.end,
                    job.spec.input.sourceName ?? sha256, piece.ownStart, piece.ownEnd))]))
            var spec = partSpec(job, number: index + 1, of: plan.pieces.count,
                                share: (piece.ownEnd - piece.ownStart) / max(plan.durationSeconds, 0.001))
            spec.input.audio = stored.sha256
            spec.input.sourceName = "\(job.spec.input.sourceName ?? sha256) (part \(index + 1) of \(plan.pieces.count))"
            spec.output = OutputSettings(format: "json")
            specs.append(spec)
        }
        // Each piece's metadata is stored before its part is queued: a worker that claims the part at once finds it.
        for input in inputs { try await store.recordArtifact(input, job: nil, now: Date()) }
        let parts = try await enqueueParts(specs, of: job, worker: worker)
        for (part, input) in zip(parts, inputs) where part.spec.input.audio == input.sha256 {
            try await store.recordArtifact(input, job: part.id, now: Date())
        }
        let handle = PartsHandle(
            parts: zip(parts, plan.pieces).map { part, piece in
                PartsHandle.Part(job: part.id, start: piece.start, end: piece.end, ownStart: piece.ownStart,
                                 ownEnd: piece.ownEnd)
            },
            sourceSeconds: plan.durationSeconds)
        return .waiting(handle: handle.encoded(), pollAt: Date().addingTimeInterval(Pipeline.partsPollSeconds))
    }

    /// A part's spec: the job's, with its own idempotency key (the job's id and the part's number) and its share of the
    /// job's `max_cost_usd`.
    private func partSpec(_ job: Job, number: Int, of count: Int, share: Double) -> JobSpec {
        var spec = job.spec
        spec.idempotencyKey = "\(job.id)/part-\(String(format: "%04d", number))-of-\(count)"
        spec.runAt = nil
        if let cap = job.spec.maxCostUSD {
            spec.maxCostUSD = Money(picos: Int64((Double(cap.picos) * min(1, share)).rounded(.up)))
        }
        return spec
    }

    /// Queues the parts (or finds them, when they were queued before), retrying any that failed or were canceled.
    private func enqueueParts(_ specs: [JobSpec], of job: Job, worker: String) async throws -> [Job] {
        let results = try await store.enqueue(specs, parent: job.id, now: Date())
        var parts: [Job] = []
        var retried = 0
        for result in results {
            if !result.created, result.job.state == .failed || result.job.state == .canceled {
                parts.append(try await store.retry(result.job.id, now: Date()))
                retried += 1
            } else {
                parts.append(result.job)
            }
        }
        let made = results.filter(\.created).count
        let kept = results.count - made - retried
        try await store.addEvent(job.id, kind: .note, worker: worker, detail: "split into \(results.count) parts: "
            + "\(made) queued" + (kept > 0 ? ", \(kept) kept from before" : "") + (retried > 0 ? ", \(retried) retried" : ""),
            now: Date())
        return parts
    }

    /// Looks at the parts of a job waiting on them: waits again while some run, fails when one failed for good (canceling
    /// the rest), and puts the job together when all succeeded. With `submitting` false (the job is past its own
    /// deadline), parts still running are canceled and the job fails with `job.timeout`.
    func resumeParts(_ job: Job, handle: PartsHandle, worker: String, submitting: Bool, workDirectory: URL)
        async throws -> Outcome {
        let stored = Dictionary(try await store.parts(of: job.id).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let parts = try handle.parts.map { part in
            guard let found = stored[part.job] else {
                throw Failure(error: MediaJobsError(.storeFailure, "part \(part.job) of job \(job.id) is not in the store"),
                              retryable: false, costs: [])
            }
            return found
        }
        let count = parts.count
        if let (index, failed) = parts.enumerated().first(where: { $0.element.state == .failed || $0.element.state == .canceled }) {
            await cancelParts(parts)
            let why = failed.error.map { "\($0.code): \($0.message)" } ?? "it was \(failed.state)"
            throw Failure(error: MediaJobsError(.partFailed, "part \(index + 1) of \(count) (job \(failed.id)) \(failed.state): \(why)"),
                          retryable: false, costs: [])
        }
        let done = parts.filter { $0.state == .succeeded }.count
        guard done == count else {
            guard submitting else {
                await cancelParts(parts)
                throw Failure(error: MediaJobsError(.jobTimeout, "deadline_seconds: the job passed its deadline with "
                    + "\(done) of \(count) parts done; the others were canceled"), retryable: false, costs: [])
            }
            return .waiting(handle: handle.encoded(), pollAt: Date().addingTimeInterval(Pipeline.partsPollSeconds))
        }
        let outputs: [ArtifactRef]
        switch job.kind {
        case .tts: outputs = try await joinSpeech(job, parts: parts, handle: handle, worker: worker, workDirectory: workDirectory)
        case .transcribe: outputs = try await mergeTranscripts(job, parts: parts, handle: handle, worker: worker)
        case .image, .video:
            throw Failure(error: MediaJobsError(.storeFailure, "job \(job.id): \(job.kind) jobs have no parts"),
                          retryable: false, costs: [])
        }
        let routes = Set(parts.compactMap { $0.routeUsed.map { RouteUsed(provider: $0.provider, model: $0.model) } })
        let route = routes.count == 1 ? routes.first : nil
        if let route { await rememberCacheKey(job, provider: route.provider, model: route.model) }
        let summary = outputs.map { "\($0.format) \($0.bytes) bytes sha256:\($0.sha256.prefix(12))" }.joined(separator: ", ")
        let made = routes.map { "\($0.provider)/\($0.model)" }.sorted().joined(separator: ", ")
        return .completed(JobCompletion(artifacts: outputs, costs: [],
                                        detail: "\(count) parts by \(made.isEmpty ? "unknown routes" : made): \(summary)",
                                        routeUsed: route))
    }

    /// Cancels the parts that have not ended (a part that ended meanwhile is left as it is).
    func cancelParts(_ parts: [Job]) async {
        for part in parts where !part.state.isFinal {
            _ = try? await store.cancel(part.id, now: Date())
        }
    }

    /// The stored output of a part that succeeded, checked against its name.
    private func partOutput(_ part: Job) async throws -> (ArtifactRef, URL) {
        guard let output = try await store.artifacts(part.id).first(where: { $0.role == .output }) else {
            throw Failure(error: MediaJobsError(.artifactNotFound, "part \(part.id) succeeded but has no output"),
                          retryable: false, costs: [])
        }
        return (output, try await artifacts.verifiedURL(for: output.sha256))
    }

    private func joinSpeech(_ job: Job, parts: [Job], handle: PartsHandle, worker: String, workDirectory: URL)
        async throws -> [ArtifactRef] {
        let format = job.spec.outputFormat
        guard let audioFormat = AudioFormat(rawValue: format) else {
            throw MediaJobsError.invalidInput("output.format", "'\(format)' is not an audio format")
        }
        var files: [URL] = []
        for part in parts { files.append(try await partOutput(part).1) }
        let pause = handle.pauseSeconds ?? PartsPlan.pauseSeconds
        try await stage(job.id, worker: worker, stage: "transcode", detail: String(
            format: "joining %d parts with %.2f s pauses into %@", parts.count, pause, format), now: Date())
        let output = job.spec.output
        let file = workDirectory.appendingPathComponent("joined.\(audioFormat.fileExtension)")
        let report = try await engine.joinAudio(
            files, pauseSeconds: pause, to: file,
            options: AudioOutputOptions(format: audioFormat, bitrateKbps: output.bitrateKbps, sampleRate: output.sampleRate,
                                        channels: output.channels))
        try await stage(job.id, worker: worker, stage: "store", detail: file.lastPathComponent, now: Date())
        let final = try await validateAndRecord(
            file, expecting: Pipeline.outputExpectation(for: job.spec), what: "\(format) output", job: job, worker: worker)
        let stored = try artifacts.put(moving: file)
        let audio = final.info.streams.first { $0.type == "audio" }
        let gains = report.gainsDB.map { String(format: "%+.1f", $0) }.joined(separator: " ")
        let joined = MediaCheck(name: "parts", subject: "\(format) output", detail: String(
            format: "%d parts (%.2f s of speech) joined with %.2f s pauses: %.2f s; loudness evened by %@ dB",
            parts.count, report.inputSeconds.reduce(0, +), pause, report.durationSeconds, gains))
        return [ArtifactRef(
            sha256: stored.sha256, mime: audioFormat.mime, bytes: stored.bytes, format: format,
            durationSeconds: final.durationSeconds, codec: audio?.codec, role: .output,
            checks: [joined] + final.results.map { $0.about("\(format) output") })]
    }

    private func mergeTranscripts(_ job: Job, parts: [Job], handle: PartsHandle, worker: String) async throws
        -> [ArtifactRef] {
        let format = job.spec.outputFormat
        guard let transcriptFormat = Transcript.Format(rawValue: format) else {
            throw MediaJobsError.invalidInput("output.format", "'\(format)' is not a transcript format")
        }
        var pieces: [TranscriptMerger.Piece] = []
        for (part, place) in zip(parts, handle.parts) {
            let (output, url) = try await partOutput(part)
            let transcript: Transcript
            do {
                transcript = try JSONDecoder().decode(Transcript.self, from: Data(contentsOf: url))
            } catch {
                throw Failure(error: MediaJobsError(.mediaInvalidOutput,
                    "part \(part.id): its transcript \(output.sha256) is not a JSON transcript (\(error))"),
                              retryable: false, costs: [])
            }
            pieces.append(TranscriptMerger.Piece(transcript: transcript, offset: place.start ?? 0,
                                                 ownStart: place.ownStart ?? 0, ownEnd: place.ownEnd ?? .infinity))
        }
        try await stage(job.id, worker: worker, stage: "store", detail: "\(format) transcript of \(parts.count) parts",
                        now: Date())
        let merged = TranscriptMerger.merge(pieces, sourceSeconds: handle.sourceSeconds)
        let text = merged.rendered(as: transcriptFormat, settings: transcripts)
        let stored = try artifacts.put(data: Data(text.utf8))
        let check = MediaCheck(name: "transcript", subject: "\(format) output", detail: String(
            format: "%d segment(s) from %d parts over %.2f s, rendered as %@", merged.segments.count, parts.count,
            merged.segments.last?.end ?? 0, format))
        return [ArtifactRef(
            sha256: stored.sha256, mime: ArtifactRef.mime(forFormat: format), bytes: stored.bytes, format: format,
            durationSeconds: merged.segments.last?.end, role: .output, checks: [check])]
    }
}

extension PartsPlan {
    /// The lossless form: 16 kHz mono FLAC, about 32 kB a second of speech (what recognisers hear anyway).
    public static let losslessUpload = AudioOutputOptions(format: .flac, sampleRate: 16_000, channels: 1)

    /// The form pieces of at most `seconds` are cut in: lossless where the upload limit allows it (lossy audio costs a
    /// recogniser words), else compact.
    public static func pieceForm(_ seconds: Double, _ limits: RequestLimits) -> AudioOutputOptions {
        guard let bytes = limits.uploadBytes else { return losslessUpload }
        return Double(bytes) >= seconds * 32_000 * 1.25 + 8_192 ? losslessUpload : .compactSpeech
    }
}
