import Foundation
import MediaJobsCore

/// OpenRouter's media endpoints: speech, transcriptions, images (both routes), videos, model lists and the
/// generation lookup. Every JSON request body is checked against OpenRouter's own OpenAPI document first.
struct OpenRouterAPI: ProviderAPI {
    let media: MediaFactory
    let state: SimulatorState
    /// Whether JSON bodies are checked against OpenRouter's OpenAPI document (parsed on first use).
    let validatesRequests: Bool

    private var schema: OpenRouterSchema? {
        guard validatesRequests else { return nil }
        return try? OpenRouterSchema.bundled()
    }

    func isAuthorized(_ exchange: Exchange) -> Bool { exchange.credential(scheme: "Bearer") != nil }

    func handle(_ exchange: Exchange) async throws(ProviderError) -> Answer {
        try checkSchema(exchange)
        let parts = exchange.path.split(separator: "/").map(String.init)
        switch (exchange.method, exchange.path) {
        case ("POST", "/audio/speech"): return try await speech(exchange)
        case ("POST", "/audio/transcriptions"): return try await transcription(exchange)
        case ("POST", "/images"): return try await images(exchange)
        case ("POST", "/chat/completions"): return try await chat(exchange)
        case ("GET", "/models"): return models(exchange)
        case ("GET", "/images/models"): return imageModels()
        case ("GET", _) where parts.count == 5 && parts[0] == "images" && parts[1] == "models" && parts[4] == "endpoints":
            return try imageModelEndpoints(id: "\(parts[2])/\(parts[3])")
        case ("GET", "/videos/models"): return videoModels()
        case ("POST", "/videos"): return try submitVideo(exchange)
        case ("GET", "/generation"): return try generation(exchange)
        case ("GET", _) where parts.count == 2 && parts[0] == "videos": return try pollVideo(exchange, id: parts[1])
        case ("GET", _) where parts.count == 3 && parts[0] == "videos" && parts[2] == "content":
            return try await videoContent(exchange, id: parts[1])
        default:
            throw ProviderError(404, "Not Found", code: "not_found")
        }
    }

    /// A JSON or multipart body that breaks the operation's schema gets OpenRouter's 400.
    private func checkSchema(_ exchange: Exchange) throws(ProviderError) {
        guard let schema, exchange.method == "POST" else { return }
        if let form = MultipartForm(body: exchange.body, contentType: exchange.header("Content-Type") ?? "") {
            let problems = schema.validateMultipart(path: exchange.path, method: "post", form: form)
            if !problems.isEmpty {
                throw ProviderError(
                    400, "Invalid request parameters: " + problems.prefix(5).joined(separator: "; "), code: "invalid_request")
            }
            return
        }
        guard (exchange.header("Content-Type") ?? "application/json").lowercased().hasPrefix("application/json") else { return }
        let document: Any
        do {
            document = try JSONSerialization.jsonObject(with: exchange.body, options: [.fragmentsAllowed])
        } catch {
            throw ProviderError(400, "Invalid JSON in request body", code: "invalid_request")
        }
        let problems = schema.validateRequest(path: exchange.path, method: "post", body: document)
        if !problems.isEmpty {
            throw ProviderError(
                400, "Invalid request parameters: " + problems.prefix(5).joined(separator: "; "), code: "invalid_request")
        }
    }

    // MARK: Speech

    private func speech(_ exchange: Exchange) async throws(ProviderError) -> Answer {
        let body = try exchange.jsonObject()
        let model = body.string("model") ?? ""
        let released = state.releasedSpeechPrice(model)
        guard OpenRouterCatalog.speech.contains(model) || released != nil else { throw unknownModel(model) }
        let input = body.string("input") ?? ""
        guard !input.isEmpty else { throw ProviderError(400, "Input text must not be empty", code: "invalid_request") }
        let format: MediaFactory.SpeechFormat = body.string("response_format") == "mp3" ? .mp3 : .pcm
        let audio: MediaFactory.Speech
        do {
            audio = try await media.speech(text: input, voice: body.string("voice"), format: format)
        } catch {
            throw ProviderError(502, "Provider returned error", code: "provider_unavailable")
        }
        let generation = "gen-tts-\(Int(Date().timeIntervalSince1970))-\(randomID(20))"
        let lines = released.map {
            [BillingEntry.Line(item: "input characters", quantity: Decimal(input.count), unit: "character", unitPrice: $0)]
        } ?? OpenRouterCatalog.speechLines(model: model, characters: input.count, audioMilliseconds: audio.milliseconds)
        let cost = bill(exchange, model: model, id: generation, text: input, lines: lines)
        recordGeneration(generation, model: model, cost: cost, apiType: "tts")
        let contentType = format == .mp3 ? "audio/mpeg" : "audio/pcm;rate=\(MediaFactory.pcmRate);channels=1"
        return .bytes(audio.data, contentType: contentType, headers: [("X-Generation-Id", generation)])
    }

