import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsHTTP

extension MediaJobsError.Code {
    /// A create request was sent and no answer came: the provider may be generating (and billing).
    public static let providerOutcomeUnknown = MediaJobsError.Code("provider.outcome_unknown")
    /// The provider's key is not set in the environment.
    public static let providerKeyMissing = MediaJobsError.Code("provider.key_missing")
    /// A finished (paid) result could not be fetched whole: reset, cut short, empty, an error status that may pass, or
    /// (judged by the worker) bytes that are not the media asked for. The provider still holds it: fetch it again.
    public static let providerDownloadFailed = MediaJobsError.Code("provider.download_failed")
    /// A finished result is gone at the provider (404 or 410: expired or removed); only a new generation can replace it.
    public static let providerResultGone = MediaJobsError.Code("provider.result_gone")
    /// The provider finished the request and says its generation failed (fal: `COMPLETED`, the result an error).
    public static let providerGenerationFailed = MediaJobsError.Code("provider.generation_failed")
    /// The provider finished (and billed) the generation, but its result has expired before it was fetched.
    public static let providerGenerationExpired = MediaJobsError.Code("provider.generation_expired")
    /// The generation was cancelled at the provider (its cancel endpoint or its dashboard), not by this job.
    public static let providerCanceled = MediaJobsError.Code("provider.canceled")
}

/// What the four remote adapters share: the endpoint and key, timeouts, the HTTP client, the catalog,
/// and the way answers become results or classified errors.
struct RemoteClient: Sendable {
    let endpoint: ProviderEndpoint
    let settings: RemoteProviderSettings
    let http: HTTPClient
    let catalog: ModelCatalog
    let engine: MediaEngine
    let gate: ProviderGate

    init(endpoint: ProviderEndpoint, settings: RemoteProviderSettings, http: HTTPClient, catalog: ModelCatalog,
         engine: MediaEngine, limiter: (any ProviderLimiter)? = nil) {
        self.endpoint = endpoint
        self.settings = settings
        self.http = http
        self.catalog = catalog
        self.engine = engine
        gate = ProviderGate(provider: endpoint.provider, settings: settings, limiter: limiter)
    }

    var name: String { endpoint.provider }

    /// Largest output accepted per kind, so a runaway body cannot fill the disk.
    static func maxDownloadBytes(_ kind: JobKind) -> Int64 {
        switch kind {
        case .tts: 512 << 20
        case .transcribe: 16 << 20
        case .image: 128 << 20
        case .video: 4 << 30
        }
    }

    /// The key, or a fatal error naming the variable to set (never the value).
    func key() throws -> String {
        guard let key = endpoint.key else {
            throw ProviderError(.fatal, MediaJobsError(.providerKeyMissing,
                "provider: '\(name)' needs \(endpoint.keyVariable) set in the environment"))
        }
        return key
    }

    /// At submit: the key must be set, or the job is refused before anything is queued or paid.
    func requireKey() throws {
        guard endpoint.hasKey else {
            throw MediaJobsError(.providerKeyMissing, "provider: '\(name)' needs \(endpoint.keyVariable) set in the environment")
        }
    }

    /// Sends `request` and returns the 2xx response; anything else becomes a classified `ProviderError`.
    /// `creates` marks a request that starts a paid generation (its unknown outcome is not retried).
    func send(_ request: HTTPRequest, action: String, creates: Bool, maxBodyBytes: Int64 = 64 << 20) async throws -> HTTPResponse {
        let response = try await exchange(request, action: action, creates: creates, maxBodyBytes: maxBodyBytes)
        guard response.isSuccess else {
            throw ProviderErrorClassifier.classify(response, provider: name, action: action, key: endpoint.key)
        }
        return response
    }

    /// Sends `request` and returns whatever answer came, for an adapter that reads the provider's own error fields
    /// (a 429 has paused the provider first); a transfer without an answer becomes a classified `ProviderError`.
    func exchange(_ request: HTTPRequest, action: String, creates: Bool, maxBodyBytes: Int64 = 64 << 20) async throws
        -> HTTPResponse {
        let response: HTTPResponse
        do {
            let http = self.http
            var gated = request
            gated.sendGate = gate.sendGate(action: action)
            let sent = gated
            response = try await gate.run { try await http.send(sent, maxBodyBytes: maxBodyBytes) }
        } catch let error as HTTPClientError {
            throw ProviderErrorClassifier.classify(error, provider: name, action: action, creates: creates, key: endpoint.key)
        }
        if response.status == 429 {
            // Before classifying: the pause counts from the 429's arrival and holds this process's requests at once.
            let retryAfter = ProviderErrorClassifier.retryAfterSeconds(response.headers, now: response.receivedAt)
            await gate.pause(retryAfter: retryAfter, receivedAt: response.receivedAt, reason: "\(action): HTTP 429")
        }
        return response
    }

