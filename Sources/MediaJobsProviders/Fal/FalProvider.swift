import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsHTTP

/// fal's queue API: submit to `{base}/{model_id}`, poll the status URL, fetch the result URL, download the files it
/// names. Authorization is `Key …`, not Bearer. fal reports no price: costs are estimated from the catalog.
public struct FalProvider: CatalogBackedProvider {
    public let name = "fal"
    let client: RemoteClient

    init(client: RemoteClient) {
        self.client = client
    }

    func headers() throws -> [(name: String, value: String)] {
        [("Authorization", "Key \(try client.key())")]
    }

    public func check(_ spec: JobSpec, model: String) throws {
        try checkCatalog(spec, model: model)
        try checkImageLimits(spec, model: model)
        if spec.input.referenceImages != nil {
            throw MediaJobsError.invalidInput("input.reference_images", "fal/\(model) takes no reference images here")
        }
        if spec.kind == .video, spec.input.firstFrame != nil, FalProvider.firstFrameEndpoint(model, catalog: client.catalog) == nil {
            throw MediaJobsError.invalidInput("input.first_frame", "fal/\(model) has no image-to-video endpoint known here "
                + "(name the image-to-video model itself, such as fal-ai/veo3/fast/image-to-video)")
        }
        if spec.kind == .video, spec.input.lastFrame != nil {
            throw MediaJobsError.invalidInput("input.last_frame", "fal/\(model) takes no last frame")
        }
        if spec.kind == .image {
            if spec.input.size != nil, spec.input.aspectRatio != nil {
                throw MediaJobsError.invalidInput("input.size", "fal takes one image_size: give size or aspect_ratio, not both")
            }
            if let size = spec.input.size, FalImageSize(size: size) == nil {
                throw MediaJobsError.invalidInput("input.size", "fal takes a size as WIDTHxHEIGHT (1024x768), not '\(size)'")
            }
            if let ratio = spec.input.aspectRatio, FalImageSize(aspectRatio: ratio) == nil {
                throw MediaJobsError.invalidInput("input.aspect_ratio", "fal's image sizes are 1:1, 4:3, 3:4, 16:9 and 9:16, "
                    + "not '\(ratio)' (or give size as WIDTHxHEIGHT)")
            }
        }
    }

    /// The endpoint that animates a first frame for `model`: the catalog's `first_frame_model`, or `model` itself
    /// when it is an image-to-video endpoint.
    static func firstFrameEndpoint(_ model: String, catalog: ModelCatalog) -> String? {
        if let sibling = catalog.model(provider: "fal", id: model)?.firstFrameModel { return sibling }
        return model.hasSuffix("/image-to-video") ? model : nil
    }

    /// The endpoint a job is submitted to: the image-to-video one when the job gives a first frame (fal serves
    /// image-to-video under its own model id, `fal-ai/veo3/fast/image-to-video`), else the model's own.
    func endpoint(for request: ProviderRequest) -> String {
        guard request.spec.kind == .video, request.images.firstFrame != nil else { return request.model }
        return FalProvider.firstFrameEndpoint(request.model, catalog: client.catalog) ?? request.model
    }

    /// The model's input document for the job.
    func input(for request: ProviderRequest) throws -> FalInput {
        let spec = request.spec
        let input = spec.input
        switch spec.kind {
        case .tts:
            return .speech(FalSpeechInput(prompt: input.text ?? "", voice: input.voice, speed: input.speed))
        case .image:
            let size = input.size.flatMap(FalImageSize.init(size:)) ?? input.aspectRatio.flatMap(FalImageSize.init(aspectRatio:))
            return .image(FalImageInput(
                prompt: input.prompt ?? "", numImages: input.n, imageSize: size,
                outputFormat: ["png", "jpeg"].contains(spec.outputFormat) ? spec.outputFormat : nil))
        case .video:
            return .video(FalVideoInput(
                prompt: input.prompt ?? "", imageURL: try request.images.firstFrame.map { try client.imageReference($0) },
                duration: input.durationSeconds.map { "\(ModelCatalog.format($0))s" }, resolution: input.resolution,
                aspectRatio: input.aspectRatio, generateAudio: input.generateAudio))
        case .transcribe:
            throw ProviderError(.fallback, MediaJobsError(.providerUnsupported, "provider: 'fal' transcription is not supported here"))
        }
    }

    public func start(_ request: ProviderRequest) async throws -> ProviderStart {
        guard request.spec.kind != .transcribe else {
            throw ProviderError(.fallback, MediaJobsError(.providerUnsupported, "provider: 'fal' transcription is not supported here"))
        }
        let response = try await client.send(
            try HTTPRequest.json(url: client.endpoint.url("/\(endpoint(for: request))"), body: try input(for: request),
                                 headers: try headers(), timeouts: client.settings.timeouts.submit),
            action: "submit", creates: true)
        guard let object = response.jsonObject, let id = object["request_id"] as? String else {
            throw ProviderError(.fatal, MediaJobsError(.providerOutcomeUnknown,
                "fal submit: HTTP \(response.status) without a request_id; not sent again blindly"))
        }
        let base = "/\(FalProvider.modelBase(request.model))/requests/\(id)"
        let handle = RemoteHandle(
            id: id,
            statusURL: (object["status_url"] as? String) ?? client.endpoint.url(base + "/status").absoluteString,
            resultURL: (object["response_url"] as? String) ?? client.endpoint.url(base).absoluteString,
            cancelURL: (object["cancel_url"] as? String) ?? client.endpoint.url(base + "/cancel").absoluteString)
        return .pending(handle: handle.encoded(), pollAfter: client.settings.pollIntervalSeconds)
    }

