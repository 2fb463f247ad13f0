import Foundation

/// Replicate's predictions: `POST /predictions` (with `version`) or `/models/{owner}/{name}/predictions`,
/// `Prefer: wait[=N]`, `GET /predictions/{id}` (= `urls.get`), `POST /predictions/{id}/cancel`, and
/// `GET /predictions`: the caller's predictions, newest first, 100 a page. Output files are served at
/// `/replicate/files/…` without a key, like replicate.delivery.
struct ReplicateAPI: ProviderAPI {
    let media: MediaFactory
    let state: SimulatorState
    var outputs: JobOutputs { JobOutputs(media: media, state: state) }

    func isAuthorized(_ exchange: Exchange) -> Bool { exchange.credential(scheme: "Bearer") != nil }
    func isPublic(_ exchange: Exchange) -> Bool { exchange.path.hasPrefix("/files/") }

    func handle(_ exchange: Exchange) async throws(ProviderError) -> Answer {
        let parts = exchange.path.split(separator: "/").map(String.init)
        switch (exchange.method, parts.first) {
        case ("GET", "files"?):
            return try serveFile(exchange, from: state)
        case ("POST", "predictions"?) where parts.count == 1:
            let body = try exchange.jsonObject()
            guard let version = body.string("version"), !version.isEmpty else {
                throw invalid("version", "version is required")
            }
            let (model, id) = try Self.resolve(version: version)
            return try await create(exchange, model: model, version: id ?? version, body: body)
        case ("POST", "models"?) where parts.count == 4 && parts[3] == "predictions":
            let model = "\(parts[1])/\(parts[2])"
            // Only official models run without a version; a community model the simulator knows (openai/whisper)
            // is not found in this form, as on Replicate.
            if ModelSchemas.replicate[model] != nil, !ModelSchemas.replicateOfficial.contains(model) { throw notFound() }
            let body = try exchange.jsonObject()
            return try await create(exchange, model: model, version: nil, body: body)
        case ("GET", "predictions"?) where parts.count == 1:
            return try list(exchange)
        case ("GET", "predictions"?) where parts.count == 2:
            guard let job = state.poll(parts[1], provider: .replicate) else { throw notFound() }
            return try await prediction(exchange, job, status: 200)
        case ("POST", "predictions"?) where parts.count == 3 && parts[2] == "cancel":
            guard let job = state.cancel(parts[1], provider: .replicate) else { throw notFound() }
            return try await prediction(exchange, job, status: 200)
        default:
            throw notFound()
        }
    }

    /// The model and version id a `version` field names: "owner/name:<64 hex>", "<64 hex>" or "owner/name" (an
    /// official model, or one the simulator does not know). A known community model without a version, or with a
    /// version the simulator does not serve, is Replicate's 422.
    static func resolve(version: String) throws(ProviderError) -> (model: String, version: String?) {
        let parts = version.split(separator: ":", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            let (model, id) = (parts[0], parts[1])
            if let served = ModelSchemas.replicateVersions[model], served != id { throw invalidVersion() }
            return (model, id)
        }
        if ModelSchemas.isVersionID(version) {
            return (ModelSchemas.replicateModel(forVersion: version) ?? "replicate/model-\(version.prefix(8))", version)
        }
        if version.contains("/") {
            if ModelSchemas.replicate[version] != nil, !ModelSchemas.replicateOfficial.contains(version) {
                throw invalidVersion()
            }
            return (version, nil)
        }
        return ("replicate/model-\(version.prefix(8))", version)
    }

    private static func invalidVersion() -> ProviderError {
        ProviderError(
            422, "The specified version does not exist (or perhaps you don't have permission to use it?)",
            code: "invalid_version")
    }