    // MARK: Transcription

    private func transcription(_ exchange: Exchange) async throws(ProviderError) -> Answer {
        let contentType = exchange.header("Content-Type") ?? ""
        var model = ""
        var audio = Data()
        var ext = ""
        var responseFormat = "json"
        var granularities: [String] = []
        var prompt: String?
        if let form = MultipartForm(body: exchange.body, contentType: contentType) {
            model = form.value("model") ?? ""
            guard let file = form.part("file") else { throw ProviderError(400, "Missing required field: file", code: "invalid_request") }
            audio = file.data
            ext = file.filename.map { URL(fileURLWithPath: $0).pathExtension.lowercased() } ?? ""
            if ext.isEmpty, let type = file.contentType { ext = String(type.split(separator: "/").last ?? "") }
            responseFormat = form.value("response_format") ?? "json"
            granularities = form.values("timestamp_granularities")
            prompt = form.value("prompt")
            guard audio.count <= 25 * 1024 * 1024 else {
                throw ProviderError(413, "File exceeds the 25 MB limit; send larger files as base64 JSON via input_audio",
                                    code: "payload_too_large")
            }
        } else {
            let body = try exchange.jsonObject()
            model = body.string("model") ?? ""
            let input = body["input_audio"] as? [String: Any] ?? [:]
            guard let encoded = input.string("data"), let decoded = Data(base64Encoded: encoded) else {
                throw ProviderError(400, "input_audio.data must be base64-encoded audio (not a data: URI)", code: "invalid_request")
            }
            audio = decoded
            ext = input.string("format") ?? ""
            responseFormat = body.string("response_format") ?? "json"
            granularities = body["timestamp_granularities"] as? [String] ?? []
        }
        guard OpenRouterCatalog.transcription.contains(model) else { throw unknownModel(model) }
        guard responseFormat == "json" || responseFormat == "verbose_json" else {
            throw ProviderError(400, "response_format '\(responseFormat)' is not supported; use json or verbose_json",
                                code: "invalid_request")
        }
        let transcript: Transcript
        let seconds: Double
        do {
            (transcript, seconds) = try await media.transcribe(audio, fileExtension: ext)
        } catch {
            throw ProviderError(400, "Could not decode the audio input", code: "invalid_request")
        }
        // Billed on the seconds it reports (two decimals), at the model's per-second price: exact.
        let reportedSeconds = Decimal(Int((seconds * 100).rounded())) / 100
        let cost = bill(exchange, model: model, id: nil, text: prompt, lines: [
            BillingEntry.Line(item: "input audio", quantity: reportedSeconds, unit: "second",
                              unitPrice: OpenRouterCatalog.transcriptionPricePerSecond(model))
        ])
        var object: [String: Any] = [
            "text": transcript.text,
            "usage": ["cost": ExactNumber.json(cost), "seconds": ExactNumber.json(reportedSeconds)],
        ]
        if responseFormat == "verbose_json" {
            object["task"] = "transcribe"
            object["language"] = "en"
            object["duration"] = seconds
            object["segments"] = TranscriptJSON.segments(transcript).map { segment in
                segment.filter { ["id", "start", "end", "text", "seek", "tokens", "avg_logprob", "compression_ratio",
                                  "no_speech_prob", "temperature"].contains($0.key) }
            }
            if granularities.contains("word") { object["words"] = TranscriptJSON.words(transcript) }
        }
        return .json(object)
    }

    // MARK: Images

    private func imageModel(_ model: String) throws(ProviderError) -> Decimal {
        guard let entry = OpenRouterCatalog.images.first(where: { $0.id == model }) else { throw unknownModel(model) }
        return entry.price
    }

