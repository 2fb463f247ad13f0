import Foundation

/// fal's queue API (`https://queue.fal.run`): submit to `/{model_id}[/{subpath}]`, then
/// `/{model_id}/requests/{id}/status`, `/{model_id}/requests/{id}` for the result and `…/cancel` (PUT).
/// `Authorization: Key …`. Output files are served at `/fal/files/…` without a key, like fal's CDN.
struct FalAPI: ProviderAPI {
    let media: MediaFactory
    let state: SimulatorState
    var outputs: JobOutputs { JobOutputs(media: media, state: state) }

    func isAuthorized(_ exchange: Exchange) -> Bool { exchange.credential(scheme: "Key") != nil }
    func isPublic(_ exchange: Exchange) -> Bool { exchange.path.hasPrefix("/files/") }

    func handle(_ exchange: Exchange) async throws(ProviderError) -> Answer {
        if exchange.path.hasPrefix("/files/") {
            guard exchange.method == "GET" else { throw ProviderError(405, "Method Not Allowed") }
            return try serveFile(exchange, from: state)
        }
        let path = String(exchange.path.dropFirst())
        if let range = path.range(of: "/requests/") {
            let model = String(path[..<range.lowerBound])
            let rest = path[range.upperBound...].split(separator: "/").map(String.init)
            guard let id = rest.first else { throw ProviderError(404, "Not Found") }
            switch (exchange.method, rest.dropFirst().first) {
            case ("GET", "status"?): return try status(exchange, model: model, id: id)
            case ("GET", nil): return try await result(exchange, model: model, id: id)
            case ("PUT", "cancel"?): return try cancel(exchange, model: model, id: id)
            default: throw ProviderError(405, "Method Not Allowed")
            }
        }
        guard exchange.method == "POST" else { throw ProviderError(405, "Method Not Allowed") }
        return try submit(exchange, model: path)
    }

    private func submit(_ exchange: Exchange, model: String) throws(ProviderError) -> Answer {
        guard model.split(separator: "/").count >= 2 else { throw unknownModel(model) }
        let input = try exchange.jsonObject()
        // A model with a schema here is checked against it, closed; any other against the fields fal models share.
        let schema = ModelSchemas.fal[model]
        let problems = schema?.validate(input) ?? ModelInputSchema.checkCommon(input, ModelSchemas.falCommon)
        if !problems.isEmpty { throw invalid(problems) }
        let kind = mediaKind(model: model, input: input)
        if schema == nil {
            switch kind {
            case .transcript:
                guard input.string("audio_url") != nil else { throw missing("audio_url") }
            case .speech:
                guard (input.string("text") ?? input.string("prompt") ?? input.string("input")) != nil else {
                    throw missing("text")
                }
            case .image, .video:
                guard input.string("prompt") != nil || input["image_url"] != nil else { throw missing("prompt") }
            }
        }
        for key in ["image_url", "audio_url"] {
            if let reference = input.string(key), reference.lowercased().hasPrefix("data:"),
               ReceivedFile.decodeDataURI(reference) == nil
            {
                throw invalid([SchemaProblem(field: key, kind: .url)])
            }
        }
        var (width, height) = requestedSize(input)
        if model == "fal-ai/flux/schnell" {
            // flux takes a preset (default landscape_4_3) or {width, height}.
            let size = falPixels(input["image_size"] ?? "landscape_4_3")
            width = size.width
            height = size.height
        }
        var duration = requestedDuration(input)
        if model.hasPrefix("fal-ai/veo3/fast"), duration == nil { duration = 8 }
        let id = UUID().uuidString.lowercased()
        let prompt = input.string("prompt") ?? input.string("text") ?? input.string("input")
        var request = JobRequest(
            kind: kind, model: model, prompt: prompt, durationSeconds: duration, width: width, height: height,
            voice: input.string("voice"), audio: input.string("audio_url"), inputJSON: exchange.body)
        if kind == .video {
            // veo3 makes sound unless asked not to (and bills it: `price`).
            request.sound = (input["generate_audio"] as? Bool) ?? true
        }
        if kind == .image {
            // fal's image models answer JPEG unless asked for PNG (flux's `output_format` default).
            request.imageFormat = MediaFactory.imageFormat(input.string("output_format") ?? "jpeg")
            request.count = (input["num_images"] as? NSNumber)?.intValue ?? 1
        }
        var job = SimJob(
            id: id, provider: .fal, request: request,
            schedule: state.schedule(for: .fal), submittedAt: Date(), failure: exchange.jobFailure,
            corruptMedia: exchange.corruptMedia, generationID: id)
        job.deliversPNG = exchange.deliversPNG
        job.endsCanceled = exchange.canceledAtProvider
        job.resultExpired = exchange.resultExpired
        job.predictTime = state.predictTime(model: model, kind: kind, id: id)
        job.charge = Charge(
            model: model, endpoint: "POST /\(model)", text: prompt,
            searchable: String(decoding: exchange.body.prefix(65_536), as: UTF8.self),
            amount: price(model: model, input: input, request: request))
        state.insert(job)
        var object = urls(exchange, model: model, id: id)
        object["request_id"] = id
        object["gateway_request_id"] = id
        object["status"] = "IN_QUEUE"
        object["queue_position"] = 0
        return .json(status: 200, object, headers: [("x-fal-request-id", id)])
    }

