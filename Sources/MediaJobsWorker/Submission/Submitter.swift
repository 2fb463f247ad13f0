import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsStore

/// Turns a user's spec into a queued job: reads text files, proves input media real with FFmpeg,
/// copies inputs into the artifact store (so a job never depends on a path that may move), checks
/// the routes against their providers, then enqueues.
public struct Submitter: Sendable {
    public let store: any JobStore
    public let artifacts: ArtifactStore
    public let engine: MediaEngine
    public let providers: ProviderRegistry
    /// Relative input paths are resolved against this folder.
    public let workingDirectory: URL

    public init(
        store: any JobStore, artifacts: ArtifactStore, engine: MediaEngine, providers: ProviderRegistry,
        workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) {
        self.store = store
        self.artifacts = artifacts
        self.engine = engine
        self.providers = providers
        self.workingDirectory = workingDirectory
    }

    /// Prepares and enqueues one job. Throws `input.*` errors naming the field or file.
    public func submit(_ spec: JobSpec, now: Date = Date()) async throws -> EnqueueResult {
        let (prepared, inputs) = try await prepare(spec, now: now)
        let result = try await store.enqueue(prepared, now: now)
        for input in inputs {
            try await store.recordArtifact(input, job: result.job.id, now: now)
        }
        return result
    }

    /// Prepares and enqueues many jobs in one transaction (all or none).
    public func submit(_ specs: [JobSpec], now: Date = Date()) async throws -> [EnqueueResult] {
        var prepared: [(JobSpec, [ArtifactRef])] = []
        for spec in specs { prepared.append(try await prepare(spec, now: now)) }
        let results = try await store.enqueue(prepared.map(\.0), now: now)
        for (result, (_, inputs)) in zip(results, prepared) {
            for input in inputs { try await store.recordArtifact(input, job: result.job.id, now: now) }
        }
        return results
    }

    /// Resolves files in the spec and checks it; returns the spec to store and the input artifacts.
    func prepare(_ spec: JobSpec, now: Date) async throws -> (JobSpec, [ArtifactRef]) {
        var spec = spec
        var inputs: [ArtifactRef] = []
        if let path = spec.input.textFile {
            spec.input.text = try readText(path)
            spec.input.textFile = nil
            spec.input.sourceName = path
        }
        try spec.validate()
        try providers.check(spec)
        if spec.model == nil {
            spec.model = try providers.resolve(Route(provider: spec.provider), for: spec).model
        }
        var audioSeconds: Double?
        if spec.kind == .transcribe, let audio = spec.input.audio, !ArtifactRef.isValidSHA256(audio) {
            let ref = try await ingestMedia(path: audio, field: "input.audio")
            spec.input.sourceName = audio
            spec.input.audio = ref.sha256
            inputs.append(ref)
            audioSeconds = ref.durationSeconds
            try checkUploadLimits(spec, input: ref)
        } else if spec.kind == .transcribe, let sha = spec.input.audio {
            guard let ref = try await store.artifact(sha256: sha), FileManager.default.fileExists(atPath: try artifacts.url(for: sha).path) else {
                throw MediaJobsError(.artifactNotFound, "input.audio: no artifact \(sha) in this home")
            }
            audioSeconds = ref.durationSeconds
            try checkUploadLimits(spec, input: ref)
        }
        try checkPrice(spec, audioSeconds: audioSeconds, now: now)
        return (spec, inputs)
    }

    /// An input over a route's upload limit is re-encoded compactly (16 kHz mono Opus, 24 kb/s) by the provider
    /// adapter when that fits; when even that cannot fit, the job is refused here, naming the limit, so a request
    /// bound to get a 413 is never sent.
    func checkUploadLimits(_ spec: JobSpec, input: ArtifactRef) throws {
        for route in spec.routes {
            let (provider, model) = try providers.resolve(route, for: spec)
            guard let limit = provider.uploadLimit(model: model), input.bytes > limit else { continue }
            // Opus at 24 kb/s is 3,000 bytes a second; allow a tenth more for container overhead.
            let compact = input.durationSeconds.map { Int64($0 * 3000 * 1.1) + 8192 } ?? Int64.max
            if compact > limit {
                throw MediaJobsError.invalidInput("input.audio", "\(input.bytes) bytes is over \(provider.name)/\(model)'s upload "
                    + "limit of \(limit) bytes, and re-encoded as 16 kHz mono Opus it would still be about \(compact) bytes "
                    + "(split the recording)")
            }
        }
    }

    private func resolve(_ path: String) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        return expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded)
            : workingDirectory.appendingPathComponent(expanded).standardizedFileURL
    }

    private func readText(_ path: String) throws -> String {
        let url = resolve(path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MediaJobsError(.fileNotFound, "input.text_file: \(path): no such file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw MediaJobsError(.invalidInput, "input.text_file: \(path): cannot be read (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MediaJobsError(.invalidInput, "input.text_file: \(path): is not UTF-8 text")
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw MediaJobsError(.invalidInput, "input.text_file: \(path): is empty")
        }
        return text
    }

    /// Proves a media file real (FFmpeg decodes it all) and copies it into the artifact store.
    private func ingestMedia(path: String, field: String) async throws -> ArtifactRef {
        if path.hasPrefix("http://") || path.hasPrefix("https://") {
            throw MediaJobsError.invalidInput(field, "URLs as inputs are not supported yet; download the file first")
        }
        let url = resolve(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw MediaJobsError(.fileNotFound, "\(field): \(path): no such file")
        }
        guard !isDirectory.boolValue else {
            throw MediaJobsError.invalidInput(field, "\(path) is a folder, not a media file")
        }
        let report: MediaReport
        do {
            report = try await engine.validate(url, expecting: MediaExpectation())
        } catch let error as MediaJobsError {
            throw MediaJobsError(.invalidInput, "\(field): \(path) is not usable media: \(error.message)", underlying: error)
        }
        guard let audio = report.info.streams.first(where: { $0.type == "audio" }) else {
            throw MediaJobsError.invalidInput(field, "\(path) has no audio stream")
        }
        let stored = try artifacts.put(copying: url)
        let format = url.pathExtension.isEmpty ? "bin" : url.pathExtension.lowercased()
        return ArtifactRef(
            sha256: stored.sha256, mime: ArtifactRef.mime(forFormat: format), bytes: stored.bytes, format: format,
            durationSeconds: report.durationSeconds, codec: audio.codec, role: .input)
    }
}
