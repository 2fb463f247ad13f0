import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsStore

/// What the pipeline expects of media, built from the job spec, and the recording of each check.
extension Pipeline {
    /// What a provider's raw output must be: the kind, the duration and sound track asked for, and
    /// for speech a length plausible for its text.
    public static func providerExpectation(for spec: JobSpec) -> MediaExpectation {
        switch spec.kind {
        case .tts:
            var expectation = MediaExpectation(kind: .audio)
            if let text = spec.input.text {
                // At another speed the same text takes proportionally less or more time.
                expectation.spokenCharacters = Int((Double(text.count) / max(0.25, spec.input.speed ?? 1)).rounded())
            }
            return expectation
        case .transcribe:
            return MediaExpectation(kind: .any)
        case .image:
            return MediaExpectation(kind: .image)
        case .video:
            return MediaExpectation(
                kind: .video, durationSeconds: spec.input.durationSeconds, audioTrack: spec.input.generateAudio)
        }
    }

    /// What the delivered file must be: the provider's expectation plus the requested format, size and rate.
    public static func outputExpectation(for spec: JobSpec) -> MediaExpectation {
        var expectation = providerExpectation(for: spec)
        expectation.format = spec.outputFormat
        switch spec.kind {
        case .image:
            expectation.width = spec.output.width
            expectation.height = spec.output.height
        case .video:
            expectation.height = spec.output.height
            expectation.width = spec.output.height == nil ? nil : spec.output.width
            expectation.frameRate = spec.output.fps
        case .tts, .transcribe:
            break
        }
        return expectation
    }

    /// The `media` section of the home folder's config.json (`configurationURL`).
    func mediaLimits() throws -> MediaLimits {
        try Configuration.load(from: configurationURL).section(MediaLimits.self)
    }

    /// Validates `file` against `expectation` and records the outcome on the job: every check that
    /// passed, or the failure's code and reason. Rethrows the failure.
    func validateAndRecord(
        _ file: URL, expecting expectation: MediaExpectation, what: String, job: Job, worker: String
    ) async throws -> MediaReport {
        do {
            let report = try await engine.validate(file, expecting: expectation, limits: try mediaLimits())
            try await store.addEvent(
                job.id, kind: .note, worker: worker,
                detail: "validated \(what): " + report.checks.joined(separator: "; "), now: Date())
            return report
        } catch let error as MediaJobsError where error.code.rawValue.hasPrefix("media.") && error.code != .mediaCanceled {
            try? await store.addEvent(
                job.id, kind: .note, worker: worker, detail: "validation of \(what) failed: \(error.code.rawValue): \(error.message)",
                now: Date())
            throw error
        }
    }
}

extension MediaCheck {
    /// The same check, said of `subject`.
    func about(_ subject: String) -> MediaCheck {
        var check = self
        check.subject = subject
        return check
    }
}