    /// What fal bills for this request when it succeeds (`Prices`).
    private func price(model: String, input: [String: Any], request: JobRequest) -> Charge.Amount {
        if model.hasPrefix("fal-ai/veo3/fast") {
            let seconds = Int(request.durationSeconds ?? 8)
            let audio = (input["generate_audio"] as? Bool) ?? true
            return .lines(Prices.falVeo3Fast(seconds: seconds, audio: audio))
        }
        if model == "fal-ai/flux/schnell" {
            return .lines(Prices.falFluxSchnell(
                width: request.width ?? 1024, height: request.height ?? 768, images: request.count))
        }
        if model.hasPrefix("fal-ai/kokoro/") {
            return .lines(Prices.falKokoro(characters: (input.string("prompt") ?? "").count))
        }
        return .unpriced
    }

    /// The pixels of a valid fal `image_size`: a preset or `{width, height}`.
    private func falPixels(_ value: Any) -> (width: Int, height: Int) {
        if let preset = value as? String, let size = ModelInputSchema.falImagePresets[preset] { return size }
        let object = value as? [String: Any] ?? [:]
        return ((object["width"] as? NSNumber)?.intValue ?? 512, (object["height"] as? NSNumber)?.intValue ?? 512)
    }

    /// fal names status and result URLs by the model id without its subpath.
    private func urls(_ exchange: Exchange, model: String, id: String) -> [String: Any] {
        let owner = model.split(separator: "/").prefix(2).joined(separator: "/")
        let base = "\(exchange.baseURL)/\(owner)/requests/\(id)"
        return ["response_url": base, "status_url": base + "/status", "cancel_url": base + "/cancel"]
    }

    private func find(_ id: String, poll: Bool) throws(ProviderError) -> SimJob {
        let job = poll ? state.poll(id, provider: .fal) : state.job(id, provider: .fal)
        guard let job else { throw ProviderError(404, "Request \(id) not found") }
        return job
    }

    private func status(_ exchange: Exchange, model: String, id: String) throws(ProviderError) -> Answer {
        let job = try find(id, poll: true)
        var object = urls(exchange, model: job.request.model, id: id)
        object["request_id"] = id
        let logs: [[String: Any]] = [
            ["message": "Simulated \(job.request.kind.rawValue) generation", "level": "INFO", "source": "USER",
             "timestamp": isoTimestamp(job.submittedAt)]
        ]
        let wantsLogs = exchange.query["logs"] == "1"
        switch job.phase(at: Date()) {
        case .queued:
            object["status"] = "IN_QUEUE"
            object["queue_position"] = 0
            return .json(status: 202, object)
        case .running:
            object["status"] = "IN_PROGRESS"
            object["logs"] = wantsLogs ? logs as Any : NSNull()
            return .json(status: 202, object)
        case .succeeded, .failed, .canceled:
            object["status"] = "COMPLETED"
            object["logs"] = wantsLogs ? logs as Any : NSNull()
            object["metrics"] = ["inference_time": ExactNumber.json(job.predictTime)]
            return .json(status: 200, object)
        }
    }

