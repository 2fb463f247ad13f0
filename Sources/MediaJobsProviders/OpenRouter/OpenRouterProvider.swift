import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsHTTP

/// OpenRouter: speech (`/audio/speech`), transcription (`/audio/transcriptions`, multipart), images (`/images`,
/// or `/chat/completions` with `modalities` for chat image models) and video (`/videos`, asynchronous).
public struct OpenRouterProvider: CatalogBackedProvider {
    public let name = "openrouter"
    let client: RemoteClient
    let settings: OpenRouterSettings

    init(client: RemoteClient, settings: OpenRouterSettings) {
        self.client = client
        self.settings = settings
    }

    /// The fields of OpenRouter's `provider` object each endpoint's schema accepts.
    static let routingFields: [String: Set<String>] = [
        "speech": ["options"], "transcription": ["options"], "video": ["options"],
        "images": ["allow_fallbacks", "ignore", "only", "options", "order", "sort"],
        "chat": ["allow_fallbacks", "data_collection", "enforce_distillable_text", "ignore", "max_price", "only", "order",
                 "preferred_max_latency", "preferred_min_throughput", "quantizations", "require_parameters", "sort", "zdr"],
    ]

    /// The routing preferences for `request`: the configuration's, with the job's `provider_options.openrouter` over them.
    func routing(for request: ProviderRequest) -> OpenRouterRouting {
        OpenRouterRouting(settings.routing).merged(with: request.spec.providerOptions?.openrouter)
    }

    /// The `provider` object for `endpoint`: the routing preferences cut to the fields that endpoint's schema
    /// accepts, plus `extra` options from the job's input (for example OpenAI's `instructions`), which win.
    func providerObject(for endpoint: String, request: ProviderRequest, options extra: [String: [String: JSONValue]] = [:])
        -> JSONValue?
    {
        let allowed = OpenRouterProvider.routingFields[endpoint] ?? []
        var object: [String: JSONValue] = [:]
        for (key, value) in routing(for: request).fields where allowed.contains(key) {
            object[key] = value
        }
        if !extra.isEmpty && allowed.contains("options") {
            var options: [String: JSONValue] = [:]
            if case .object(let given)? = object["options"] { options = given }
            for (slug, value) in extra {
                var merged: [String: JSONValue] = [:]
                if case .object(let given)? = options[slug] { merged = given }
                options[slug] = .object(merged.merging(value) { $1 })
            }
            object["options"] = .object(options)
        }
        return object.isEmpty ? nil : .object(object)
    }

    public func check(_ spec: JobSpec, model: String) throws {
        try checkCatalog(spec, model: model)
        try checkImageLimits(spec, model: model)
        if spec.kind == .image, let references = spec.input.referenceImages, references.count > 16 {
            throw MediaJobsError.invalidInput("input.reference_images",
                                              "openrouter takes at most 16 reference images, not \(references.count)")
        }
        if spec.kind == .transcribe, spec.input.timestamps == true, !OpenRouterProvider.answersVerbose(model) {
            throw MediaJobsError.invalidInput("input.timestamps", "openrouter/\(model) answers without timestamps "
                + "(verbose_json, with timed segments and words, is for OpenAI's models only)")
        }
    }

    /// Timed segments and words come with `verbose_json`, which only OpenAI's models answer.
    static func answersVerbose(_ model: String) -> Bool { model.hasPrefix("openai/") }

