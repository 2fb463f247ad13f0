import Foundation
import MediaJobsCore
import MediaJobsFFmpeg

/// OpenAI's `/v1/audio/speech`, `/v1/audio/transcriptions`, `/v1/images/generations` and `/v1/images/edits`.
struct OpenAIAPI: ProviderAPI {
    let media: MediaFactory
    let state: SimulatorState

    static let speechModels: Set = ["tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15"]
    static let voices: Set = [
        "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar",
    ]
    static let transcriptionModels: Set = [
        "whisper-1", "gpt-transcribe", "gpt-4o-transcribe", "gpt-4o-mini-transcribe",
        "gpt-4o-mini-transcribe-2025-12-15", "gpt-4o-transcribe-diarize",
    ]
    static let imageModels: Set = ["dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5"]
    static let imageSizes: Set = ["auto", "1024x1024", "1536x1024", "1024x1536", "256x256", "512x512", "1792x1024", "1024x1792"]
    /// The upload cap OpenAI enforces on transcriptions.
    static let maxUpload = 25 * 1024 * 1024

    func isAuthorized(_ exchange: Exchange) -> Bool { exchange.credential(scheme: "Bearer") != nil }

    func isPublic(_ exchange: Exchange) -> Bool { exchange.path.hasPrefix("/files/") }

    func handle(_ exchange: Exchange) async throws(ProviderError) -> Answer {
        switch (exchange.method, exchange.path) {
        case ("POST", "/audio/speech"): return try await speech(exchange)
        case ("POST", "/audio/transcriptions"): return try await transcription(exchange)
        case ("POST", "/images/generations"): return try await images(exchange)
        case ("POST", "/images/edits"): return try await edits(exchange)
        case ("GET", let path) where path.hasPrefix("/files/"): return try serveFile(exchange, from: state)
        default:
            throw ProviderError(
                404, "Invalid URL (\(exchange.method) /v1\(exchange.path))", code: nil)
        }
    }

    private func speech(_ exchange: Exchange) async throws(ProviderError) -> Answer {
        let body = try exchange.jsonObject()
        guard let model = body.string("model") else { throw missing("model") }
        guard Self.speechModels.contains(model) else { throw unknownModel(model) }
        guard let input = body.string("input") else { throw missing("input") }
        guard !input.isEmpty else { throw invalid("input", "Input must not be empty.") }
        guard input.count <= 4096 else {
            throw invalid("input", "'\(input.prefix(20))…' is too long - 'input' must be at most 4096 characters")
        }
        let voice: String
        if let name = body.string("voice") {
            guard Self.voices.contains(name) else {
                throw invalid("voice", "Invalid value: '\(name)'. Supported values are: \(Self.voices.sorted().map { "'\($0)'" }.joined(separator: ", ")).")
            }
            voice = name
        } else if let custom = body["voice"] as? [String: Any], let id = custom.string("id") {
            voice = id
        } else {
            throw missing("voice")
        }
        let formatName = body.string("response_format") ?? "mp3"
        guard let format = MediaFactory.SpeechFormat(rawValue: formatName) else {
            throw invalid("response_format", "Invalid value: '\(formatName)'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'.")
        }
        if let speed = body.number("speed"), !(0.25...4).contains(speed) {
            throw invalid("speed", "\(speed) is not a valid speed: it must be between 0.25 and 4.0.")
        }
        if body["instructions"] != nil, model.hasPrefix("tts-1") {
            throw invalid("instructions", "Instructions are not supported by \(model).")
        }
        let audio: MediaFactory.Speech
        do {
            audio = try await media.speech(text: input, voice: voice, format: format)
        } catch {
            throw ProviderError(500, "The server had an error while processing your request: \(error)", code: nil)
        }
        let requestID = "req_" + randomID(24)
        bill(exchange, model: model, requestID: requestID, text: input,
             lines: Prices.openAISpeech(model: model, characters: input.count, audioMilliseconds: audio.milliseconds))
        return .bytes(audio.data, contentType: format.contentType, headers: [("x-request-id", requestID)])
    }