    private func makeImage(_ exchange: Exchange, aspectRatio: String?, resolution: String?, size: String?, prompt: String)
        async throws(ProviderError) -> Data
    {
        var width: Int?
        var height: Int?
        if let size {
            let parts = size.split(separator: "x").compactMap { Int($0) }
            if parts.count == 2 {
                width = parts[0]
                height = parts[1]
            }
        } else {
            let short: Int =
                switch resolution ?? "1K" {
                case "512": 512
                case "2K": 2048
                case "4K": 4096
                default: 1024
                }
            let (w, h) = OpenRouterCatalog.dimensions(resolution: "720p", aspectRatio: aspectRatio ?? "1:1")
            width = w >= h ? short * w / h : short
            height = w >= h ? short : short * h / w
        }
        do {
            let file = try await media.image(width: width, height: height, prompt: prompt)
            return exchange.corruptMedia ? MediaFactory.corrupt(file.data) : file.data
        } catch {
            throw ProviderError(502, "Provider returned error", code: "provider_unavailable")
        }
    }

    private func images(_ exchange: Exchange) async throws(ProviderError) -> Answer {
        let body = try exchange.jsonObject()
        let model = body.string("model") ?? ""
        let price = try imageModel(model)
        let prompt = body.string("prompt") ?? ""
        if body["size"] != nil, body["resolution"] != nil || body["aspect_ratio"] != nil {
            throw ProviderError(400, "size cannot be combined with resolution or aspect_ratio", code: "invalid_request")
        }
        let count = Int(body.number("n") ?? 1)
        var data: [[String: Any]] = []
        for _ in 0..<max(1, count) {
            let image = try await makeImage(
                exchange, aspectRatio: body.string("aspect_ratio"), resolution: body.string("resolution"),
                size: body.string("size"), prompt: prompt)
            data.append(["b64_json": image.base64EncodedString(), "media_type": "image/png"])
        }
        let tokens = 1290 * data.count
        let cost = bill(exchange, model: model, id: nil, text: prompt, lines: [
            BillingEntry.Line(item: "output images", quantity: Decimal(data.count), unit: "image", unitPrice: price)
        ])
        return .json([
            "created": Int(Date().timeIntervalSince1970), "data": data,
            "usage": [
                "prompt_tokens": 0, "completion_tokens": tokens, "total_tokens": tokens, "cost": ExactNumber.json(cost),
            ],
        ])
    }

    private func chat(_ exchange: Exchange) async throws(ProviderError) -> Answer {
        let body = try exchange.jsonObject()
        let model = body.string("model") ?? ""
        let modalities = body["modalities"] as? [String] ?? ["text"]
        let messages = body["messages"] as? [[String: Any]] ?? []
        let prompt = Self.lastUserText(messages)
        let id = "gen-\(Int(Date().timeIntervalSince1970))-\(randomID(20))"
        var message: [String: Any] = ["role": "assistant", "content": "Simulated answer to: \(prompt)"]
        var line = BillingEntry.Line(item: "completion", quantity: 1, unit: "request", unitPrice: OpenRouterCatalog.chatPrice)
        var completionTokens = 12
        if modalities.contains("image") {
            let price = try imageModel(model)
            let config = body["image_config"] as? [String: Any] ?? [:]
            let image = try await makeImage(
                exchange, aspectRatio: config.string("aspect_ratio"), resolution: config.string("image_size"), size: nil,
                prompt: prompt)
            message["content"] = modalities.contains("text") ? "Here is the image you asked for." : ""
            message["images"] = [
                ["type": "image_url", "image_url": ["url": "data:image/png;base64," + image.base64EncodedString()]]
            ]
            line = BillingEntry.Line(item: "output images", quantity: 1, unit: "image", unitPrice: price)
            completionTokens = 1290
        }
        let cost = bill(exchange, model: model, id: id, text: prompt, lines: [line])
        recordGeneration(id, model: model, cost: cost, apiType: "completions")
        return .json([
            "id": id, "object": "chat.completion", "created": Int(Date().timeIntervalSince1970), "model": model,
            "provider": "Simulator", "system_fingerprint": NSNull(),
            "choices": [["index": 0, "finish_reason": "stop", "native_finish_reason": "STOP", "message": message]],
            "usage": [
                "prompt_tokens": prompt.count / 4 + 1, "completion_tokens": completionTokens,
                "total_tokens": prompt.count / 4 + 1 + completionTokens, "cost": ExactNumber.json(cost),
                "is_byok": false, "completion_tokens_details": ["image_tokens": modalities.contains("image") ? 1290 : 0],
            ],
        ])
    }