    func headers(json: Bool = true) throws -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("Authorization", "Bearer \(try client.key())")]
        if let url = settings.appURL { headers.append(("HTTP-Referer", url)) }
        if let title = settings.appTitle { headers.append(("X-Title", title)) }
        return headers
    }

    public func start(_ request: ProviderRequest) async throws -> ProviderStart {
        switch request.spec.kind {
        case .tts: .done(try await speech(request))
        case .transcribe: .done(try await transcription(request))
        case .image: .done(request.model.hasPrefix("google/gemini") ? try await chatImage(request) : try await image(request))
        case .video: try await submitVideo(request)
        }
    }

    private func speech(_ request: ProviderRequest) async throws -> ProviderResult {
        let input = request.spec.input
        var extra: [String: [String: JSONValue]] = [:]
        if let instructions = input.instructions { extra["openai"] = ["instructions": .string(instructions)] }
        let body = OpenRouterSpeechBody(
            model: request.model, input: input.text ?? "", voice: input.voice, responseFormat: "mp3", speed: input.speed,
            provider: providerObject(for: "speech", request: request, options: extra))
        let response = try await client.send(
            try HTTPRequest.json(url: client.endpoint.url("/audio/speech"), body: body, headers: try headers(),
                                 timeouts: client.settings.timeouts.submit),
            action: "speech", creates: true, maxBodyBytes: RemoteClient.maxDownloadBytes(.tts))
        // Paid now, whatever the label says: the worker judges the bytes (the label, when it names no audio
        // format, is kept as the file's name, so a mismatch is noted).
        let format = RemoteClient.declaredFormat(mediaType: response.mediaType) ?? "mp3"
        let file = request.workDirectory.appendingPathComponent("speech.\(format)")
        try response.body.write(to: file)
        var reported: Decimal?
        var usage: Any?
        if let generation = response.headers["X-Generation-Id"] {
            (reported, usage) = await generationCost(generation)
        }
        return await client.result(files: [.init(url: file, format: format)], request: request, reportedUSD: reported, rawUsage: usage)
    }

    /// `GET /generation?id=…` → `data.total_cost`; nil when the lookup fails (the cost is then estimated).
    func generationCost(_ id: String) async -> (Decimal?, Any?) {
        var components = URLComponents(url: client.endpoint.url("/generation"), resolvingAgainstBaseURL: false)
        components?.queryItems = [URLQueryItem(name: "id", value: id)]
        guard let url = components?.url, let headers = try? headers() else { return (nil, nil) }
        guard let response = try? await client.send(HTTPRequest(url: url, headers: headers, timeouts: client.settings.timeouts.poll),
                                                    action: "generation lookup", creates: false),
              let data = response.jsonObject?["data"] as? [String: Any]
        else { return (nil, ["generation_id": id]) }
        return (RemoteClient.decimal(data["total_cost"]), data)
    }

    private func transcription(_ request: ProviderRequest) async throws -> ProviderResult {
        guard let audio = request.audioFile else {
            throw ProviderError(.fatal, .invalidInput("input.audio", "no audio file to transcribe"))
        }
        let limit = client.catalog.model(provider: name, id: request.model)?.limits.maxUploadBytes ?? ModelCatalog.upload25MB
        let upload = try await client.fitUpload(audio, limit: limit, workDirectory: request.workDirectory)
        let (uploadExtension, seconds) = try await client.describeUpload(upload)
        // Timed segments and words come with verbose_json, which only OpenAI's models answer (asked for whenever the
        // model can, so srt and vtt have real times; `timestamps: true` on another model is refused at submit).
        let verbose = OpenRouterProvider.answersVerbose(request.model)
        let httpRequest: HTTPRequest
        if let provider = providerObject(for: "transcription", request: request) {
            // Only the JSON form of the endpoint takes the `provider` object: the audio goes base64-encoded.
            let body = OpenRouterTranscriptionBody(
                model: request.model,
                inputAudio: .init(data: try Data(contentsOf: upload).base64EncodedString(), format: uploadExtension),
                responseFormat: verbose ? "verbose_json" : "json",
                timestampGranularities: verbose ? ["segment", "word"] : nil,
                language: request.spec.input.language, provider: provider)
            httpRequest = try HTTPRequest.json(url: client.endpoint.url("/audio/transcriptions"), body: body,
                                               headers: try headers(), timeouts: client.settings.timeouts.submit)
        } else {
            var parts: [MultipartPart] = [.text("model", request.model)]
            if let language = request.spec.input.language { parts.append(.text("language", language)) }
            parts.append(.text("response_format", verbose ? "verbose_json" : "json"))
            if verbose { parts += [.text("timestamp_granularities[]", "segment"), .text("timestamp_granularities[]", "word")] }
            parts.append(.file("file", upload, fileName: "audio.\(uploadExtension)",
                               contentType: RemoteClient.audioContentType(uploadExtension)))
            httpRequest = HTTPRequest(method: "POST", url: client.endpoint.url("/audio/transcriptions"), headers: try headers(),
                                      body: .multipart(parts), timeouts: client.settings.timeouts.submit)
        }
        let response = try await client.send(httpRequest, action: "transcription", creates: true)
        guard let object = response.jsonObject,
              let transcript = TranscriptDecoding.transcript(fromJSON: object, audioSeconds: seconds)
        else {
            throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "openrouter transcription: the answer has no text"))
        }
        let usage = object["usage"] as? [String: Any]
        var units: [String: Decimal] = [:]
        if let s = RemoteClient.decimal(usage?["seconds"]) { units["audio_seconds"] = s }
        if let t = RemoteClient.decimal(usage?["total_tokens"]) { units["tokens"] = t }
        if units.isEmpty, let seconds { units["audio_seconds"] = Decimal(string: String(format: "%.3f", seconds)) }
        return await client.result(transcript: transcript, request: request, units: units,
                             reportedUSD: RemoteClient.decimal(usage?["cost"]), rawUsage: usage)
    }

    private func image(_ request: ProviderRequest) async throws -> ProviderResult {
        let input = request.spec.input
        let format = request.spec.outputFormat
        let references = try request.images.references.map { OpenRouterImagePart(url: try client.imageReference($0)) }
        let body = OpenRouterImageBody(
            model: request.model, prompt: input.prompt ?? "", n: input.n, aspectRatio: input.aspectRatio, size: input.size,
            quality: input.quality, outputFormat: ["png", "jpeg", "webp"].contains(format) ? format : nil,
            inputReferences: references.isEmpty ? nil : references,
            provider: providerObject(for: "images", request: request))
        let response = try await client.send(
            try HTTPRequest.json(url: client.endpoint.url("/images"), body: body, headers: try headers(),
                                 timeouts: client.settings.timeouts.submit),
            action: "image", creates: true, maxBodyBytes: RemoteClient.maxDownloadBytes(.image))
        let object = response.jsonObject ?? [:]
        let data = object["data"] as? [[String: Any]] ?? []
        var files: [ProviderResult.File] = []
        for (index, item) in data.enumerated() {
            if let b64 = item["b64_json"] as? String {
                let type = item["media_type"] as? String
                files.append(try client.decodeBase64(b64, into: request.workDirectory, index: index,
                                                     format: RemoteClient.format(mediaType: type, url: nil) ?? "png"))
            } else if let link = item["url"] as? String, let url = URL(string: link) {
                files.append(try await client.download(url, into: request.workDirectory, index: index, kind: .image,
                                                       fallbackFormat: "png", headers: try authHeaders(for: url)))
            }
        }
        guard !files.isEmpty else {
            throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "openrouter image: the answer has no image"))
        }
        let usage = object["usage"] as? [String: Any]
        return await client.result(files: files, request: request, units: ["images": Decimal(files.count)],
                             reportedUSD: RemoteClient.decimal(usage?["cost"]), rawUsage: usage)
    }

    private func chatImage(_ request: ProviderRequest) async throws -> ProviderResult {
        let input = request.spec.input
        // Reference images go in the user's message, after the prompt, as image parts.
        let references = try request.images.references.map { OpenRouterImagePart(url: try client.imageReference($0)) }
        let content: OpenRouterChatImageBody.Content = references.isEmpty
            ? .text(input.prompt ?? "")
            : .parts([.text(input.prompt ?? "")] + references.map { .image($0) })
        let body = OpenRouterChatImageBody(
            model: request.model, messages: [.init(content: content)],
            imageConfig: input.aspectRatio.map { .init(aspectRatio: $0) },
            provider: providerObject(for: "chat", request: request))
        let response = try await client.send(
            try HTTPRequest.json(url: client.endpoint.url("/chat/completions"), body: body, headers: try headers(),
                                 timeouts: client.settings.timeouts.submit),
            action: "image", creates: true, maxBodyBytes: RemoteClient.maxDownloadBytes(.image))
        let object = response.jsonObject ?? [:]
        let message = ((object["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]) ?? [:]
        let images = message["images"] as? [[String: Any]] ?? []
        var files: [ProviderResult.File] = []
        for (index, image) in images.enumerated() {
            if let url = (image["image_url"] as? [String: Any])?["url"] as? String {
                files.append(try client.decodeBase64(url, into: request.workDirectory, index: index, format: "png"))
            }
        }
        guard !files.isEmpty else {
            let said = (message["content"] as? String).map { ": the model said \"\($0.prefix(200))\"" } ?? ""
            throw ProviderError(.fallback, MediaJobsError(.mediaInvalidOutput, "openrouter image: the answer has no image\(said)"))
        }
        let usage = object["usage"] as? [String: Any]
        return await client.result(files: files, request: request, units: ["images": Decimal(files.count)],
                             reportedUSD: RemoteClient.decimal(usage?["cost"]), rawUsage: usage)
    }

    private func submitVideo(_ request: ProviderRequest) async throws -> ProviderStart {
        let input = request.spec.input
        var frames: [OpenRouterVideoBody.FrameImage] = []
        if let first = request.images.firstFrame {
            frames.append(.init(url: try client.imageReference(first), frameType: "first_frame"))
        }
        if let last = request.images.lastFrame {
            frames.append(.init(url: try client.imageReference(last), frameType: "last_frame"))
        }
        let references = try request.images.references.map { OpenRouterImagePart(url: try client.imageReference($0)) }
        let body = OpenRouterVideoBody(
            model: request.model, prompt: input.prompt, duration: input.durationSeconds.map { Int($0.rounded()) },
            resolution: input.resolution, aspectRatio: input.aspectRatio, size: input.size, generateAudio: input.generateAudio,
            frameImages: frames.isEmpty ? nil : frames, inputReferences: references.isEmpty ? nil : references,
            provider: providerObject(for: "video", request: request))
        let response = try await client.send(
            try HTTPRequest.json(url: client.endpoint.url("/videos"), body: body, headers: try headers(),
                                 timeouts: client.settings.timeouts.submit),
            action: "video submit", creates: true)
        guard let object = response.jsonObject, let id = object["id"] as? String else {
            throw ProviderError(.fatal, MediaJobsError(.providerOutcomeUnknown,
                "openrouter video submit: HTTP \(response.status) without a job id; not sent again blindly"))
        }
        let polling = (object["polling_url"] as? String).map(absolute) ?? client.endpoint.url("/videos/\(id)").absoluteString
        let handle = RemoteHandle(id: id, statusURL: polling, resultURL: nil, cancelURL: nil)
        return .pending(handle: handle.encoded(), pollAfter: client.settings.pollIntervalSeconds)
    }

    public func poll(_ text: String, request: ProviderRequest) async throws -> ProviderPoll {
        let handle = try RemoteHandle.decode(text, provider: name)
        guard let status = handle.statusURL.flatMap(URL.init(string:)) else {
            throw ProviderError(.fatal, MediaJobsError(.providerFailed, "openrouter: the stored handle has no polling URL"))
        }
        let response = try await client.send(HTTPRequest(url: status, headers: try headers(), timeouts: client.settings.timeouts.poll),
                                             action: "video poll", creates: false)
        let object = response.jsonObject ?? [:]
        switch object["status"] as? String ?? "" {
        case "pending", "in_progress", "queued":
            return .pending(pollAfter: client.settings.pollIntervalSeconds)
        case "completed":
            let urls = (object["unsigned_urls"] as? [String] ?? []).compactMap { URL(string: absolute($0)) }
            guard let first = urls.first else {
                throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "openrouter video: completed without a URL"))
            }
            let file = try await client.download(first, into: request.workDirectory, index: 0, kind: .video,
                                                 fallbackFormat: "mp4", headers: try headers())
            let usage = object["usage"] as? [String: Any]
            return .done(await client.result(files: [file], request: request, reportedUSD: RemoteClient.decimal(usage?["cost"]),
                                       rawUsage: usage))
        case let state:
            let said = ProviderErrorClassifier.redact((object["error"] as? String) ?? "no reason given", key: client.endpoint.key)
            let error = MediaJobsError(state == "cancelled" ? .providerCanceled : .providerFailed,
                                       "openrouter video \(state.isEmpty ? "answer" : state): \(said)")
            let lower = said.lowercased()
            if ProviderErrorClassifier.isPolicy(lower, "") { return .failed(ProviderError(.fallback, error)) }
            return .failed(ProviderError(state == "cancelled" ? .fatal : .retryable, error))
        }
    }

    /// The provider's URL, made absolute against the base URL's origin when it is a path.
    func absolute(_ link: String) -> String {
        if link.hasPrefix("http://") || link.hasPrefix("https://") { return link }
        var components = URLComponents(url: client.endpoint.baseURL, resolvingAgainstBaseURL: false)!
        components.path = ""
        components.query = nil
        return (components.string ?? "") + (link.hasPrefix("/") ? link : "/" + link)
    }

    func authHeaders(for url: URL) throws -> [(name: String, value: String)] {
        url.host == client.endpoint.baseURL.host && url.port == client.endpoint.baseURL.port ? try headers() : []
    }
}

