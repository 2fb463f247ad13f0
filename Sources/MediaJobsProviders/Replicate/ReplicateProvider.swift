import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsHTTP

/// Replicate predictions: create with `Prefer: wait` (answered at once when the model is quick), else poll
/// `urls.get`; outputs are downloaded as soon as the prediction succeeds (Replicate deletes them after an hour).
/// The cost is `metrics.predict_time` times the catalog's hardware price, or the catalog's per-output price.
public struct ReplicateProvider: CatalogBackedProvider {
    public let name = "replicate"
    let client: RemoteClient
    /// Seconds `Prefer: wait` asks Replicate to hold the create request.
    let preferWait: Int

    init(client: RemoteClient, preferWait: Int = 5) {
        self.client = client
        self.preferWait = preferWait
    }

    func headers() throws -> [(name: String, value: String)] {
        [("Authorization", "Bearer \(try client.key())")]
    }

    public func check(_ spec: JobSpec, model: String) throws {
        try checkCatalog(spec, model: model)
        try checkImageLimits(spec, model: model)
        if spec.input.referenceImages != nil {
            throw MediaJobsError.invalidInput("input.reference_images", "replicate/\(model) takes no reference images here")
        }
        if spec.kind == .video, spec.input.firstFrame != nil,
           ReplicateProvider.firstFrameModel(model, catalog: client.catalog) == nil
        {
            throw MediaJobsError.invalidInput("input.first_frame", "replicate/\(model) has no image-to-video sibling known "
                + "here (name an image-to-video model itself, such as wan-video/wan-2.2-i2v-fast)")
        }
        if spec.kind == .video, spec.input.lastFrame != nil {
            throw MediaJobsError.invalidInput("input.last_frame", "replicate/\(model) takes no last frame here")
        }
        if spec.kind == .transcribe, spec.input.timestamps == true, !model.contains("whisper") {
            throw MediaJobsError.invalidInput("input.timestamps",
                                              "replicate/\(model) is not known here to answer with timed segments")
        }
    }

    /// The model that animates a first frame for `model`: the catalog's `first_frame_model`, or `model` itself when
    /// it is an image-to-video model.
    static func firstFrameModel(_ model: String, catalog: ModelCatalog) -> String? {
        if let sibling = catalog.model(provider: "replicate", id: model)?.firstFrameModel { return sibling }
        return model.contains("i2v") || model.contains("image-to-video") ? model : nil
    }

    /// What a create request runs: a model by name (`owner/name`), and the version when it is run by version.
    struct Target: Equatable {
        var model: String
        var version: String?
    }

    /// The model `request` runs: its image-to-video sibling when the job gives a first frame; by version when the
    /// route names one (`owner/name:version`) or the catalog holds one (community models, such as `openai/whisper`).
    func target(for request: ProviderRequest) -> Target {
        var model = request.model
        if request.spec.kind == .video, request.images.firstFrame != nil {
            model = ReplicateProvider.firstFrameModel(model, catalog: client.catalog) ?? model
        }
        if let colon = model.firstIndex(of: ":") {
            return Target(model: String(model[..<colon]), version: String(model[model.index(after: colon)...]))
        }
        return Target(model: model, version: client.catalog.model(provider: name, id: model)?.version)
    }

    /// The body of the create request for `request`: `{"input": …}`, with `"version"` for a model run by version.
    /// The only place that builds it, so a look-up for a lost submission compares predictions with exactly what was
    /// sent.
    func createBody(for request: ProviderRequest) async throws -> ReplicateCreateBody {
        ReplicateCreateBody(version: target(for: request).version, input: try await input(for: request))
    }

    /// The create request's URL: `POST /predictions` for a model run by version, else the official model's
    /// `POST /models/{owner}/{name}/predictions` (so a prediction's `model` is the target's).
    func createURL(for request: ProviderRequest) -> URL {
        let target = self.target(for: request)
        return target.version == nil ? client.endpoint.url("/models/\(target.model)/predictions")
            : client.endpoint.url("/predictions")
    }

    private func input(for request: ProviderRequest) async throws -> ReplicateInput {
        let input = request.spec.input
        switch request.spec.kind {
        case .image:
            return .image(ReplicateImageInput(
                prompt: input.prompt ?? "",
                // Models that make one image take no `num_outputs`; the catalog refuses n > 1 for them.
                numOutputs: input.n.flatMap { $0 > 1 ? $0 : nil }, aspectRatio: input.aspectRatio,
                outputFormat: ReplicateImageInput.outputFormat(request.spec.outputFormat)))
        case .video:
            let frames = input.durationSeconds.map { ReplicateVideoInput.frames(seconds: $0) }
            return .video(ReplicateVideoInput(
                prompt: input.prompt ?? "", image: try request.images.firstFrame.map { try client.imageReference($0) },
                resolution: input.resolution, aspectRatio: input.aspectRatio, numFrames: frames?.count,
                framesPerSecond: frames?.perSecond))
        case .tts:
            return .speech(ReplicateSpeechInput(text: input.text ?? "", voice: input.voice))
        case .transcribe:
            guard let audio = request.audioFile else {
                throw ProviderError(.fatal, .invalidInput("input.audio", "no audio file to transcribe"))
            }
            let limit = client.catalog.model(provider: name, id: request.model)?.limits.maxUploadBytes
            let upload = try await client.fitUpload(audio, limit: limit, workDirectory: request.workDirectory)
            let (fileExtension, _) = try await client.describeUpload(upload)
            let data = try Data(contentsOf: upload)
            // Whisper answers timed segments whatever is asked, so `timestamps: true` needs nothing more here.
            return .transcription(ReplicateTranscriptionInput(
                audio: "data:\(RemoteClient.audioContentType(fileExtension));base64,\(data.base64EncodedString())",
                language: input.language, initialPrompt: input.prompt))
        }
    }

