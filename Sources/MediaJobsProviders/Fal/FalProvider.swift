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

    /// The model's input document for the job.
    static func input(for spec: JobSpec) -> [String: Any] {
        let input = spec.input
        var body: [String: Any] = [:]
        switch spec.kind {
        case .tts:
            body["prompt"] = input.text ?? ""
            if let voice = input.voice { body["voice"] = voice }
            if let speed = input.speed { body["speed"] = speed }
        case .image:
            body["prompt"] = input.prompt ?? ""
            if let n = input.n { body["num_images"] = n }
            if let ratio = input.aspectRatio { body["aspect_ratio"] = ratio }
            if let size = input.size { body["image_size"] = size }
            if ["png", "jpeg"].contains(spec.outputFormat) { body["output_format"] = spec.outputFormat }
        case .video:
            body["prompt"] = input.prompt ?? ""
            if let duration = input.durationSeconds { body["duration"] = "\(ModelCatalog.format(duration))s" }
            if let resolution = input.resolution { body["resolution"] = resolution }
            if let ratio = input.aspectRatio { body["aspect_ratio"] = ratio }
            if let audio = input.generateAudio { body["generate_audio"] = audio }
        case .transcribe:
            break
        }
        return body
    }

    public func start(_ request: ProviderRequest) async throws -> ProviderStart {
        guard request.spec.kind != .transcribe else {
            throw ProviderError(.fallback, MediaJobsError(.providerUnsupported, "provider: 'fal' transcription is not supported here"))
        }
        let response = try await client.send(
            try HTTPRequest.json(url: client.endpoint.url("/\(request.model)"), object: FalProvider.input(for: request.spec),
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
            break
        case let other:
            let said = (object["error"] as? String) ?? "status '\(other)'"
            return .failed(ProviderError(.retryable, MediaJobsError(.providerFailed, "fal: \(said)")))
        }
        let answer: HTTPResponse
        do {
            // The result can be large and slow to come (fal builds it on request): the submit timeouts apply.
            answer = try await client.send(HTTPRequest(url: result, headers: try headers(), timeouts: client.settings.timeouts.submit),
                                           action: "result", creates: false)
        } catch let error as ProviderError where error.classification != .retryable {
            // A finished request whose result is an error: what the model said, classified; never polled again.
            // (A retryable failure is thrown instead: the worker keeps the job waiting and fetches again.)
            return .failed(error)
        }
        let output = answer.jsonObject ?? [:]
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