extension RemoteClient {
    static func audioContentType(_ fileExtension: String) -> String {
        switch fileExtension {
        case "mp3": "audio/mpeg"
        case "ogg", "opus": "audio/ogg"
        case "flac": "audio/flac"
        case "m4a", "mp4": "audio/mp4"
        case "webm": "audio/webm"
        case "aac": "audio/aac"
        default: "audio/wav"
        }
    }
}

extension RemoteClient {
    /// The file extension that names the upload's real container (stored inputs have no extension), and its duration.
    func describeUpload(_ file: URL) async throws -> (fileExtension: String, seconds: Double?) {
        let info = try await engine.probe(file)
        let names = info.container.split(separator: ",").map(String.init)
        let fileExtension: String
        if names.contains("wav") { fileExtension = "wav" }
        else if names.contains("mp3") { fileExtension = "mp3" }
        else if names.contains("ogg") { fileExtension = "ogg" }
        else if names.contains("flac") { fileExtension = "flac" }
        else if names.contains("webm") || names.contains("matroska") { fileExtension = "webm" }
        else if names.contains("mp4") || names.contains("mov") { fileExtension = "m4a" }
        else if names.contains("aac") { fileExtension = "aac" }
        else { fileExtension = file.pathExtension.isEmpty ? "wav" : file.pathExtension.lowercased() }
        return (fileExtension, info.durationSeconds)
    }
}
