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
    /// The `config.json` whose `budgets` section is checked at submit: the home folder's. By default the one beside
    /// the artifact folder, which is the home's unless the artifacts were put elsewhere.
    public var configurationURL: URL

    public init(
        store: any JobStore, artifacts: ArtifactStore, engine: MediaEngine, providers: ProviderRegistry,
        workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) {
        self.store = store
        self.artifacts = artifacts
        self.engine = engine
        self.providers = providers
        self.workingDirectory = workingDirectory
        self.configurationURL = artifacts.root.deletingLastPathComponent().appendingPathComponent("config.json")
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
        try await ingestImages(&spec, into: &inputs)
        try checkPrice(spec, audioSeconds: audioSeconds, now: now)
        return (spec, inputs)
    }

    /// Each input image given as a path (`first_frame`, `last_frame`, every `reference_images` entry) is proven a
    /// picture by FFmpeg, copied into the artifact store and named by its sha256 in the stored spec; an artifact
    /// sha256 must name a stored picture; a URL is kept (every route was checked to take one).
    func ingestImages(_ spec: inout JobSpec, into inputs: inout [ArtifactRef]) async throws {
        if let first = spec.input.firstFrame {
            spec.input.firstFrame = try await storedImage(first, field: "input.first_frame", into: &inputs)
        }
        if let last = spec.input.lastFrame {
            spec.input.lastFrame = try await storedImage(last, field: "input.last_frame", into: &inputs)
        }
        if let references = spec.input.referenceImages {
            var stored: [String] = []
            for (index, reference) in references.enumerated() {
                stored.append(try await storedImage(reference, field: "input.reference_images[\(index)]", into: &inputs))
            }
            spec.input.referenceImages = stored
        }
    }

    /// What the stored spec names for one image field: the URL as given, the artifact sha256 (checked), or the
    /// sha256 of the file's stored copy (added to `inputs`).
    private func storedImage(_ value: String, field: String, into inputs: inout [ArtifactRef]) async throws -> String {
        if InputImage.isURL(value) { return value }
        if ArtifactRef.isValidSHA256(value) {
            guard let ref = try await store.artifact(sha256: value),
                  FileManager.default.fileExists(atPath: try artifacts.url(for: value).path)
            else {
                throw MediaJobsError(.artifactNotFound, "\(field): no artifact \(value) in this home")
            }
            guard ref.mime.hasPrefix("image/") else {
                throw MediaJobsError.invalidInput(field, "artifact \(value) is \(ref.mime), not an image")
            }
            return value
        }
        let ref = try await ingestImage(path: value, field: field)
        if !inputs.contains(where: { $0.sha256 == ref.sha256 }) { inputs.append(ref) }
        return ref.sha256
    }

    /// Proves an image file a picture (FFmpeg decodes it) and copies it into the artifact store, with the format
    /// its bytes are (not its name's).
    private func ingestImage(path: String, field: String) async throws -> ArtifactRef {
        let url = try existingFile(path, field: field)
        let report: MediaReport
        do {
            report = try await engine.validate(url, expecting: MediaExpectation(kind: .image))
        } catch let error as MediaJobsError {
            throw MediaJobsError(.invalidInput, "\(field): \(path) is not a usable image: \(error.message)", underlying: error)
        }
        guard let picture = report.info.videoStreams.first,
              let format = ImageFormat.allCases.first(where: { $0.codecName == picture.codec })
        else {
            let codec = report.info.videoStreams.first?.codec ?? "no picture"
            throw MediaJobsError.invalidInput(field, "\(path) is \(codec), not a png, jpeg or webp image")
        }
        let stored = try artifacts.put(copying: url)
        return ArtifactRef(
            sha256: stored.sha256, mime: format.mime, bytes: stored.bytes, format: format.rawValue, width: picture.width,
            height: picture.height, codec: picture.codec, role: .input)
    }

    /// The file `path` names, which must exist and not be a folder.
    private func existingFile(_ path: String, field: String) throws -> URL {
        let url = resolve(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw MediaJobsError(.fileNotFound, "\(field): \(path): no such file")
        }
        guard !isDirectory.boolValue else {
            throw MediaJobsError.invalidInput(field, "\(path) is a folder, not a media file")
        }
        return url
    }

    /// An input over a route's limits is cut into pieces that fit, by the worker; one the limits are too small to cut
    /// for is refused here, naming the limit, so a job bound to fail is never queued.
    func checkUploadLimits(_ spec: JobSpec, input: ArtifactRef) throws {
        guard let seconds = input.durationSeconds else { return }
        // Route by route, to name the one whose limit is too small (together they are no stricter than the strictest).
        for route in spec.routes {
            let (provider, model) = try providers.resolve(route, for: spec)
            guard let limits = provider.limits(model: model) else { continue }
            _ = try PartsPlan.pieceSeconds(
                recordingSeconds: seconds, bytes: input.bytes,
                limits: RequestLimits(limits),
                route: "\(provider.name)/\(model)")
        }
    }

    private func resolve(_ path: String) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        return expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded)
            : workingDirectory.appendingPathComponent(expanded).standardizedFileURL
    }

    /// The largest text file a job reads (a book is a few megabytes).
    static let maxTextFileBytes: Int64 = 16 << 20

    private func readText(_ path: String) throws -> String {
        let url = resolve(path)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MediaJobsError(.fileNotFound, "input.text_file: \(path): no such file")
        }
        do {
            try RegularFile.require(url)
        } catch let error as MediaJobsError {
            throw MediaJobsError(.invalidInput, "input.text_file: \(error.message)", underlying: error)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber
        if let size, size.int64Value > Submitter.maxTextFileBytes {
            throw MediaJobsError(.invalidInput, "input.text_file: \(path): \(size) bytes is over the limit of "
                + "\(Submitter.maxTextFileBytes) bytes for a script")
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

    /// Recordings up to this long (as their headers declare) are decoded in full at submit, so a damaged short file
    /// is refused at once; decoding one takes well under a second. Longer ones are checked by their headers only,
    /// so that `submit` answers at once for any length, and decoded in full by the worker before anything is sent
    /// for them (`Pipeline.decodeInputInFull`).
    public static let fullDecodeAtSubmitSeconds: Double = 60

    /// Checks a media file (see `fullDecodeAtSubmitSeconds`) and copies it into the artifact store. A file whose
    /// headers declare no duration is decoded in full here, whatever its length.
    private func ingestMedia(path: String, field: String) async throws -> ArtifactRef {
        if path.hasPrefix("http://") || path.hasPrefix("https://") {
            throw MediaJobsError.invalidInput(field, "URLs as inputs are not supported yet; download the file first")
        }
        let url = try existingFile(path, field: field)
        var checks: [MediaCheck]
        let info: MediaInfo
        var duration: Double?
        do {
            let inspection = try await engine.inspect(url, expecting: MediaExpectation())
            (info, checks, duration) = (inspection.info, inspection.checks, inspection.info.durationSeconds)
            if let declared = duration, declared > Submitter.fullDecodeAtSubmitSeconds {
                checks.append(MediaCheck(name: "duration", detail: String(
                    format: "the headers declare %.2f s%@; decoded in full by the worker before any provider is sent it",
                    declared, inspection.durationIsEstimate ? " (estimated from the bitrate)" : "")))
            } else {
                let report = try await engine.validate(url, expecting: MediaExpectation())
                (checks, duration) = (report.results, report.durationSeconds)
            }
        } catch let error as MediaJobsError {
            throw MediaJobsError(.invalidInput, "\(field): \(path) is not usable media: \(error.message)", underlying: error)
        }
        guard let audio = info.streams.first(where: { $0.type == "audio" }) else {
            throw MediaJobsError.invalidInput(field, "\(path) has no audio stream")
        }
        let stored = try artifacts.put(copying: url)
        let format = url.pathExtension.isEmpty ? "bin" : url.pathExtension.lowercased()
        return ArtifactRef(
            sha256: stored.sha256, mime: ArtifactRef.mime(forFormat: format), bytes: stored.bytes, format: format,
            durationSeconds: duration, codec: audio.codec, role: .input, checks: checks.map { $0.about("input") })
    }
}