    /// Status and result paths use the model id without its subpath (`fal-ai/veo3/fast` → `fal-ai/veo3`).
    static func modelBase(_ model: String) -> String {
        model.split(separator: "/").prefix(2).joined(separator: "/")
    }

    public func poll(_ text: String, request: ProviderRequest) async throws -> ProviderPoll {
        let handle = try RemoteHandle.decode(text, provider: name)
        guard let status = handle.statusURL.flatMap(URL.init(string:)), let result = handle.resultURL.flatMap(URL.init(string:))
        else {
            throw ProviderError(.fatal, MediaJobsError(.providerFailed, "fal: the stored handle has no status URL"))
        }
        let state = try await client.send(HTTPRequest(url: status, headers: try headers(), timeouts: client.settings.timeouts.poll),
                                          action: "status", creates: false)
        let object = state.jsonObject ?? [:]
        switch object["status"] as? String ?? "" {
        case "IN_QUEUE", "IN_PROGRESS":
            return .pending(pollAfter: client.settings.pollIntervalSeconds)
        case "COMPLETED":
            // A finished request that says how it failed is not fetched: its failure is final.
            if let failure = FalOutcome.statusFailure(object, requestID: handle.id, key: client.endpoint.key) {
                return .failed(failure)
            }
        case "CANCELLED", "CANCELED":
            return .failed(FalOutcome.canceled(requestID: handle.id, said: object["error"] as? String))
        case let other:
            let said = (object["error"] as? String) ?? "status '\(other)'"
            return .failed(ProviderError(.retryable, MediaJobsError(.providerFailed, "fal: \(said)")))
        }
        let answer: HTTPResponse
        do {
            // The result can be large and slow to come (fal builds it on request): the submit timeouts apply.
            answer = try await client.exchange(
                HTTPRequest(url: result, headers: try headers(), timeouts: client.settings.timeouts.submit),
                action: "result", creates: false)
        } catch let error as ProviderError {
            // No answer came: the result is paid and still held, so the worker fetches it again (not bought again).
            throw error.asDownloadFailure
        }
        if !answer.isSuccess {
            // fal's own error for the request (its documented fields): the generation's final outcome, never polled
            // again, so the attempt ends now.
            if let failure = FalOutcome.resultFailure(answer, requestID: handle.id, key: client.endpoint.key) {
                return .failed(failure)
            }
            let error = ProviderErrorClassifier.classify(answer, provider: name, action: "result", key: client.endpoint.key)
            // Any other error that cannot pass (a refused key) is final; one that may (a gateway's 502 page, a 429)
            // is a failed fetch of a result that is paid and still held.
            if error.classification != .retryable { return .failed(error) }
            throw error.asDownloadFailure
        }
        guard let output = answer.jsonObject else {
            throw ProviderError(.retryable, MediaJobsError(.providerDownloadFailed,
                "fal result: the answer is not JSON (\(answer.mediaType ?? "no content type"), \(answer.body.count) bytes)"))
        }
        let links = FalProvider.outputURLs(output)
        guard !links.isEmpty else {
            return .failed(ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "fal result: no output file in the answer")))
        }
        var files: [ProviderResult.File] = []
        for (index, link) in links.enumerated() {
            let sameHost = link.host == client.endpoint.baseURL.host && link.port == client.endpoint.baseURL.port
            files.append(try await client.download(link, into: request.workDirectory, index: index, kind: request.spec.kind,
                                                   fallbackFormat: FalProvider.fallbackFormat(request.spec.kind),
                                                   headers: sameHost ? try headers() : []))
        }
        var units: [String: Decimal]? = nil
        if request.spec.kind == .image { units = ["images": Decimal(files.count)] }
        return .done(await client.result(files: files, request: request, units: units, reportedUSD: nil,
                                   rawUsage: object["metrics"] ?? ["request_id": handle.id]))
    }

    static func fallbackFormat(_ kind: JobKind) -> String {
        switch kind {
        case .tts: "wav"
        case .image: "png"
        case .video: "mp4"
        case .transcribe: "json"
        }
    }

    /// The files a result names: `images[].url`, `video.url`, `audio.url`, `audio_file.url`.
    static func outputURLs(_ output: [String: Any]) -> [URL] {
        var links: [String] = []
        for item in output["images"] as? [[String: Any]] ?? [] {
            if let url = item["url"] as? String { links.append(url) }
        }
        for key in ["video", "audio", "audio_file", "image"] {
            if let url = (output[key] as? [String: Any])?["url"] as? String { links.append(url) }
        }
        return links.compactMap(URL.init(string:))
    }
}