    private func create(_ exchange: Exchange, model: String, version: String?, body: [String: Any])
        async throws(ProviderError) -> Answer
    {
        guard let input = body["input"] as? [String: Any] else { throw invalid("input", "input is required") }
        // A model with a schema here is checked against it, closed; any other against the fields models share.
        let schema = ModelSchemas.replicate[model]
        let problems = schema?.validate(input) ?? ModelInputSchema.checkCommon(input, ModelSchemas.replicateCommon)
        if !problems.isEmpty { throw invalid(problems) }
        let kind = mediaKind(model: model, input: input)
        if schema == nil {
            switch kind {
            case .transcript:
                guard (input.string("audio") ?? input.string("audio_file") ?? input.string("audio_url")) != nil else {
                    throw invalid("input.audio", "audio is required")
                }
            case .speech:
                guard (input.string("text") ?? input.string("prompt")) != nil else {
                    throw invalid("input.text", "text is required")
                }
            case .image, .video:
                guard input.string("prompt") != nil else { throw invalid("input.prompt", "prompt is required") }
            }
        }
        for key in ["image", "last_image", "image_prompt", "audio"] {
            if let reference = input.string(key), reference.lowercased().hasPrefix("data:"),
               ReceivedFile.decodeDataURI(reference) == nil
            {
                throw invalid([SchemaProblem(field: key, kind: .url)])
            }
        }
        let (width, height) = requestedSize(input)
        var duration = requestedDuration(input)
        var frameRate: Double?
        let wan = WanLength(model: model, input: input)
        if let wan {
            duration = wan.seconds
            frameRate = wan.outputFrameRate
        }
        let id = randomID(26)
        let inputData = (try? JSONSerialization.data(withJSONObject: input)) ?? Data("{}".utf8)
        let prompt = input.string("prompt") ?? input.string("text") ?? input.string("initial_prompt")
        var request = JobRequest(
            kind: kind, model: model, prompt: prompt,
            durationSeconds: duration, frameRate: frameRate, width: width, height: height, voice: input.string("voice"),
            audio: input.string("audio") ?? input.string("audio_file") ?? input.string("audio_url"),
            inputJSON: inputData)
        // Wan 2.2 makes silent video.
        if kind == .video { request.sound = !model.hasPrefix("wan-video/") }
        if kind == .image {
            // Flux answers WebP unless asked otherwise; other models PNG.
            let asked = input.string("output_format") ?? (model.hasPrefix("black-forest-labs/flux") ? "webp" : nil)
            request.imageFormat = MediaFactory.imageFormat(asked)
            request.count = (input["num_outputs"] as? NSNumber)?.intValue ?? 1
        }
        var job = SimJob(
            id: id, provider: .replicate, request: request,
            schedule: state.schedule(for: .replicate), submittedAt: Date(), failure: exchange.jobFailure,
            corruptMedia: exchange.corruptMedia, generationID: version ?? model,
            owner: exchange.credential(scheme: "Bearer"))
        job.deliversPNG = exchange.deliversPNG
        job.predictTime = state.predictTime(model: model, kind: kind, id: id, scale: wan?.workScale ?? 1)
        job.charge = Charge(
            model: model, endpoint: "POST " + exchange.path, text: prompt,
            searchable: String(decoding: exchange.body.prefix(65_536), as: UTF8.self),
            amount: Prices.replicateRate(model: model).map { .replicate($0, images: request.count) } ?? .unpriced)
        // Stored before any answer is written, so a prediction whose answer a fault cuts off still exists (and lists).
        job.endsCanceled = exchange.canceledAtProvider
        state.insert(job)

        var current = job
        if let wait = Self.waitSeconds(exchange.header("Prefer")) {
            switch job.schedule {
            case .seconds:
                // Hold the connection until the job ends or the wait runs out.
                let deadline = Date().addingTimeInterval(wait)
                while !current.phase(at: Date()).isTerminal, Date() < deadline {
                    try? await Task.sleep(for: .milliseconds(50))
                    current = state.job(id, provider: .replicate) ?? current
                }
            case .polls:
                // Waiting counts as one status read.
                current = state.poll(id, provider: .replicate) ?? current
            }
        }
        var answer = try await prediction(exchange, current, status: 201)
        answer.headers.append(("Location", "\(exchange.baseURL)/predictions/\(id)"))
        return answer
    }