    /// Downloads an output into `directory` as `output.<ext>`, checking status and size. The extension is what the
    /// provider's label says (see `declaredFormat`), else the URL's, else `fallbackFormat`: the worker judges the
    /// bytes against it. A transfer that broke off, an empty body or a status that may pass is
    /// `provider.download_failed`; 404 and 410 are `provider.result_gone`.
    func download(_ url: URL, into directory: URL, index: Int, kind: JobKind, fallbackFormat: String,
                  headers: [(name: String, value: String)]) async throws -> ProviderResult.File {
        let temporary = directory.appendingPathComponent("download-\(index).part")
        let request = HTTPRequest(url: url, headers: headers, timeouts: settings.timeouts.download)
        let download: HTTPDownload
        do {
            download = try await http.download(request, to: temporary, maxBytes: RemoteClient.maxDownloadBytes(kind))
        } catch let error as HTTPClientError {
            throw ProviderErrorClassifier.classify(error, provider: name, action: "download", creates: false, key: endpoint.key)
                .asDownloadFailure
        }
        guard download.isSuccess else {
            if download.status == 404 || download.status == 410 {
                throw ProviderError(.retryable, MediaJobsError(.providerResultGone,
                    "\(name) download: HTTP \(download.status): the result is gone at the provider (expired or removed)"))
            }
            throw ProviderErrorClassifier.classify(download.errorResponse, provider: name, action: "download", key: endpoint.key)
                .asDownloadFailure
        }
        guard download.bytes > 0 else {
            throw ProviderError(.retryable, MediaJobsError(.providerDownloadFailed, "\(name) download: the output is empty"))
        }
        let format = RemoteClient.declaredFormat(mediaType: download.mediaType)
            ?? RemoteClient.format(mediaType: nil, url: url) ?? fallbackFormat
        let file = directory.appendingPathComponent("output-\(index).\(format)")
        try? FileManager.default.removeItem(at: file)
        try FileManager.default.moveItem(at: temporary, to: file)
        return ProviderResult.File(url: file, format: format)
    }

