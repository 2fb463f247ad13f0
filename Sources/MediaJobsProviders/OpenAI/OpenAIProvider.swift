import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsHTTP

/// OpenAI: speech (`/audio/speech`), transcription (`/audio/transcriptions`, multipart) and images
/// (`/images/generations`). All synchronous.
public struct OpenAIProvider: CatalogBackedProvider {
    public let name = "openai"
    let client: RemoteClient

    init(client: RemoteClient) {
        self.client = client
    }

    func headers() throws -> [(name: String, value: String)] {
        [("Authorization", "Bearer \(try client.key())")]
    }

    public func check(_ spec: JobSpec, model: String) throws {
        try checkCatalog(spec, model: model)
        if spec.kind == .tts, spec.input.instructions != nil, model.hasPrefix("tts-1") {
            throw MediaJobsError.invalidInput("input.instructions", "openai/\(model) does not take instructions")
        }
        if spec.kind == .tts, let speed = spec.input.speed, !(0.25...4).contains(speed) {
            throw MediaJobsError.invalidInput("input.speed", "openai speaks at 0.25 to 4, not \(speed)")
        }
        try checkImageLimits(spec, model: model)
        if spec.kind == .image, spec.input.referenceImages != nil {
            guard model.hasPrefix("gpt-image") else {
                throw MediaJobsError.invalidInput("input.reference_images",
                                                  "openai/\(model) takes no reference images (gpt-image models do, as edits)")
            }
            try refuseImageURLs(spec, model: model, why: "/v1/images/edits takes image files")
        }
        if spec.kind == .transcribe, spec.input.timestamps == true, !OpenAIProvider.answersVerbose(model) {
            throw MediaJobsError.invalidInput("input.timestamps", "openai/\(model) answers json only, without timestamps "
                + "(whisper-1 gives timed segments and words)")
        }
    }

    /// whisper-1 gives timed segments and words with `verbose_json`; the gpt-4o transcribe models answer json only.
    static func answersVerbose(_ model: String) -> Bool { model.hasPrefix("whisper") }

    public func start(_ request: ProviderRequest) async throws -> ProviderStart {
        switch request.spec.kind {
        case .tts: .done(try await speech(request))
        case .transcribe: .done(try await transcription(request))
        case .image: .done(try await image(request))
        case .video:
            throw ProviderError(.fallback, MediaJobsError(.providerUnsupported, "provider: 'openai' makes no video (Sora was shut down)"))
        }
    }

    public func poll(_ handle: String, request: ProviderRequest) async throws -> ProviderPoll {
        .failed(ProviderError(.fatal, MediaJobsError(.providerFailed, "provider: 'openai' jobs are never asynchronous here")))
    }

    /// The `response_format` for the output the user wants, so no transcode is needed when possible.
    static func speechFormat(for output: String) -> String {
        switch output {
        case "mp3", "opus", "aac", "flac", "wav": output
        case "m4a": "aac"
        default: "mp3"
        }
    }

    private func speech(_ request: ProviderRequest) async throws -> ProviderResult {
        let input = request.spec.input
        let format = OpenAIProvider.speechFormat(for: request.spec.outputFormat)
        let body = OpenAISpeechBody(model: request.model, input: input.text ?? "", voice: input.voice ?? "alloy",
                                    instructions: input.instructions, responseFormat: format, speed: input.speed)
        let response = try await client.send(
            try HTTPRequest.json(url: client.endpoint.url("/audio/speech"), body: body, headers: try headers(),
                                 timeouts: client.settings.timeouts.submit),
            action: "speech", creates: true, maxBodyBytes: RemoteClient.maxDownloadBytes(.tts))
        // Paid now, whatever the label says: the worker judges the bytes (the label, when it names no audio
        // format, is kept as the file's name, so a mismatch is noted).
        let declared = RemoteClient.declaredFormat(mediaType: response.mediaType)
        let audioLabel = RemoteClient.format(mediaType: response.mediaType, url: nil) != nil
        let produced = format == "opus" && audioLabel ? "opus" : (declared ?? format)
        let file = request.workDirectory.appendingPathComponent("speech.\(produced)")
        try response.body.write(to: file)
        return await client.result(files: [.init(url: file, format: produced)], request: request, reportedUSD: nil,
                             rawUsage: response.headers["x-request-id"].map { ["x_request_id": $0] })
    }