    private func transcription(_ exchange: Exchange) async throws(ProviderError) -> Answer {
        guard let form = MultipartForm(body: exchange.body, contentType: exchange.header("Content-Type") ?? "") else {
            throw ProviderError(
                400, "Invalid Content-Type header (\(exchange.header("Content-Type") ?? "none")), expected multipart/form-data.")
        }
        guard let model = form.value("model") else { throw missing("model") }
        guard Self.transcriptionModels.contains(model) else { throw unknownModel(model) }
        guard let file = form.part("file") else { throw missing("file") }
        guard file.data.count <= Self.maxUpload else {
            throw ProviderError(
                413, "Maximum content size limit (\(Self.maxUpload)) exceeded (\(file.data.count) bytes read)",
                code: nil)
        }
        let formatName = form.value("response_format") ?? "json"
        let formats: Set = ["json", "text", "srt", "verbose_json", "vtt", "diarized_json"]
        guard formats.contains(formatName) else {
            throw invalid("response_format", "Invalid value: '\(formatName)'. Supported values are: 'json', 'text', 'srt', 'verbose_json', 'vtt', and 'diarized_json'.")
        }
        if model.hasPrefix("gpt-4o"), model != "gpt-4o-transcribe-diarize", formatName != "json", formatName != "text" {
            throw invalid("response_format", "response_format '\(formatName)' is not compatible with model '\(model)'. Use 'json' or 'text'.")
        }
        let granularities = form.values("timestamp_granularities")
        if !granularities.isEmpty, formatName != "verbose_json" {
            throw invalid("timestamp_granularities", "timestamp_granularities requires response_format=verbose_json")
        }
        let ext = file.filename.map { URL(fileURLWithPath: $0).pathExtension.lowercased() } ?? ""
        let allowed: Set = ["flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm"]
        guard allowed.contains(ext) else {
            throw invalid("file", "Invalid file format. Supported formats: \(allowed.sorted())")
        }
        let transcript: Transcript
        let seconds: Double
        do {
            (transcript, seconds) = try await media.transcribe(file.data, fileExtension: ext)
        } catch {
            throw invalid("file", "Audio file might be corrupted or unsupported")
        }
        let billedSeconds = Int(seconds.rounded(.up))
        bill(exchange, model: model, requestID: nil, text: form.value("prompt"),
             lines: Prices.openAITranscription(model: model, seconds: billedSeconds))
        let usage: [String: Any] =
            model == "whisper-1"
            ? ["type": "duration", "seconds": billedSeconds]
            : [
                "type": "tokens", "input_tokens": Int(seconds * 10), "output_tokens": transcript.text.count / 4 + 1,
                "total_tokens": Int(seconds * 10) + transcript.text.count / 4 + 1,
                "input_token_details": ["text_tokens": 0, "audio_tokens": Int(seconds * 10)],
            ]
        switch formatName {
        case "text": return .text(transcript.text + "\n")
        case "srt": return .text(transcript.rendered(as: .srt))
        case "vtt": return .text(transcript.rendered(as: .vtt), contentType: "text/vtt; charset=utf-8")
        case "verbose_json":
            var object: [String: Any] = [
                "task": "transcribe", "language": "english", "duration": seconds, "text": transcript.text,
                "segments": TranscriptJSON.segments(transcript), "usage": usage,
            ]
            if granularities.contains("word") { object["words"] = TranscriptJSON.words(transcript) }
            return .json(object)
        default:
            return .json(["text": transcript.text, "usage": usage])
        }
    }

