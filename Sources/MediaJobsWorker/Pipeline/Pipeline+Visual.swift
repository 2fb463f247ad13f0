import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsStore

/// Image and video outputs: validated, converted to what the job asked for, stored.
extension Pipeline {
    /// Validates each image or video the provider made, converts it to the format, size and rate the job asked
    /// for (nothing is converted when the file already is that), validates the delivered file and stores it with
    /// every check made on the way.
    func storeVisual(_ job: Job, result: ProviderResult, worker: String) async throws -> [ArtifactRef] {
        guard !result.files.isEmpty else {
            throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "the provider returned no \(job.spec.kind) file"))
        }
        var outputs: [ArtifactRef] = []
        for (index, produced) in result.files.enumerated() {
            outputs.append(try await storeVisual(job, produced: produced, index: index, worker: worker))
        }
        return outputs
    }

    private func storeVisual(
        _ job: Job, produced given: ProviderResult.File, index: Int, worker: String
    ) async throws -> ArtifactRef {
        let spec = job.spec
        let target = try VisualTarget(spec)
        try await stage(job.id, worker: worker, stage: "validate", detail: given.url.lastPathComponent, now: Date())
        let (produced, labelNote) = try await relabeled(given, kind: spec.kind, job: job, worker: worker)
        let file = produced.url
        let info: MediaInfo
        do {
            info = try await engine.probe(file)
        } catch {
            throw Pipeline.invalidProviderOutput(spec.kind, error)
        }
        // What the file is, by its content: a provider's label (or a URL's extension) may say otherwise.
        let made = Pipeline.visualFormat(of: info) ?? Pipeline.normalizedFormat(produced.format)
        let fits = target.fits(info, file: file)

        var checks: [MediaCheck] = labelNote.map { [$0] } ?? []
        var delivered = file
        let final: MediaReport
        if fits {
            // Already what was asked: one decoding pass checks both the provider's promise and the request.
            final = try await validateProviderOutput(file, expecting: Pipeline.outputExpectation(for: spec), job: job,
                                                     worker: worker)
            checks += final.results.map { $0.about("provider output") }
            checks.append(MediaCheck(
                name: "convert", subject: "provider output",
                detail: "already \(target.description) as asked: stored as the provider made it"))
        } else {
            let report = try await validateProviderOutput(
                file, expecting: Pipeline.providerExpectation(for: spec), job: job, worker: worker)
            checks += report.results.map { $0.about("provider output") }
            try await stage(job.id, worker: worker, stage: "transcode", detail: "\(made) to \(target.description)",
                            now: Date())
            delivered = file.deletingLastPathComponent()
                .appendingPathComponent("delivered-\(index)-\(UUID().uuidString.prefix(8)).\(target.fileExtension)")
            let action = try await target.convert(file, to: delivered, engine: engine)
            let size = report.info.videoStreams.first.map { " \($0.width ?? 0)x\($0.height ?? 0)" } ?? ""
            checks.append(MediaCheck(
                name: "convert", subject: "provider output",
                detail: "\(action.rawValue) from \(made)\(size) to \(target.description)"))
            try await store.addEvent(job.id, kind: .note, worker: worker,
                                     detail: "\(action.rawValue) \(made)\(size) to \(target.description)", now: Date())
            final = try await validateAndRecord(
                delivered, expecting: Pipeline.outputExpectation(for: spec), what: "\(target.format) output", job: job,
                worker: worker)
            checks += final.results.map { $0.about("\(target.format) output") }
        }
        try await stage(job.id, worker: worker, stage: "store", detail: delivered.lastPathComponent, now: Date())
        let stored = try artifacts.put(moving: delivered)
        let video = final.info.videoStreams.first
        return ArtifactRef(
            sha256: stored.sha256, mime: target.mime, bytes: stored.bytes, format: target.format,
            durationSeconds: spec.kind == .video ? final.durationSeconds : nil,
            width: video?.width, height: video?.height, codec: video?.codec, role: .output, checks: checks)
    }

    /// Validates what a provider made; a file that is not the media promised is the provider's failure, and
    /// may be better on the next attempt.
    private func validateProviderOutput(
        _ file: URL, expecting expectation: MediaExpectation, job: Job, worker: String
    ) async throws -> MediaReport {
        do {
            return try await validateAndRecord(file, expecting: expectation, what: "provider output", job: job, worker: worker)
        } catch where Task.isCancelled {
            throw error
        } catch let error as MediaJobsError where error.code == .mediaCanceled {
            throw error
        } catch {
            throw Pipeline.invalidProviderOutput(job.spec.kind, error)
        }
    }

    static func invalidProviderOutput(_ kind: JobKind, _ error: any Error) -> ProviderError {
        let wrapped = MediaJobsError.wrapping(error, code: .mediaInvalidOutput)
        return ProviderError(.retryable, MediaJobsError(
            .mediaInvalidOutput, "the provider's \(kind) output is not valid media: \(wrapped.code.rawValue): \(wrapped.message)",
            underlying: error))
    }

    /// The format a probed picture or video is, by its codec and container (nil when it is none we deliver).
    static func visualFormat(of info: MediaInfo) -> String? {
        guard let picture = info.videoStreams.first ?? info.streams.first(where: { $0.type == StreamInfo.video }) else {
            return nil
        }
        if let image = ImageFormat.allCases.first(where: { $0.codecName == picture.codec }),
            info.container.hasSuffix("_pipe") || info.container == "image2" || info.container == "webp"
        {
            return image.rawValue
        }
        if info.container.hasPrefix("mov,mp4") { return "mp4" }
        if info.container == "matroska,webm" { return picture.codec == "h264" ? "mkv" : "webm" }
        return nil
    }

    static func normalizedFormat(_ format: String) -> String {
        switch format.lowercased() {
        case "jpg": "jpeg"
        default: format.lowercased()
        }
    }
}