    /// `Prefer: wait` → 60 s, `Prefer: wait=5` → 5 s (1–60), nil when not asked.
    static func waitSeconds(_ prefer: String?) -> Double? {
        guard let prefer else { return nil }
        for token in prefer.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if token == "wait" { return 60 }
            if token.hasPrefix("wait="), let seconds = Double(token.dropFirst(5)) { return min(60, max(1, seconds)) }
        }
        return nil
    }

    private func prediction(_ exchange: Exchange, _ job: SimJob, status: Int) async throws(ProviderError) -> Answer {
        let phase = job.phase(at: Date())
        var object = Self.object(exchange, job, phase: phase)
        if phase == .succeeded {
            object["output"] = try await output(exchange, job)
        }
        return .json(status: status, object)
    }

    /// The prediction object in `phase`, without its output (which `prediction` adds, generating it on first read).
    private static func object(_ exchange: Exchange, _ job: SimJob, phase: SimJob.Phase) -> [String: Any] {
        let base = "\(exchange.baseURL)/predictions/\(job.id)"
        var object: [String: Any] = [
            "id": job.id, "model": job.request.model, "version": job.generationID,
            "input": (try? JSONSerialization.jsonObject(with: job.request.inputJSON)) ?? [String: Any](),
            "logs": "", "output": NSNull(), "error": NSNull(), "data_removed": false,
            "created_at": isoTimestamp(job.submittedAt), "source": "api",
            "urls": ["get": base, "cancel": base + "/cancel", "web": "https://replicate.com/p/\(job.id)"],
        ]
        if let started = job.startedAt { object["started_at"] = isoTimestamp(started) }
        switch phase {
        case .queued: object["status"] = "starting"
        case .running:
            object["status"] = "processing"
            object["logs"] = "Simulated \(job.request.kind.rawValue) generation\n"
        case .succeeded:
            object["status"] = "succeeded"
        case .failed(let message):
            object["status"] = "failed"
            object["error"] = message
        case .canceled:
            object["status"] = "canceled"
        }
        if phase.isTerminal {
            if let completed = job.completedAt { object["completed_at"] = isoTimestamp(completed) }
            // predict_time is what Replicate bills by: exact, six decimals. total_time adds the wait before it
            // started, in whole milliseconds.
            let queued = max(0, Int(((job.startedAt ?? job.submittedAt).timeIntervalSince(job.submittedAt) * 1000).rounded()))
            object["metrics"] = [
                "predict_time": ExactNumber.json(job.predictTime),
                "total_time": ExactNumber.json(job.predictTime + Decimal(queued) / 1000),
            ]
        }
        return object
    }

    // MARK: Listing

    /// Predictions per page of `GET /predictions`, as Replicate serves them.
    static let pageSize = 100

    /// `GET /predictions`: the predictions the caller's token created, newest first, `pageSize` a page, as
    /// `{next, previous, results}`; `next` and `previous` are URLs carrying an opaque `cursor`. A listing is not a
    /// status read: it neither advances a job nor generates its output (listed only once a `GET` made it).
    private func list(_ exchange: Exchange) throws(ProviderError) -> Answer {
        let owner = exchange.credential(scheme: "Bearer")
        let all = state.jobs(provider: .replicate).filter { $0.owner == owner }
            .sorted { ListCursor.key($0) > ListCursor.key($1) }
        var page: ArraySlice<SimJob> = all.prefix(Self.pageSize)
        if let token = exchange.query["cursor"] {
            guard let cursor = ListCursor(token: token) else { throw ProviderError(400, "Invalid cursor") }
            page = cursor.page(of: all, size: Self.pageSize)
        }
        let results = page.map { job -> [String: Any] in
            let phase = job.phase(at: Date())
            var object = Self.object(exchange, job, phase: phase)
            // Listed as Replicate's list example shows them: the prediction's fields (model, version, input, status,
            // urls, times, metrics, output) without its logs.
            object["logs"] = nil
            if phase == .succeeded, let output = storedOutput(exchange, job) { object["output"] = output }
            return object
        }
        func link(_ cursor: ListCursor?) -> Any {
            cursor.map { "\(exchange.baseURL)/predictions?cursor=\($0.token)" } ?? NSNull()
        }
        let next = page.last.flatMap { last in all.last.map(ListCursor.key) == ListCursor.key(last) ? nil : ListCursor(older: last) }
        let previous = page.first.flatMap { first in all.first.map(ListCursor.key) == ListCursor.key(first) ? nil : ListCursor(newer: first) }
        return .json(["next": link(next), "previous": link(previous), "results": results])
    }

    /// The output of a finished prediction whose files were already made, without making them.
    private func storedOutput(_ exchange: Exchange, _ job: SimJob) -> Any? {
        let files = job.outputs.compactMap { id in state.file(id).map { (id: id, file: $0) } }
        guard !files.isEmpty else { return nil }
        return shapedOutput(exchange, job, files: files)
    }

    private func output(_ exchange: Exchange, _ job: SimJob) async throws(ProviderError) -> Any {
        shapedOutput(exchange, job, files: try await outputs.files(of: job))
    }

    /// Stored output files as the prediction's `output`: a URL, a list of them, or a transcription object.
    private func shapedOutput(_ exchange: Exchange, _ job: SimJob, files: [(id: String, file: StoredFile)]) -> Any {
        let (id, file) = files[0]
        let url = JobOutputs.url(exchange, id: id, file: file)
        switch job.request.kind {
        case .image: return files.map { JobOutputs.url(exchange, id: $0.id, file: $0.file) }
        case .video, .speech: return url
        case .transcript:
            let transcript = (try? JSONSerialization.jsonObject(with: file.data)) as? [String: Any] ?? [:]
            let segments = (transcript["segments"] as? [[String: Any]] ?? []).enumerated().map { index, segment in
                ["id": index, "start": segment["start"] ?? 0, "end": segment["end"] ?? 0, "text": segment["text"] ?? ""]
            }
            return [
                "transcription": transcript["text"] ?? "", "segments": segments, "detected_language": "english",
            ] as [String: Any]
        }
    }

    // MARK: Errors

    private func notFound() -> ProviderError { ProviderError(404, "Not found.") }

    private func invalid(_ field: String, _ description: String) -> ProviderError {
        ProviderError(422, "- \(field): \(description)", code: "required", param: field)
    }

    /// Replicate's 422 for an input that breaks the model's schema, every problem listed.
    private func invalid(_ problems: [SchemaProblem]) -> ProviderError {
        var error = ProviderError(
            422,
            problems.map { "- input.\($0.field): \($0.replicateMessage.description)" }.joined(separator: "\n"),
            param: problems.first.map { "input." + $0.field })
        error.problems = problems
        return error
    }

    func policyRefusal() -> ProviderError {
        ProviderError(422, "NSFW content detected. Try running it again, or try a different prompt.")
    }

    func unknownModel(_ model: String) -> ProviderError {
        ProviderError(404, "The requested resource could not be found.", code: "model")
    }

    func render(_ error: ProviderError) -> Answer {
        var headers: [(String, String)] = []
        if let retryAfter = error.retryAfter { headers.append(("Retry-After", String(retryAfter))) }
        var object: [String: Any] = ["status": error.status]
        switch error.status {
        case 401:
            object["title"] = "Unauthenticated"
            object["detail"] = "You did not pass a valid authentication token"
        case 402:
            object["title"] = "Insufficient credit"
            object["detail"] = error.message.isEmpty
                ? "You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit."
                : error.message
        case 404:
            object["title"] = "Not found"
            object["detail"] = error.message.isEmpty ? "Not found." : error.message
        case 422 where error.code == "invalid_version":
            object["title"] = "Invalid version"
            object["detail"] = error.message
        case 422 where !error.problems.isEmpty:
            object["title"] = "Input validation failed"
            object["detail"] = error.message
            object["invalid_fields"] = error.problems.map { problem -> [String: Any] in
                let (type, description) = problem.replicateMessage
                return ["type": type, "field": "input." + problem.field, "description": description]
            }
        case 422:
            object["title"] = "Input validation failed"
            object["detail"] = error.message
            if let param = error.param {
                object["invalid_fields"] = [["type": error.code ?? "invalid", "field": param, "description": error.message]]
            }
        case 429:
            object["title"] = "Request was throttled."
            object["detail"] = "Request was throttled. Your rate limit resets in ~\(error.retryAfter ?? 30)s."
        default:
            object["title"] = error.status >= 500 ? "Internal server error" : "Error"
            object["detail"] = error.message.isEmpty ? "Status \(error.status)" : error.message
        }
        return .json(status: error.status, object, headers: headers)
    }
}