    private func images(_ exchange: Exchange) async throws(ProviderError) -> Answer {
        let body = try exchange.jsonObject()
        guard let prompt = body.string("prompt"), !prompt.isEmpty else { throw missing("prompt") }
        let model = body.string("model") ?? "dall-e-2"
        guard Self.imageModels.contains(model) else { throw unknownModel(model) }
        let count = Int(body.number("n") ?? 1)
        guard (1...10).contains(count) else { throw invalid("n", "\(count) is greater than the maximum of 10 - 'n'") }
        if model == "dall-e-3", count != 1 { throw invalid("n", "dall-e-3 only supports n=1.") }
        let size = body.string("size") ?? (model.hasPrefix("gpt-image") ? "auto" : "1024x1024")
        guard Self.imageSizes.contains(size) else {
            throw invalid("size", "'\(size)' is not one of \(Self.imageSizes.sorted()) - 'size'")
        }
        let responseFormat = body.string("response_format") ?? "url"
        if body["response_format"] != nil, model.hasPrefix("gpt-image") {
            throw invalid("response_format", "Unknown parameter: 'response_format'.")
        }
        guard ["url", "b64_json"].contains(responseFormat) else {
            throw invalid("response_format", "'\(responseFormat)' is not one of ['url', 'b64_json']")
        }
        let qualities: Set = ["standard", "hd", "low", "medium", "high", "auto"]
        let askedQuality = body.string("quality") ?? "auto"
        guard qualities.contains(askedQuality) else {
            throw invalid("quality", "Invalid value: '\(askedQuality)'. Supported values are: 'standard', 'hd', 'low', 'medium', 'high', and 'auto'.")
        }
        let outputFormat = body.string("output_format") ?? "png"
        if body["output_format"] != nil, !model.hasPrefix("gpt-image") {
            throw invalid("output_format", "Unknown parameter: 'output_format'.")
        }
        guard let format = MediaFactory.imageFormat(outputFormat), outputFormat != "jpg" else {
            throw invalid("output_format", "Invalid value: '\(outputFormat)'. Supported values are: 'png', 'jpeg', and 'webp'.")
        }
        return try await imageAnswer(
            exchange, model: model, prompt: prompt, count: count, size: size, askedQuality: askedQuality,
            outputFormat: outputFormat, format: format, responseFormat: responseFormat, inputImages: 0,
            background: body.string("background"))
    }

    /// Models `/images/edits` serves.
    static let editModels: Set = ["dall-e-2", "gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5"]
    /// gpt-image models take up to 16 images of at most 50 MB each (png, webp or jpg); dall-e-2 one square PNG
    /// under 4 MB.
    static let maxEditImages = 16
    static let maxEditImageBytes = 50 * 1024 * 1024

    /// `POST /v1/images/edits`: multipart, the images to edit as file parts `image[]` (or one `image`), an optional
    /// `mask`, and `model`, `prompt`, `n`, `size`, `quality`, `output_format`, `background`, `response_format` as
    /// text parts. Answered like `/images/generations`: made from the prompt at the asked size, billed the same.
    private func edits(_ exchange: Exchange) async throws(ProviderError) -> Answer {
        guard let form = MultipartForm(body: exchange.body, contentType: exchange.header("Content-Type") ?? "") else {
            throw ProviderError(
                400, "Invalid Content-Type header (\(exchange.header("Content-Type") ?? "none")), expected multipart/form-data.")
        }
        let images = form.parts.filter { $0.name == "image" || $0.name == "image[]" }
        guard !images.isEmpty else { throw missing("image") }
        guard let prompt = form.value("prompt"), !prompt.isEmpty else { throw missing("prompt") }
        let gptParameters = ["quality", "output_format", "background", "output_compression", "input_fidelity"]
        // OpenAI: dall-e-2 unless a gpt-image parameter is used.
        let model = form.value("model")
            ?? (gptParameters.contains { form.part($0) != nil } || images.count > 1 ? "gpt-image-1" : "dall-e-2")
        guard Self.editModels.contains(model) else {
            throw invalid("model", "Invalid value: '\(model)'. Value must be 'dall-e-2', 'gpt-image-1', 'gpt-image-1-mini' or 'gpt-image-1.5'.")
        }
        let gptImage = model.hasPrefix("gpt-image")
        if !gptImage, images.count > 1 {
            throw invalid("image", "dall-e-2 takes one image to edit; \(images.count) were given.")
        }
        guard images.count <= Self.maxEditImages else {
            throw invalid("image", "Too many images: at most \(Self.maxEditImages) may be given, got \(images.count).")
        }
        for image in images {
            let sniffed = Self.imageType(of: image.data)
            let allowed: Set = gptImage ? ["image/png", "image/jpeg", "image/webp"] : ["image/png"]
            guard let sniffed, allowed.contains(sniffed) else {
                let declared = image.contentType ?? "application/octet-stream"
                throw invalid(
                    "image",
                    "Invalid file '\(image.name)': unsupported mimetype ('\(sniffed ?? declared)'). Supported file formats are \(allowed.sorted().map { "'\($0)'" }.joined(separator: ", ")).")
            }
            let limit = gptImage ? Self.maxEditImageBytes : 4 * 1024 * 1024
            guard image.data.count <= limit else {
                throw invalid("image", "Invalid file '\(image.name)': the image must be smaller than \(limit / 1024 / 1024) MB.")
            }
        }
        let countText = form.value("n") ?? "1"
        guard let count = Int(countText), (1...10).contains(count) else {
            throw invalid("n", "Invalid value: '\(countText)'. 'n' must be an integer between 1 and 10.")
        }
        let size = form.value("size") ?? (gptImage ? "auto" : "1024x1024")
        let sizes: Set = gptImage ? ["auto", "1024x1024", "1536x1024", "1024x1536"] : ["256x256", "512x512", "1024x1024"]
        guard sizes.contains(size) else {
            throw invalid("size", "Invalid value: '\(size)'. Supported values are: \(sizes.sorted().map { "'\($0)'" }.joined(separator: ", ")).")
        }
        let qualities: Set = gptImage ? ["low", "medium", "high", "auto"] : ["standard", "auto"]
        let askedQuality = form.value("quality") ?? "auto"
        guard qualities.contains(askedQuality) else {
            throw invalid("quality", "Invalid value: '\(askedQuality)'. Supported values are: \(qualities.sorted().map { "'\($0)'" }.joined(separator: ", ")).")
        }
        let responseFormat = form.value("response_format") ?? "url"
        if form.part("response_format") != nil, gptImage {
            throw invalid("response_format", "Unknown parameter: 'response_format'.")
        }
        guard ["url", "b64_json"].contains(responseFormat) else {
            throw invalid("response_format", "'\(responseFormat)' is not one of ['url', 'b64_json']")
        }
        let outputFormat = form.value("output_format") ?? "png"
        if form.part("output_format") != nil, !gptImage {
            throw invalid("output_format", "Unknown parameter: 'output_format'.")
        }
        guard let format = MediaFactory.imageFormat(outputFormat), outputFormat != "jpg" else {
            throw invalid("output_format", "Invalid value: '\(outputFormat)'. Supported values are: 'png', 'jpeg', and 'webp'.")
        }
        return try await imageAnswer(
            exchange, model: model, prompt: prompt, count: count, size: size, askedQuality: askedQuality,
            outputFormat: outputFormat, format: format, responseFormat: responseFormat, inputImages: images.count,
            background: form.value("background"))
    }

