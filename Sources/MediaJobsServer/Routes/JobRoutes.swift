import Foundation
import Hummingbird
import MediaJobsCore
import MediaJobsStore
import MediaJobsWorker
import ServiceLifecycle

/// `/v1/jobs`: submit, read, list (or follow), cancel, retry, events.
extension MediaJobsServer {
    struct JobPage: Encodable {
        var jobs: [JobView]
        var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case jobs
            case nextCursor = "next_cursor"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(jobs, forKey: .jobs)
            try c.encode(nextCursor, forKey: .nextCursor)
        }
    }

    struct EventView: Encodable {
        var id: Int64
        var at: Date
        var kind: JobEvent.Kind
        var attempt: Int
        var worker: String?
        var detail: String

        init(_ event: JobEvent) {
            id = event.id
            at = event.at
            kind = event.kind
            attempt = event.attempt
            worker = event.worker
            detail = event.detail
        }

        enum CodingKeys: String, CodingKey { case id, at, kind, attempt, worker, detail }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(at, forKey: .at)
            try c.encode(kind, forKey: .kind)
            try c.encode(attempt, forKey: .attempt)
            try c.encode(worker, forKey: .worker)
            try c.encode(detail, forKey: .detail)
        }
    }

    func addJobRoutes(to v1: RouterGroup<BasicRequestContext>) {
        v1.post("jobs") { request, _ in
            var request = request
            let contentType = request.headers[.contentType] ?? ""
            let spec: JobSpec
            var upload: URL?
            if contentType.lowercased().hasPrefix("multipart/form-data") {
                let body = try await request.collectBody(limit: options.limits.maxUploadBytes)
                (spec, upload) = try specFromUpload(contentType: contentType, body: body)
            } else {
                let body = try await request.collectBody(limit: options.limits.maxBodyBytes)
                spec = try JobSpec.parse(json: body)
                try inputPolicy.check(spec)
            }
            defer { if let upload { try? FileManager.default.removeItem(at: upload) } }
            let result = try await submitter.submit(spec)
            var headers = HTTPFields()
            headers[.location] = "/v1/jobs/\(result.job.id)"
            return try JSONResponse.make(try await view(result.job, events: false),
                                         status: result.created ? .created : .ok, headers: headers)
        }

        v1.get("jobs") { request, _ in
            let query = request.uri.queryParameters
            var filter = JobFilter()
            for name in ["state", "kind", "label", "cursor", "limit"] where query.get(name)?.isEmpty == true {
                throw APIError.badRequest(name, "must not be empty")
            }
            if let states = query.get("state") {
                filter.states = try states.split(separator: ",").map { text in
                    guard let state = JobState(rawValue: String(text)) else {
                        throw APIError.badRequest("state", "'\(text)' is not a state (one of \(JobState.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    return state
                }
            }
            if let kinds = query.get("kind") {
                filter.kinds = try kinds.split(separator: ",").map { text in
                    guard let kind = JobKind(rawValue: String(text)) else {
                        throw APIError.badRequest("kind", "'\(text)' is not a kind (one of \(JobKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    return kind
                }
            }
            if let label = query.get("label") {
                guard let colon = label.firstIndex(of: ":"), colon != label.startIndex else {
                    throw APIError.badRequest("label", "expected name:value, like project:podcast")
                }
                filter.label = (String(label[..<colon]), String(label[label.index(after: colon)...]))
            }
            if request.wantsEventStream {
                return followJobs(filter)
            }
            let limit = query.get("limit").map { Int($0) } ?? 50
            guard let limit, (1...500).contains(limit) else {
                throw APIError.badRequest("limit", "must be a whole number 1–500")
            }
            if let cursor = query.get("cursor") {
                filter.before = try JobID(parsing: cursor)
            }
            filter.limit = limit + 1
            var jobs = try await store.jobs(filter)
            let more = jobs.count > limit
            jobs = Array(jobs.prefix(limit))
            var views: [JobView] = []
            for job in jobs { views.append(try await view(job, events: false)) }
            return try JSONResponse.make(JobPage(jobs: views, nextCursor: more ? jobs.last?.id.rawValue : nil))
        }

        v1.get("jobs/{id}") { _, context in
            let job = try await loadJob(context)
            if let cached = finalJobs.json(for: job) { return JSONResponse.make(json: cached) }
            let json = try JobView.makeEncoder(pretty: false).encode(try await view(job, events: true))
            finalJobs.store(json, for: job)
            return JSONResponse.make(json: json)
        }

        v1.post("jobs/{id}/cancel") { _, context in
            let job = try await loadJob(context)
            return try JSONResponse.make(try await view(try await store.cancel(job.id, now: Date()), events: false))
        }

        v1.post("jobs/{id}/retry") { _, context in
            let job = try await loadJob(context)
            return try JSONResponse.make(try await view(try await store.retry(job.id, now: Date()), events: false))
        }

        v1.get("jobs/{id}/events") { request, context in
            let job = try await loadJob(context)
            if request.wantsEventStream {
                let after = request.headers[.init("Last-Event-ID")!].flatMap { Int64($0) }
                return followEvents(of: job.id, after: after)
            }
            let events = try await store.events(job.id, after: nil)
            return try JSONResponse.make(events.map(EventView.init))
        }
    }

    /// A multipart body: `spec` (the job JSON) and `file` (the input: audio to transcribe or text to speak).
    func specFromUpload(contentType: String, body: Data) throws -> (JobSpec, URL) {
        let form = try MultipartForm(contentType: contentType, body: body)
        guard let specPart = form.part("spec") else {
            throw APIError.badRequest("spec", "a multipart job needs a part named spec holding the job JSON")
        }
        guard let file = form.part("file") else {
            throw APIError.badRequest("file", "a multipart job needs a part named file holding the input")
        }
        guard var document = (try? JSONSerialization.jsonObject(with: specPart.data)) as? [String: Any] else {
            throw MediaJobsError(.invalidJSON, "spec: must be a job as a JSON object")
        }
        let kind = (document["kind"] as? String).flatMap(JobKind.init(rawValue:))
        guard kind == .transcribe || kind == .tts else {
            throw APIError.badRequest("file", "an upload is the audio of a transcribe job or the text of a tts job")
        }
        let name = file.filename ?? "upload"
        let ext = (name as NSString).pathExtension.filter { $0.isLetter || $0.isNumber }.prefix(8)
        try artifacts.prepare()
        let url = artifacts.temporaryURL(extension: String(ext))
        var input = document["input"] as? [String: Any] ?? [:]
        if kind == .transcribe {
            input["audio"] = url.path
        } else {
            input["text"] = nil
            input["text_file"] = url.path
        }
        document["input"] = input
        let spec = try JobSpec.parse(json: try JSONSerialization.data(withJSONObject: document), source: "spec")
        // The upload stands in for the one input path; any other path the spec names obeys the rule.
        var others = spec
        others.input.audio = nil
        others.input.textFile = nil
        try inputPolicy.check(others)
        try file.data.write(to: url)
        return (spec, url)
    }

    /// SSE: every change of a job that passes `filter`, as `event: job` with the job's JSON.
    func followJobs(_ filter: JobFilter) -> Response {
        let body = ResponseBody { writer in
            var ticks = 0
            try await writer.write(EventStream.heartbeat)
            let encoder = JobView.makeEncoder(pretty: false)
            for await jobs in await feed.subscribe() {
                ticks += 1
                for job in jobs where matches(job, filter) {
                    let data = try encoder.encode(try await view(job, events: false))
                    try await writer.write(EventStream.event("job", json: data))
                }
                if ticks % 20 == 0 { try await writer.write(EventStream.heartbeat) }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: EventStream.headers, body: body)
    }

    /// SSE: a job's events as they are written, from `after`; ends with `event: end` once the job is final.
    func followEvents(of id: JobID, after: Int64?) -> Response {
        let body = ResponseBody { writer in
            var last = after ?? 0
            var ticks = 0
            try await writer.write(EventStream.heartbeat)
            let encoder = JobView.makeEncoder(pretty: false)
            // Ends on shutdown too, so an open stream never holds up a graceful stop.
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let events = try await store.events(id, after: last)
                for event in events {
                    try await writer.write(EventStream.event("job_event", id: String(event.id), json: try encoder.encode(EventView(event))))
                    last = event.id
                }
                let job = try await store.job(id)
                let drained = events.isEmpty ? true : try await store.events(id, after: last).isEmpty
                if let job, job.state.isFinal, drained {
                    let data = try encoder.encode(try await view(job, events: false))
                    try await writer.write(EventStream.event("end", json: data))
                    break
                }
                ticks += 1
                if ticks % 40 == 0 { try await writer.write(EventStream.heartbeat) }
                try await Task.sleep(for: .milliseconds(250))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: EventStream.headers, body: body)
    }

    private func matches(_ job: Job, _ filter: JobFilter) -> Bool {
        if let states = filter.states, !states.contains(job.state) { return false }
        if let kinds = filter.kinds, !kinds.contains(job.kind) { return false }
        if let label = filter.label, job.spec.labels[label.name] != label.value { return false }
        return true
    }
}