/// What a visual output must be turned into: the job's format with its size and rate.
private enum VisualTarget: CustomStringConvertible {
    case image(ImageOutputOptions)
    case video(VideoOutputOptions)

    init(_ spec: JobSpec) throws {
        let output = spec.output
        let format = Pipeline.normalizedFormat(spec.outputFormat)
        switch spec.kind {
        case .image:
            guard let image = ImageFormat(name: format) else {
                throw MediaJobsError.invalidInput("output.format", "'\(format)' is not an image format (png, jpeg, webp)")
            }
            self = .image(ImageOutputOptions(format: image, width: output.width, height: output.height))
        default:
            guard let video = VideoFormat(rawValue: format) else {
                throw MediaJobsError.invalidInput("output.format", "'\(format)' is not a video format (mp4, webm)")
            }
            // For a video, bitrate_kbps, sample_rate and channels are its sound track's.
            self = .video(VideoOutputOptions(
                format: video, height: output.height, width: output.width, frameRate: output.fps,
                audioBitrateKbps: output.bitrateKbps, audioSampleRate: output.sampleRate, audioChannels: output.channels))
        }
    }

    var format: String {
        switch self {
        case .image(let options): options.format.rawValue
        case .video(let options): options.format.rawValue
        }
    }

    var fileExtension: String {
        switch self {
        case .image(let options): options.format.fileExtension
        case .video(let options): options.format.fileExtension
        }
    }

    var mime: String {
        switch self {
        case .image(let options): options.format.mime
        case .video(let options): options.format.mime
        }
    }

    /// "webp 320x?", "webm ?x240 at 12 fps": the format and what was asked of the size and rate.
    var description: String {
        func size(_ width: Int?, _ height: Int?) -> String {
            width == nil && height == nil ? "" : " \(width.map(String.init) ?? "?")x\(height.map(String.init) ?? "?")"
        }
        switch self {
        case .image(let options):
            return options.format.rawValue + size(options.width, options.height)
        case .video(let options):
            return options.format.rawValue + size(options.width, options.height)
                + (options.frameRate.map { String(format: " at %g fps", $0) } ?? "")
        }
    }

    func fits(_ info: MediaInfo, file: URL) -> Bool {
        switch self {
        case .image(let options): MediaEngine.imageFits(info, options: options)
        case .video(let options): MediaEngine.videoFit(info, input: file, options: options) == .copied
        }
    }

    func convert(_ input: URL, to output: URL, engine: MediaEngine) async throws -> ConversionAction {
        switch self {
        case .image(let options): try await engine.convertImage(input, to: output, options: options)
        case .video(let options): try await engine.convertVideo(input, to: output, options: options)
        }
    }
}