/// Where a page of `GET /predictions` starts: just older or just newer than one prediction, in the listing's order
/// (creation time, then id, newest first). Its token is opaque to clients (base64url), as Replicate's is.
struct ListCursor: Equatable {
    enum Direction: String { case older = "o", newer = "n" }

    var direction: Direction
    var micros: Int64
    var id: String

    /// The listing's order key; larger is newer.
    static func key(_ job: SimJob) -> Key { Key(micros: micros(job.submittedAt), id: job.id) }

    struct Key: Comparable {
        var micros: Int64
        var id: String
        static func < (a: Key, b: Key) -> Bool { (a.micros, a.id) < (b.micros, b.id) }
    }

    init(older job: SimJob) { (direction, micros, id) = (.older, Self.micros(job.submittedAt), job.id) }
    init(newer job: SimJob) { (direction, micros, id) = (.newer, Self.micros(job.submittedAt), job.id) }

    init?(token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, let direction = Direction(rawValue: parts[0]), let micros = Int64(parts[1]) else { return nil }
        (self.direction, self.micros, id) = (direction, micros, parts[2])
    }

    var token: String {
        Data("\(direction.rawValue):\(micros):\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The page this cursor points at in `all` (newest first).
    func page(of all: [SimJob], size: Int) -> ArraySlice<SimJob> {
        let mark = Key(micros: micros, id: id)
        switch direction {
        case .older:
            let start = all.firstIndex { ListCursor.key($0) < mark } ?? all.endIndex
            return all[start...].prefix(size)
        case .newer:
            let end = all.firstIndex { ListCursor.key($0) <= mark } ?? all.endIndex
            return all[..<end].suffix(size)
        }
    }

    private static func micros(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
}

/// How long a Wan 2.2 fast video is, and how much work it is. These models take no `duration`: the video is
/// `num_frames` (81–121, default 81) frames at `frames_per_second` (5–30, default 16), that is num_frames / fps
/// seconds (81 frames at 16 fps: 5.0625 s); `interpolate_output` brings it to 30 fps, same length. Their
/// `resolution` defaults to 720p.
struct WanLength: Equatable {
    var frames: Int
    var framesPerSecond: Int
    var interpolate: Bool
    var resolution: String

    /// nil for a model that is not a Wan 2.2 fast model.
    init?(model: String, input: [String: Any]) {
        guard model.hasPrefix("wan-video/wan-2.2") else { return nil }
        frames = (input["num_frames"] as? NSNumber)?.intValue ?? 81
        framesPerSecond = (input["frames_per_second"] as? NSNumber)?.intValue ?? 16
        interpolate = (input["interpolate_output"] as? NSNumber)?.boolValue ?? false
        resolution = input.string("resolution") ?? "720p"
    }

    var seconds: Double { Double(frames) / Double(framesPerSecond) }
    var outputFrameRate: Double { interpolate ? 30 : Double(framesPerSecond) }

    /// The run time relative to the usual video job (81 frames at 720p, 30–45 s): it grows with the frames the
    /// model makes, whatever their rate; 480p is about half the work.
    var workScale: Double { Double(frames) / 81 * (resolution == "480p" ? 0.5 : 1) }
}