    private func transcription(_ request: ProviderRequest) async throws -> ProviderResult {
        guard let audio = request.audioFile else {
            throw ProviderError(.fatal, .invalidInput("input.audio", "no audio file to transcribe"))
        }
        let limit = client.catalog.model(provider: name, id: request.model)?.limits.maxUploadBytes ?? ModelCatalog.upload25MB
        let upload = try await client.fitUpload(audio, limit: limit, workDirectory: request.workDirectory)
        let (uploadExtension, seconds) = try await client.describeUpload(upload)
        // Asked for whenever the model can, so srt and vtt have real times (`timestamps: true` elsewhere is refused).
        let verbose = OpenAIProvider.answersVerbose(request.model)
        var parts: [MultipartPart] = [
            .file("file", upload, fileName: "audio.\(uploadExtension)", contentType: RemoteClient.audioContentType(uploadExtension)),
            .text("model", request.model),
            .text("response_format", verbose ? "verbose_json" : "json"),
        ]
        if verbose { parts += [.text("timestamp_granularities[]", "segment"), .text("timestamp_granularities[]", "word")] }
        if let language = request.spec.input.language { parts.append(.text("language", language)) }
        if let prompt = request.spec.input.prompt { parts.append(.text("prompt", prompt)) }
        let response = try await client.send(
            HTTPRequest(method: "POST", url: client.endpoint.url("/audio/transcriptions"), headers: try headers(),
                        body: .multipart(parts), timeouts: client.settings.timeouts.submit),
            action: "transcription", creates: true)
        let transcript: Transcript?
        if let object = response.jsonObject {
            transcript = TranscriptDecoding.transcript(fromJSON: object, audioSeconds: seconds)
        } else {
            transcript = TranscriptDecoding.transcript(fromCues: String(decoding: response.body, as: UTF8.self))
        }
        guard let transcript else {
            throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "openai transcription: the answer has no text"))
        }
        let usage = response.jsonObject?["usage"] as? [String: Any]
        var units: [String: Decimal] = [:]
        if let s = RemoteClient.decimal(usage?["seconds"]) ?? RemoteClient.decimal(response.jsonObject?["duration"]) {
            units["audio_seconds"] = s
        } else if let seconds {
            units["audio_seconds"] = Decimal(string: String(format: "%.3f", seconds))
        }
        if let tokens = RemoteClient.decimal(usage?["total_tokens"]) { units["tokens"] = tokens }
        return await client.result(transcript: transcript, request: request, units: units, reportedUSD: nil, rawUsage: usage)
    }

    private func image(_ request: ProviderRequest) async throws -> ProviderResult {
        let input = request.spec.input
        let format = request.spec.outputFormat
        let outputFormat = ["png", "jpeg", "webp"].contains(format) && request.model.hasPrefix("gpt-image") ? format : nil
        let httpRequest: HTTPRequest
        if request.images.references.isEmpty {
            let body = OpenAIImageBody(model: request.model, prompt: input.prompt ?? "", n: input.n, size: input.size,
                                       quality: input.quality, outputFormat: outputFormat)
            httpRequest = try HTTPRequest.json(url: client.endpoint.url("/images/generations"), body: body,
                                               headers: try headers(), timeouts: client.settings.timeouts.submit)
        } else {
            // With reference images a gpt-image model edits: multipart, each image a file part `image[]`.
            var parts: [MultipartPart] = [.text("model", request.model), .text("prompt", input.prompt ?? "")]
            for (index, image) in request.images.references.enumerated() {
                guard case .file(let file, let mime) = image.source else {
                    throw ProviderError(.fatal, .invalidInput(image.field, "openai takes image files for edits, not URLs"))
                }
                let fileExtension = mime == "image/jpeg" ? "jpg" : String(mime.dropFirst("image/".count))
                parts.append(.file("image[]", file, fileName: "reference-\(index).\(fileExtension)", contentType: mime))
            }
            if let n = input.n { parts.append(.text("n", String(n))) }
            if let size = input.size { parts.append(.text("size", size)) }
            if let quality = input.quality { parts.append(.text("quality", quality)) }
            if let outputFormat { parts.append(.text("output_format", outputFormat)) }
            httpRequest = HTTPRequest(method: "POST", url: client.endpoint.url("/images/edits"), headers: try headers(),
                                      body: .multipart(parts), timeouts: client.settings.timeouts.submit)
        }
        let response = try await client.send(httpRequest, action: "image", creates: true,
                                             maxBodyBytes: RemoteClient.maxDownloadBytes(.image))
        let object = response.jsonObject ?? [:]
        var files: [ProviderResult.File] = []
        for (index, item) in (object["data"] as? [[String: Any]] ?? []).enumerated() {
            if let b64 = item["b64_json"] as? String {
                // The label only names the file: the pipeline judges the bytes, and converts them when they are
                // another format than asked.
                let produced = (object["output_format"] as? String) ?? outputFormat ?? "png"
                files.append(try client.decodeBase64(b64, into: request.workDirectory, index: index, format: produced))
            } else if let link = item["url"] as? String, let url = URL(string: link) {
                files.append(try await client.download(url, into: request.workDirectory, index: index, kind: .image,
                                                       fallbackFormat: "png", headers: []))
            }
        }
        guard !files.isEmpty else {
            throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "openai image: the answer has no image"))
        }
        // The answer echoes the quality and size used (what `auto` became): the price follows them.
        let answered = ["quality": object["quality"] as? String, "size": object["size"] as? String].compactMapValues { $0 }
        var units = ["images": Decimal(files.count)]
        // The text tokens the answer says the prompt took (gpt-image-1 bills them beside the images).
        let usage = object["usage"] as? [String: Any]
        if let tokens = RemoteClient.decimal((usage?["input_tokens_details"] as? [String: Any])?["text_tokens"]) {
            units["input_text_tokens"] = tokens
        }
        return await client.result(files: files, request: request, units: units, reportedUSD: nil,
                                   rawUsage: usage, answered: answered)
    }
}

/// `POST /v1/audio/speech`.
struct OpenAISpeechBody: Encodable {
    var model: String
    var input: String
    var voice: String
    var instructions: String?
    var responseFormat: String
    var speed: Double?

    enum CodingKeys: String, CodingKey {
        case model, input, voice, instructions, speed
        case responseFormat = "response_format"
    }
}

/// `POST /v1/images/generations`.
struct OpenAIImageBody: Encodable {
    var model: String
    var prompt: String
    var n: Int?
    var size: String?
    var quality: String?
    var outputFormat: String?

    enum CodingKeys: String, CodingKey {
        case model, prompt, n, size, quality
        case outputFormat = "output_format"
    }
}