    /// The media type of image bytes by their signature (PNG, JPEG, WebP, GIF), nil for anything else.
    static func imageType(of data: Data) -> String? {
        let bytes = [UInt8](data.prefix(12))
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "image/png" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if bytes.count >= 12, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46], bytes[8..<12] == [0x57, 0x45, 0x42, 0x50] {
            return "image/webp"
        }
        if bytes.starts(with: Array("GIF8".utf8)) { return "image/gif" }
        return nil
    }

    /// The images answer of `/images/generations` and `/images/edits`: `count` pictures of the prompt, billed per
    /// image by quality and size. `inputImages` (edits) only shows in `usage.input_tokens_details.image_tokens`.
    private func imageAnswer(
        _ exchange: Exchange, model: String, prompt: String, count: Int, size: String, askedQuality: String,
        outputFormat: String, format: ImageFormat, responseFormat: String, inputImages: Int, background: String?
    ) async throws(ProviderError) -> Answer {
        // What was made: `auto` quality is billed and answered as medium (dall-e: standard), `auto` size as 1024².
        let quality = askedQuality == "auto" ? (model.hasPrefix("gpt-image") ? "medium" : "standard") : askedQuality
        // The prompt's tokens, counted as the simulator's tokenizer does: one per started four characters.
        let textTokens = max(1, (prompt.count + 3) / 4)
        let madeSize = size == "auto" ? "1024x1024" : size
        let dimensions = madeSize.split(separator: "x").compactMap { Int($0) }
        var data: [[String: Any]] = []
        for _ in 0..<count {
            let file: StoredFile
            do {
                // A png-instead fault makes PNG bytes whatever was asked (labelled as asked all the same).
                file = try await media.image(
                    width: dimensions.first, height: dimensions.last, prompt: prompt,
                    format: exchange.deliversPNG ? .png : format)
            } catch {
                throw ProviderError(500, "The server had an error while processing your request.")
            }
            let bytes = exchange.corruptMedia ? MediaFactory.corrupt(file.data) : file.data
            if model.hasPrefix("gpt-image") || responseFormat == "b64_json" {
                data.append(["b64_json": bytes.base64EncodedString()])
            } else {
                data.append(["url": "\(exchange.baseURL)/files/\(state.store(StoredFile(data: bytes, contentType: file.contentType, name: file.name)))"])
            }
        }
        var object: [String: Any] = ["created": Int(Date().timeIntervalSince1970), "data": data]
        if model.hasPrefix("gpt-image") {
            // Input images are read as image tokens: about 581 for a 1024² picture (65 + 129 a tile, 4 tiles), a
            // figure the simulator shows but does not bill (§5 prices gpt-image-1 per output image).
            let imageTokens = 581 * inputImages
            object["usage"] = [
                "total_tokens": textTokens + imageTokens + 272 * count, "input_tokens": textTokens + imageTokens,
                "output_tokens": 272 * count,
                "input_tokens_details": ["text_tokens": textTokens, "image_tokens": imageTokens],
            ]
            object["size"] = madeSize
            object["quality"] = quality
            object["output_format"] = outputFormat
            object["background"] = background ?? "opaque"
        }
        bill(exchange, model: model, requestID: nil, text: prompt,
             lines: Prices.openAIImage(model: model, quality: quality, size: madeSize, count: count).map {
                 $0 + Prices.openAIImageText(model: model, tokens: textTokens)
             })
        return .json(object)
    }

    // MARK: Billing

    /// Records what OpenAI bills for this answer (an unpriced entry when `lines` is nil).
    private func bill(_ exchange: Exchange, model: String, requestID: String?, text: String?, lines: [BillingEntry.Line]?) {
        var entry = BillingEntry(
            provider: .openai, model: model, endpoint: "POST " + exchange.path, requestID: requestID, text: text,
            lines: lines ?? [], priced: lines != nil)
        entry.searchable = exchange.header("Content-Type")?.hasPrefix("application/json") == true
            ? String(decoding: exchange.body.prefix(65_536), as: UTF8.self) : (text ?? "")
        state.bill(entry)
    }

    // MARK: Errors

    private func missing(_ param: String) -> ProviderError {
        ProviderError(400, "Missing required parameter: '\(param)'.", code: "missing_required_parameter", param: param)
    }

    private func invalid(_ param: String, _ message: String) -> ProviderError {
        ProviderError(400, message, code: "invalid_value", param: param)
    }

    func policyRefusal() -> ProviderError {
        ProviderError(
            400,
            "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.",
            code: "content_policy_violation")
    }

    func unknownModel(_ model: String) -> ProviderError {
        ProviderError(404, "The model `\(model)` does not exist or you do not have access to it.", code: "model_not_found")
    }

    func render(_ error: ProviderError) -> Answer {
        var message = error.message
        var type = error.status >= 500 ? "server_error" : "invalid_request_error"
        var code: Any = error.code ?? NSNull()
        var headers: [(String, String)] = [("x-request-id", "req_" + randomID(24))]
        switch error.status {
        case 401:
            message = "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys."
            code = NSNull()
        case 402:
            if message.isEmpty { message = "You exceeded your current quota, please check your plan and billing details." }
            type = "insufficient_quota"
            code = "insufficient_quota"
        case 429:
            if message.isEmpty { message = "Rate limit reached for requests. Please try again in \(error.retryAfter ?? 1)s." }
            type = "requests"
            code = "rate_limit_exceeded"
            headers += [
                ("x-ratelimit-limit-requests", "500"), ("x-ratelimit-remaining-requests", "0"),
                ("x-ratelimit-reset-requests", "\(error.retryAfter ?? 1)s"),
            ]
        case 500 where message.isEmpty:
            message = "The server had an error while processing your request. Sorry about that!"
        case 503 where message.isEmpty:
            message = "The engine is currently overloaded, please try again later"
        default:
            if message.isEmpty { message = "The server returned status \(error.status). Please try again later." }
        }
        if let retryAfter = error.retryAfter { headers.append(("Retry-After", String(retryAfter))) }
        let envelope: [String: Any] = [
            "error": ["message": message, "type": type, "param": error.param ?? NSNull(), "code": code]
        ]
        return .json(status: error.status, envelope, headers: headers)
    }
}