    public func start(_ request: ProviderRequest) async throws -> ProviderStart {
        let body = try await createBody(for: request)
        let response = try await client.send(
            try HTTPRequest.json(url: createURL(for: request), body: body,
                                 headers: try headers() + [("Prefer", "wait=\(preferWait)")],
                                 timeouts: client.settings.timeouts.submit),
            action: "create prediction", creates: true)
        guard let prediction = response.jsonObject, let id = prediction["id"] as? String else {
            throw ProviderError(.fatal, MediaJobsError(.providerOutcomeUnknown,
                "replicate create prediction: HTTP \(response.status) without a prediction id; not sent again blindly"))
        }
        let handle = self.handle(id: id, prediction)
        if prediction["status"] as? String == "succeeded", request.spec.kind != .transcribe {
            // Finished within `Prefer: wait`, but its files are still to be fetched: they are fetched by a poll of
            // the stored handle, so a download that fails is fetched again, never bought again.
            return .pending(handle: handle.encoded(), pollAfter: 0)
        }
        switch try await outcome(prediction, request: request) {
        case .pending:
            return .pending(handle: handle.encoded(), pollAfter: client.settings.pollIntervalSeconds)
        case .done(let result):
            return .done(result)
        case .failed(let error):
            throw error
        }
    }

    /// The handle `poll` and `cancel` take for prediction `id`: its `urls.get` and `urls.cancel`, or the documented
    /// paths when the prediction names none.
    func handle(id: String, _ prediction: [String: Any]) -> RemoteHandle {
        let urls = prediction["urls"] as? [String: Any] ?? [:]
        return RemoteHandle(id: id,
                            statusURL: (urls["get"] as? String) ?? client.endpoint.url("/predictions/\(id)").absoluteString,
                            resultURL: nil,
                            cancelURL: (urls["cancel"] as? String) ?? client.endpoint.url("/predictions/\(id)/cancel").absoluteString)
    }

    public func poll(_ text: String, request: ProviderRequest) async throws -> ProviderPoll {
        let handle = try RemoteHandle.decode(text, provider: name)
        guard let url = handle.statusURL.flatMap(URL.init(string:)) else {
            throw ProviderError(.fatal, MediaJobsError(.providerFailed, "replicate: the stored handle has no urls.get"))
        }
        let response = try await client.send(HTTPRequest(url: url, headers: try headers(), timeouts: client.settings.timeouts.poll),
                                             action: "get prediction", creates: false)
        return try await outcome(response.jsonObject ?? [:], request: request)
    }

    private func outcome(_ prediction: [String: Any], request: ProviderRequest) async throws -> ProviderPoll {
        switch prediction["status"] as? String ?? "" {
        case "starting", "processing":
            return .pending(pollAfter: client.settings.pollIntervalSeconds)
        case "succeeded":
            return .done(try await result(prediction, request: request))
        case "canceled":
            return .failed(ProviderError(.fatal, MediaJobsError(.providerCanceled,
                "replicate: the prediction was canceled at the provider; it is not submitted again on its own")))
        case let state:
            let said = ProviderErrorClassifier.redact((prediction["error"] as? String) ?? "status '\(state)'", key: client.endpoint.key)
            let lower = said.lowercased()
            let classification: ProviderError.Class = ProviderErrorClassifier.isPolicy(lower, "") ? .fallback : .retryable
            return .failed(ProviderError(classification, MediaJobsError(.providerFailed, "replicate prediction failed: \(said)")))
        }
    }

    private func result(_ prediction: [String: Any], request: ProviderRequest) async throws -> ProviderResult {
        let metrics = prediction["metrics"] as? [String: Any]
        var units: [String: Decimal] = [:]
        // Replicate states no amount, only `predict_time`: the cost is our estimate from it (or per output).
        let reported: Decimal? = nil
        if let predict = RemoteClient.decimal(metrics?["predict_time"]) {
            units["predict_seconds"] = predict
        }
        let output = prediction["output"]
        if request.spec.kind == .transcribe {
            guard let object = output as? [String: Any],
                  let transcript = TranscriptDecoding.transcript(fromJSON: object, audioSeconds: nil)
            else {
                throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "replicate: the output has no transcription"))
            }
            return await client.result(transcript: transcript, request: request, units: units, reportedUSD: reported, rawUsage: metrics)
        }
        let links: [URL] = switch output {
        case let text as String: [URL(string: text)].compactMap { $0 }
        case let list as [String]: list.compactMap(URL.init(string:))
        case let list as [Any]: list.compactMap { ($0 as? String).flatMap(URL.init(string:)) }
        default: []
        }
        guard !links.isEmpty else {
            if prediction["data_removed"] as? Bool == true {
                throw ProviderError(.retryable, MediaJobsError(.providerResultGone,
                    "replicate: the prediction's output is gone (data_removed: it expired)"))
            }
            throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "replicate: the prediction has no output URL"))
        }
        var files: [ProviderResult.File] = []
        for (index, link) in links.enumerated() {
            let sameHost = link.host == client.endpoint.baseURL.host && link.port == client.endpoint.baseURL.port
            files.append(try await client.download(link, into: request.workDirectory, index: index, kind: request.spec.kind,
                                                   fallbackFormat: FalProvider.fallbackFormat(request.spec.kind),
                                                   headers: sameHost ? try headers() : []))
        }
        if request.spec.kind == .image { units["images"] = Decimal(files.count) }
        return await client.result(files: files, request: request, units: units, reportedUSD: reported, rawUsage: metrics)
    }
}