    private static func lastUserText(_ messages: [[String: Any]]) -> String {
        guard let last = messages.last(where: { $0.string("role") == "user" }) else { return "" }
        if let text = last.string("content") { return text }
        let parts = last["content"] as? [[String: Any]] ?? []
        return parts.compactMap { $0.string("text") }.joined(separator: " ")
    }

    private func imageModels() -> Answer {
        .json([
            "data": OpenRouterCatalog.images.map { model in
                [
                    "id": model.id, "name": model.name, "description": "Simulated image model \(model.name)",
                    "created": 1_750_000_000,
                    "architecture": ["input_modalities": ["text", "image"], "output_modalities": ["image"]],
                    "supported_parameters": [String: Any](),
                    "supports_streaming": false,
                    "endpoints": "/api/v1/images/models/\(model.id)/endpoints",
                ] as [String: Any]
            }
        ])
    }

    /// `GET /models`: text models only unless `output_modalities` asks for others (a comma list, or `all`). The
    /// simulator serves no text models; speech models are listed with audio out, chat image models with image out,
    /// transcription models with text out. `pricing` is USD per token or unit as decimal strings (OpenAPI
    /// `PublicPricing`); speech is priced per input character in `prompt` (OR-TTS).
    private func models(_ exchange: Exchange) -> Answer {
        let asked = Set((exchange.query["output_modalities"] ?? "text").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        })
        func listed(_ outputs: [String]) -> Bool { asked.contains("all") || !asked.isDisjoint(with: outputs) }
        func model(_ id: String, inputs: [String], outputs: [String], pricing: [String: String],
                   voices: [String]? = nil) -> [String: Any] {
            [
                "id": id, "canonical_slug": id, "name": id, "created": 1_750_000_000, "description": "Simulated model \(id)",
                "context_length": NSNull(),
                "architecture": ["input_modalities": inputs, "output_modalities": outputs,
                                 "modality": "\(inputs.joined(separator: "+"))->\(outputs.joined(separator: "+"))",
                                 "tokenizer": "Other", "instruct_type": NSNull()] as [String: Any],
                "pricing": pricing,
                "top_provider": ["context_length": NSNull(), "max_completion_tokens": NSNull(), "is_moderated": false] as [String: Any],
                "per_request_limits": NSNull(), "supported_parameters": [String](), "default_parameters": NSNull(),
                "supported_voices": voices.map { $0 as Any } ?? NSNull(),
                "links": ["details": "/api/v1/models/\(id)/endpoints"],
            ]
        }
        var data: [[String: Any]] = []
        if listed(["audio", "speech"]) {
            for id in OpenRouterCatalog.speech.sorted() {
                // The listing's per-character price: the first line of what a request is billed.
                let first = OpenRouterCatalog.speechLines(model: id, characters: 1, audioMilliseconds: 0).first
                let perCharacter = Self.priceText(first?.unitPrice ?? 0)
                data.append(model(id, inputs: ["text"], outputs: ["audio"], pricing: ["prompt": perCharacter, "completion": "0"],
                                  voices: ["alloy", "echo", "nova"]))
            }
        }
        if listed(["text", "transcription"]) {
            for id in OpenRouterCatalog.transcription.sorted() {
                data.append(model(id, inputs: ["audio"], outputs: ["text"], pricing: ["prompt": "0", "completion": "0"]))
            }
        }
        if listed(["image"]) {
            for entry in OpenRouterCatalog.images where entry.id.hasPrefix("google/gemini") {
                data.append(model(entry.id, inputs: ["text", "image"], outputs: ["image", "text"],
                                  pricing: ["prompt": "0", "completion": "0", "image_output": Self.priceText(entry.price)]))
            }
        }
        return .json(["data": data])
    }

    /// A price as the listings write it: a plain decimal string ("0.000015", never "1.5e-05").
    static func priceText(_ value: Decimal) -> String {
        NSDecimalNumber(decimal: value).stringValue
    }

    /// `GET /images/models/{author}/{slug}/endpoints`: one endpoint per model, priced per output image.
    private func imageModelEndpoints(id: String) throws(ProviderError) -> Answer {
        guard let entry = OpenRouterCatalog.images.first(where: { $0.id == id }) else {
            throw ProviderError(404, "Resource not found", code: "not_found")
        }
        let slug = String(id.split(separator: "/").first ?? "simulator")
        return .json([
            "id": id,
            "endpoints": [[
                "provider_name": "Simulator", "provider_slug": slug, "provider_tag": slug,
                "pricing": [["billable": "output_image", "unit": "image", "cost_usd": entry.price]],
                "supported_parameters": [String: Any](), "allowed_passthrough_parameters": [String](),
                "supports_streaming": false,
            ] as [String: Any]],
        ])
    }

    private func videoModels() -> Answer {
        .json([
            "data": OpenRouterCatalog.videos.map { model in
                [
                    "id": model.id, "canonical_slug": model.id, "name": model.name, "created": 1_774_000_000,
                    "description": "Simulated video model \(model.name)",
                    "supported_resolutions": model.resolutions, "supported_aspect_ratios": model.aspectRatios,
                    "supported_sizes": NSNull(), "supported_durations": model.durations,
                    "supported_frame_images": ["first_frame", "last_frame"], "upscale_factor": NSNull(),
                    "creativity": NSNull(), "generate_audio": model.generateAudio, "seed": true,
                    "pricing_skus": [
                        "per-video-second": ExactNumber.plain(model.pricePerSecond),
                        "per-video-second-1080p": ExactNumber.plain(model.pricePerSecond1080p),
                    ],
                    "allowed_passthrough_parameters": [String](),
                ] as [String: Any]
            }
        ])
    }

    // MARK: Video

    private func submitVideo(_ exchange: Exchange) throws(ProviderError) -> Answer {
        let body = try exchange.jsonObject()
        let modelID = body.string("model") ?? ""
        guard let model = OpenRouterCatalog.video(modelID) else { throw unknownModel(modelID) }
        let prompt = body.string("prompt") ?? ""
        if prompt.isEmpty, body["frame_images"] == nil {
            throw ProviderError(400, "prompt is required for \(modelID)", code: "invalid_request")
        }
        // Frame and reference images: each data URI must decode (URLs are taken as given).
        for key in ["frame_images", "input_references"] {
            for (index, item) in (body[key] as? [[String: Any]] ?? []).enumerated() {
                guard let url = (item["image_url"] as? [String: Any])?.string("url") else { continue }
                if url.lowercased().hasPrefix("data:"), ReceivedFile.decodeDataURI(url) == nil {
                    throw ProviderError(400, "\(key)[\(index)].image_url.url is not a valid image data URI",
                                        code: "invalid_image")
                }
            }
        }
        let duration = Int(body.number("duration") ?? Double(model.durations.max() ?? 8))
        guard model.durations.contains(duration) else {
            throw ProviderError(400, "duration \(duration) is not supported by \(modelID); supported: \(model.durations)",
                                code: "invalid_request")
        }
        let resolution = body.string("resolution") ?? model.resolutions[0]
        guard model.resolutions.contains(resolution) else {
            throw ProviderError(400, "resolution \(resolution) is not supported by \(modelID); supported: \(model.resolutions)",
                                code: "invalid_request")
        }
        let aspect = body.string("aspect_ratio") ?? model.aspectRatios[0]
        guard model.aspectRatios.contains(aspect) else {
            throw ProviderError(400, "aspect_ratio \(aspect) is not supported by \(modelID); supported: \(model.aspectRatios)",
                                code: "invalid_request")
        }
        var (width, height) = OpenRouterCatalog.dimensions(resolution: resolution, aspectRatio: aspect)
        if let size = body.string("size") {
            let parts = size.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2 else { throw ProviderError(400, "size must be WIDTHxHEIGHT", code: "invalid_request") }
            (width, height) = (parts[0], parts[1])
        }
        let id = randomID(20)
        var job = SimJob(
            id: id, provider: .openrouter,
            request: JobRequest(kind: .video, model: modelID, prompt: prompt, durationSeconds: Double(duration),
                                width: width, height: height, inputJSON: exchange.body,
                                sound: (body["generate_audio"] as? Bool) ?? model.generateAudio),
            schedule: state.schedule(for: .openrouter), submittedAt: Date(), failure: exchange.jobFailure,
            corruptMedia: exchange.corruptMedia, generationID: "gen-\(Int(Date().timeIntervalSince1970))-\(randomID(20))")
        // Billed per second at the SKU of the resolution asked (a `size` of 1080 lines or more is 1080p).
        let sizeResolution = body.string("size").map { _ in min(width, height) >= 1080 ? "1080p" : "720p" }
        let sku = model.sku(resolution: sizeResolution ?? resolution)
        job.charge = Charge(
            model: modelID, endpoint: "POST /videos", text: prompt,
            searchable: String(decoding: exchange.body.prefix(65_536), as: UTF8.self),
            amount: .lines([BillingEntry.Line(item: "video seconds (\(sku.name))", quantity: Decimal(duration),
                                              unit: "second", unitPrice: sku.price)]))
        job.endsCanceled = exchange.canceledAtProvider
        state.insert(job)
        return .json(status: 202, [
            "id": id, "polling_url": "\(exchange.baseURL)/videos/\(id)", "status": "pending",
            "generation_id": job.generationID,
        ])
    }

    private func pollVideo(_ exchange: Exchange, id: String) throws(ProviderError) -> Answer {
        guard let job = state.poll(id, provider: .openrouter) else { throw ProviderError(404, "Video job not found", code: "not_found") }
        var object: [String: Any] = [
            "id": job.id, "polling_url": "\(exchange.baseURL)/videos/\(job.id)", "generation_id": job.generationID,
        ]
        switch job.phase(at: Date()) {
        case .queued: object["status"] = "pending"
        case .running: object["status"] = "in_progress"
        case .succeeded:
            object["status"] = "completed"
            object["unsigned_urls"] = ["\(exchange.baseURL)/videos/\(job.id)/content?index=0"]
            let cost = videoCost(job)
            object["usage"] = ["cost": ExactNumber.json(cost), "is_byok": false]
            recordGeneration(job.generationID, model: job.request.model, cost: cost, apiType: "video")
        case .failed(let message):
            object["status"] = "failed"
            object["error"] = message
        case .canceled:
            object["status"] = "cancelled"
            object["error"] = "Job was cancelled"
        }
        return .json(object)
    }

    /// What the job billed: its charge's lines (set at submission).
    private func videoCost(_ job: SimJob) -> Decimal {
        guard case .lines(let lines)? = job.charge?.amount else { return 0 }
        return lines.reduce(Decimal(0)) { $0 + $1.usd }
    }

    private func videoContent(_ exchange: Exchange, id: String) async throws(ProviderError) -> Answer {
        guard let job = state.job(id, provider: .openrouter) else { throw ProviderError(404, "Video job not found", code: "not_found") }
        guard job.phase(at: Date()) == .succeeded else {
            throw ProviderError(400, "Video is not ready (status: \(job.phase(at: Date())))", code: "invalid_request")
        }
        let index = Int(exchange.query["index"] ?? "0") ?? -1
        guard index == 0 else { throw ProviderError(404, "No video at index \(index)", code: "not_found") }
        let file = try await output(of: job)
        var answer = Answer.bytes(job.corruptMedia ? MediaFactory.corrupt(file.data) : file.data, contentType: "video/mp4")
        answer.isMedia = true
        return answer
    }

    /// The job's video, generated once and kept.
    private func output(of job: SimJob) async throws(ProviderError) -> StoredFile {
        if let id = job.outputs.first, let file = state.file(id) { return file }
        do {
            let file = try await media.video(
                durationSeconds: job.request.durationSeconds, width: job.request.width, height: job.request.height,
                prompt: job.request.prompt)
            state.setOutputs([state.store(file)], of: job.id)
            return file
        } catch {
            throw ProviderError(502, "Provider returned error", code: "provider_unavailable")
        }
    }

    // MARK: Generation lookup

    /// Keeps what `GET /generation?id=` answers, with every field the document requires.
    private func recordGeneration(_ id: String, model: String, cost: Decimal, apiType: String) {
        var record: [String: Any] = [
            "id": id, "total_cost": ExactNumber.json(cost), "usage": ExactNumber.json(cost), "model": model, "provider_name": "Simulator",
            "created_at": isoTimestamp(Date()), "api_type": apiType, "is_byok": false, "streamed": false,
            "cancelled": false, "origin": "", "data_region": "global", "latency": 250.0, "generation_time": 200.0,
            "moderation_latency": 0.0, "finish_reason": "stop", "native_finish_reason": "stop",
            "num_media_prompt": 0, "num_input_audio_prompt": 0, "num_media_completion": apiType == "tts" ? 0 : 1,
            "num_search_results": 0, "num_fetches": 0, "router": NSNull(),
        ]
        for key in [
            "upstream_id", "cache_discount", "upstream_inference_cost", "app_id", "service_tier", "tokens_prompt",
            "tokens_completion", "native_tokens_prompt", "native_tokens_completion", "native_tokens_completion_images",
            "native_tokens_reasoning", "native_tokens_cached", "web_search_engine", "external_user", "preset_id",
            "provider_responses", "user_agent", "http_referer", "workspace_id",
        ] {
            record[key] = NSNull()
        }
        state.recordGeneration(id, record)
    }

    private func generation(_ exchange: Exchange) throws(ProviderError) -> Answer {
        guard let id = exchange.query["id"], !id.isEmpty else {
            throw ProviderError(400, "Missing generation id", code: "invalid_request")
        }
        guard let record = state.generation(id) else {
            throw ProviderError(404, "Generation \(id) not found", code: "not_found")
        }
        return .json(["data": record])
    }

    // MARK: Billing

    /// Records what OpenRouter bills for this answer and returns the amount, which its `usage.cost` reports.
    @discardableResult
    private func bill(_ exchange: Exchange, model: String, id: String?, text: String?, lines: [BillingEntry.Line])
        -> Decimal
    {
        var entry = BillingEntry(
            provider: .openrouter, model: model, endpoint: "POST " + exchange.path, requestID: id, text: text,
            lines: lines)
        entry.searchable = exchange.header("Content-Type")?.lowercased().hasPrefix("multipart/") == true
            ? (text ?? "") : String(decoding: exchange.body.prefix(65_536), as: UTF8.self)
        state.bill(entry)
        return entry.usd
    }

    // MARK: Errors

    func policyRefusal() -> ProviderError {
        ProviderError(403, "Your input was flagged by the moderation system: violence", code: "content_policy_violation")
    }

    func unknownModel(_ model: String) -> ProviderError {
        ProviderError(400, "\(model) is not a valid model ID", code: "invalid_request")
    }

    func render(_ error: ProviderError) -> Answer {
        var message = error.message
        var type = error.code
        var headers: [(String, String)] = []
        switch error.status {
        case 401:
            message = "Missing Authentication header"
            type = "authentication"
        case 402:
            if message.isEmpty { message = "Insufficient credits. Add more using https://openrouter.ai/credits" }
            type = "payment_required"
        case 429:
            if message.isEmpty { message = "Rate limit exceeded" }
            type = "rate_limit_exceeded"
            let reset = Int((Date().timeIntervalSince1970 + Double(error.retryAfter ?? 1)) * 1000)
            headers += [("X-RateLimit-Limit", "20"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", String(reset))]
        case 500 where message.isEmpty:
            message = "Internal Server Error"
            type = "server"
        case 502 where message.isEmpty:
            message = "Provider returned error"
            type = "provider_unavailable"
        case 503 where message.isEmpty:
            message = "Service temporarily unavailable"
            type = "provider_unavailable"
        case 524 where message.isEmpty:
            message = "Request timed out. Please try again later."
            type = "timeout"
        case 529 where message.isEmpty:
            message = "Provider returned error"
            type = "provider_overloaded"
        default:
            if message.isEmpty { message = "Request failed with status \(error.status)" }
        }
        if let retryAfter = error.retryAfter { headers.append(("Retry-After", String(retryAfter))) }
        var inner: [String: Any] = ["code": error.status, "message": message]
        if let type { inner["metadata"] = ["error_type": type] }
        return .json(status: error.status, ["error": inner], headers: headers)
    }
}