    /// The format a response's `Content-Type` declares: a media format we know (`audio/mpeg` → `mp3`), else the
    /// subtype of a type that names something other than media (`text/html` → `html`), so that the worker, which
    /// judges the bytes, sees the label and notes a mismatch; nil when there is no type or only a generic one
    /// (`application/octet-stream`).
    static func declaredFormat(mediaType: String?) -> String? {
        guard let type = mediaType?.lowercased(), !type.isEmpty else { return nil }
        if let known = format(mediaType: type, url: nil) { return known }
        if ["application/octet-stream", "binary/octet-stream", "application/binary"].contains(type) { return nil }
        let subtype = type.split(separator: "/").last.map(String.init) ?? type
        let token = subtype.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }
        return token.isEmpty ? nil : token
    }

    /// Writes base64 data (a bare string or a `data:` URL) to `output-<index>.<format>`.
    func decodeBase64(_ text: String, into directory: URL, index: Int, format fallback: String) throws -> ProviderResult.File {
        var payload = Substring(text)
        var format = fallback
        if text.hasPrefix("data:"), let comma = text.firstIndex(of: ",") {
            let header = text[text.index(text.startIndex, offsetBy: 5)..<comma]
            let mediaType = header.split(separator: ";").first.map(String.init)
            format = RemoteClient.format(mediaType: mediaType, url: nil) ?? fallback
            payload = text[text.index(after: comma)...]
        }
        guard let data = Data(base64Encoded: String(payload), options: .ignoreUnknownCharacters), !data.isEmpty else {
            throw ProviderError(.retryable, MediaJobsError(.mediaInvalidOutput, "\(name): the base64 output does not decode"))
        }
        let file = directory.appendingPathComponent("output-\(index).\(format)")
        try data.write(to: file)
        return ProviderResult.File(url: file, format: format)
    }

    static func format(mediaType: String?, url: URL?) -> String? {
        switch mediaType?.lowercased() {
        case "audio/mpeg", "audio/mp3": return "mp3"
        case "audio/wav", "audio/x-wav", "audio/wave": return "wav"
        case "audio/ogg", "audio/opus": return "opus"
        case "audio/flac": return "flac"
        case "audio/aac": return "aac"
        case "audio/pcm", "audio/l16": return "pcm"
        case "image/png": return "png"
        case "image/jpeg", "image/jpg": return "jpeg"
        case "image/webp": return "webp"
        case "video/mp4": return "mp4"
        case "video/webm": return "webm"
        case "video/quicktime": return "mov"
        default: break
        }
        guard let ext = url?.pathExtension.lowercased(), !ext.isEmpty else { return nil }
        return ["mp3", "wav", "opus", "ogg", "flac", "aac", "m4a", "png", "jpg", "jpeg", "webp", "mp4", "webm", "mov"]
            .contains(ext) ? (ext == "jpg" ? "jpeg" : ext) : nil
    }

    /// The input audio as a file that fits `limit` bytes: the original when it fits, else a compact re-encoding
    /// (16 kHz mono Opus at 24 kb/s) when that fits. Otherwise the job fails before anything is sent, naming the limit.
    func fitUpload(_ audio: URL, limit: Int64?, workDirectory: URL) async throws -> URL {
        guard let limit else { return audio }
        let size = (try? FileManager.default.attributesOfItem(atPath: audio.path)[.size] as? Int64) ?? 0
        if size <= limit { return audio }
        let compact = workDirectory.appendingPathComponent("upload-compact.ogg")
        try await engine.transcodeAudio(audio, to: compact,
                                        options: .compactSpeech)
        let compactSize = (try? FileManager.default.attributesOfItem(atPath: compact.path)[.size] as? Int64) ?? 0
        guard compactSize <= limit else {
            throw ProviderError(.fatal, MediaJobsError(.invalidInput,
                "input.audio: \(size) bytes is over \(name)'s upload limit of \(limit) bytes, and even re-encoded as "
                    + "16 kHz mono Opus it is \(compactSize) bytes (split the recording)"))
        }
        return compact
    }

    /// What a result's cost record should carry: the provider's stated amount (`reportedUSD`, only ever its own), and
    /// the catalog's price lines for what was billed. They are the lines of the estimate made before the request,
    /// with the quantities the provider reported (`units`, and the token counts its documented usage holds), else
    /// measured here (seconds of the returned speech, an image's size, with FFmpeg), else the request's. `answered`
    /// holds variant values the provider says it used (OpenAI's `quality` and `size`).
    func result(files: [ProviderResult.File] = [], transcript: Transcript? = nil, request: ProviderRequest,
                units: [String: Decimal]? = nil, reportedUSD: Decimal?, rawUsage: Any?,
                answered: [String: String] = [:]) async -> ProviderResult {
        var reported = units ?? [:]
        for (unit, quantity) in RemoteClient.usageUnits(rawUsage) where reported[unit] == nil { reported[unit] = quantity }
        var measured: [String: Decimal] = [:]
        var answered = answered
        let model = catalog.model(provider: name, id: request.model)
        if request.spec.kind == .tts, reported["output_audio_seconds"] == nil, let file = files.first,
           let seconds = await audioSeconds(of: file.url) {
            measured["output_audio_seconds"] = seconds
        }
        if request.spec.kind == .image, answered["size"] == nil, model?.prices.contains(where: { $0.when["size"] != nil }) == true,
           let file = files.first, let info = try? await engine.probe(file.url),
           let picture = info.videoStreams.first, let width = picture.width, let height = picture.height {
            answered["size"] = "\(width)x\(height)"
        }
        let estimate = catalog.price(reported, spec: request.spec, provider: name, model: request.model,
                                     audioSeconds: request.audioSeconds, measured: measured, answered: answered)
        var raw: String?
        if let rawUsage, JSONSerialization.isValidJSONObject(rawUsage) {
            raw = (try? JSONSerialization.data(withJSONObject: rawUsage, options: [.sortedKeys]))
                .map { String(decoding: $0, as: UTF8.self) }
        } else if let rawUsage {
            raw = "\(rawUsage)"
        }
        let billed = estimate.units.merging(measured) { _, measured in measured }.merging(reported) { _, reported in reported }
        return ProviderResult(files: files, transcript: transcript, units: billed,
                              reportedUSD: reportedUSD.flatMap { Money($0) }, estimate: estimate, rawUsage: raw)
    }

    /// Seconds of audio in `file`, to the millisecond: from the container's header, else by decoding it all; nil when
    /// FFmpeg cannot read it (the estimate then keeps the request's figure, and says so).
    func audioSeconds(of file: URL) async -> Decimal? {
        var seconds = (try? await engine.probe(file))?.durationSeconds
        if seconds == nil || seconds! <= 0 {
            seconds = (try? await engine.validate(file, expecting: MediaExpectation(kind: .audio)))?.durationSeconds
        }
        guard let seconds, seconds > 0 else { return nil }
        return Decimal(string: String(format: "%.3f", seconds))
    }

    /// Quantities a provider's documented usage object holds: OpenAI's image usage counts the prompt's text tokens
    /// (`input_tokens_details.text_tokens`).
    static func usageUnits(_ usage: Any?) -> [String: Decimal] {
        guard let usage = usage as? [String: Any] else { return [:] }
        var units: [String: Decimal] = [:]
        if let details = usage["input_tokens_details"] as? [String: Any], let text = decimal(details["text_tokens"]) {
            units["input_text_tokens"] = text
        }
        return units
    }

    /// A number from JSON (which `JSONSerialization` hands over as `NSNumber`) as an exact decimal.
    static func decimal(_ value: Any?) -> Decimal? {
        switch value {
        case let number as NSNumber: Decimal(string: number.stringValue)
        case let text as String: Decimal(string: text)
        default: nil
        }
    }
}

/// The handle of an asynchronous generation, as stored on the job (JSON).
struct RemoteHandle: Codable, Sendable {
    var id: String
    /// Where to poll, where to fetch the result, where to cancel (absolute URLs from the provider when given).
    var statusURL: String?
    var resultURL: String?
    var cancelURL: String?

    func encoded() -> String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String, provider: String) throws -> RemoteHandle {
        do {
            return try JSONDecoder().decode(RemoteHandle.self, from: Data(text.utf8))
        } catch {
            throw ProviderError(.fatal, MediaJobsError(.providerFailed, "\(provider): the stored handle is not readable"))
        }
    }
}