    /// The request's output, or the error it ended with. fal's status has three states only: a request that failed,
    /// was cancelled or whose result expired is `COMPLETED`, and its result answers the stored failure in fal's
    /// documented shapes: a model error (`detail` list of `{loc, msg, type, url}`), a request error (`detail` string,
    /// `error_type`, also in `X-Fal-Error-Type`), or 410 for a result that has expired.
    private func result(_ exchange: Exchange, model: String, id: String) async throws(ProviderError) -> Answer {
        let job = try find(id, poll: false)
        switch job.phase(at: Date()) {
        case .queued, .running:
            throw ProviderError(400, "Request is still in progress")
        case .canceled:
            return .json(status: 499, ["detail": "Request was cancelled", "error_type": "client_cancelled"],
                         headers: [("X-Fal-Error-Type", "client_cancelled"), ("x-fal-request-id", id)])
        case .failed(let message):
            let item: [String: Any] = [
                "loc": ["body"], "msg": message, "type": "internal_server_error",
                "url": "https://docs.fal.ai/errors#internal_server_error",
            ]
            return .json(status: 500, ["detail": [item]], headers: [("x-fal-request-id", id)])
        case .succeeded where job.resultExpired:
            return .json(status: 410, ["detail": "Request \(id) has expired: its result is no longer stored"],
                         headers: [("x-fal-request-id", id)])
        case .succeeded:
            break
        }
        let files = try await outputs.files(of: job)
        let (fileID, file) = files[0]
        let url = JobOutputs.url(exchange, id: fileID, file: file)
        let described: [String: Any] = [
            "url": url, "content_type": file.contentType, "file_name": file.name, "file_size": file.data.count,
        ]
        var answer: Answer
        switch job.request.kind {
        case .video:
            answer = .json(["video": described, "seed": 42])
        case .speech:
            answer = .json(["audio": described])
        case .image:
            let images = files.map { id, file -> [String: Any] in
                [
                    "url": JobOutputs.url(exchange, id: id, file: file), "content_type": file.contentType,
                    "file_name": file.name, "file_size": file.data.count, "width": job.request.width ?? 1024,
                    "height": job.request.height ?? 1024,
                ]
            }
            answer = .json([
                "images": images, "seed": 42, "has_nsfw_concepts": files.map { _ in false },
                "prompt": job.request.prompt ?? "", "timings": ["inference": ExactNumber.json(job.predictTime)],
            ])
        case .transcript:
            let transcript = (try? JSONSerialization.jsonObject(with: file.data)) as? [String: Any] ?? [:]
            let segments = transcript["segments"] as? [[String: Any]] ?? []
            answer = .json([
                "text": transcript["text"] ?? "",
                "chunks": segments.map { ["timestamp": [$0["start"] ?? 0, $0["end"] ?? 0], "text": $0["text"] ?? ""] },
            ])
        }
        answer.headers.append(("x-fal-request-id", id))
        return answer
    }

    private func cancel(_ exchange: Exchange, model: String, id: String) throws(ProviderError) -> Answer {
        guard let before = state.job(id, provider: .fal) else { throw ProviderError(404, "Request \(id) not found") }
        if before.phase(at: Date()).isTerminal {
            return .json(status: 400, ["status": "ALREADY_COMPLETED"])
        }
        _ = state.cancel(id, provider: .fal)
        return .json(status: 202, ["status": "CANCELLATION_REQUESTED"])
    }

    // MARK: Errors

    private func missing(_ field: String) -> ProviderError {
        invalid([SchemaProblem(field: field, kind: .missing)])
    }

    /// fal's 422 for a request body that breaks the model's input schema, every problem listed.
    private func invalid(_ problems: [SchemaProblem]) -> ProviderError {
        var error = ProviderError(422, problems.first?.falMessage.msg ?? "Invalid input", param: problems.first?.field)
        error.problems = problems
        return error
    }

    func policyRefusal() -> ProviderError {
        ProviderError(
            422, "The content could not be processed because it contained material flagged by a content checker.",
            code: "content_policy_violation", param: "prompt")
    }

    func unknownModel(_ model: String) -> ProviderError {
        ProviderError(404, "Application '\(model)' not found")
    }

    func render(_ error: ProviderError) -> Answer {
        var headers: [(String, String)] = []
        if let retryAfter = error.retryAfter { headers.append(("Retry-After", String(retryAfter))) }
        if error.status == 422, !error.problems.isEmpty {
            // pydantic's list: one {loc, msg, type} per problem, loc = ["body", field…].
            let items: [[String: Any]] = error.problems.map { problem in
                let (msg, type) = problem.falMessage
                return ["loc": ["body"] + problem.field.split(separator: ".").map(String.init), "msg": msg, "type": type]
            }
            return .json(status: 422, ["detail": items], headers: headers)
        }
        if error.status == 422 {
            // Validation errors carry a list of {loc, msg, type}.
            let item: [String: Any] = [
                "loc": ["body", error.param ?? "input"], "msg": error.message, "type": error.code ?? "value_error",
            ]
            return .json(status: 422, ["detail": [item]], headers: headers)
        }
        let message: String =
            switch error.status {
            case 401: "Unauthorized"
            case 402: error.message.isEmpty ? "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing." : error.message
            case 429: error.message.isEmpty ? "Rate limit exceeded" : error.message
            default: error.message.isEmpty ? "Internal Server Error (\(error.status))" : error.message
            }
        return .json(status: error.status, ["detail": message], headers: headers)
    }
}
