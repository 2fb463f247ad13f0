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
        let kind = mediaKind(model: model, input: input)
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
        let (width, height) = requestedSize(input)
        let id = UUID().uuidString.lowercased()
        let job = SimJob(
            id: id, provider: .fal,
            request: JobRequest(
                kind: kind, model: model,
                prompt: input.string("prompt") ?? input.string("text") ?? input.string("input"),
                durationSeconds: requestedDuration(input), width: width, height: height, voice: input.string("voice"),
                audio: input.string("audio_url"), inputJSON: exchange.body),
            schedule: state.schedule(for: .fal), submittedAt: Date(), failure: exchange.jobFailure,
            corruptMedia: exchange.corruptMedia, generationID: id)
        state.insert(job)
        var object = urls(exchange, model: model, id: id)
        object["request_id"] = id
        object["gateway_request_id"] = id
        object["status"] = "IN_QUEUE"
        object["queue_position"] = 0
        return .json(status: 200, object, headers: [("x-fal-request-id", id)])
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
            object["metrics"] = ["inference_time": job.predictTime]
            return .json(status: 200, object)
        }
    }

    private func result(_ exchange: Exchange, model: String, id: String) async throws(ProviderError) -> Answer {
        let job = try find(id, poll: false)
        switch job.phase(at: Date()) {
        case .queued, .running:
            throw ProviderError(400, "Request is still in progress")
        case .canceled:
            throw ProviderError(400, "Request was cancelled")
        case .failed(let message):
            throw ProviderError(422, message, code: "generation_failed", param: "prompt")
        case .succeeded:
            break
        }
        let (fileID, file) = try await outputs.files(of: job)[0]
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
            var image = described
            image["width"] = job.request.width ?? 1024
            image["height"] = job.request.height ?? 1024
            answer = .json([
                "images": [image], "seed": 42, "has_nsfw_concepts": [false], "prompt": job.request.prompt ?? "",
                "timings": ["inference": job.predictTime],
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
        ProviderError(422, "field required", code: "missing", param: field)
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
