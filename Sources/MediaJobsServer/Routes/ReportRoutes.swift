import Foundation
import Hummingbird
import MediaJobsCore
import MediaJobsStore
import MediaJobsWorker

/// `/v1/costs`, `/v1/stats`, `/v1/batches`.
extension MediaJobsServer {
    struct WorkerView: Encodable {
        var id: String
        var host: String
        var pid: Int32
        var concurrency: Int
        var startedAt: Date
        var heartbeatAt: Date

        init(_ worker: WorkerInfo) {
            id = worker.id
            host = worker.host
            pid = worker.pid
            concurrency = worker.concurrency
            startedAt = worker.startedAt
            heartbeatAt = worker.heartbeatAt
        }

        enum CodingKeys: String, CodingKey {
            case id, host, pid, concurrency
            case startedAt = "started_at"
            case heartbeatAt = "heartbeat_at"
        }
    }

    struct Stats: Encodable {
        var jobs: [String: Int]
        var totalJobs: Int
        var workers: [WorkerView]
        var cost: CostTotal
        var costToday: CostTotal

        enum CodingKeys: String, CodingKey {
            case jobs
            case totalJobs = "total_jobs"
            case workers
            case costUSD = "cost_usd"
            case costTodayUSD = "cost_today_usd"
            case unknownCosts = "unknown_costs"
            case unknownCostsToday = "unknown_costs_today"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(jobs, forKey: .jobs)
            try c.encode(totalJobs, forKey: .totalJobs)
            try c.encode(workers, forKey: .workers)
            try c.encode(cost.usd, forKey: .costUSD)  // null when only unknown amounts were recorded
            try c.encode(costToday.usd, forKey: .costTodayUSD)
            try c.encode(cost.unknown, forKey: .unknownCosts)
            try c.encode(costToday.unknown, forKey: .unknownCostsToday)
        }
    }

    struct BatchView: Encodable {
        struct Entry: Encodable {
            var input: String
            var output: String
            var job: String?
            var state: String
            var reason: String?

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(input, forKey: .input)
                try c.encode(output, forKey: .output)
                try c.encode(job, forKey: .job)
                try c.encode(state, forKey: .state)
                try c.encode(reason, forKey: .reason)
            }

            enum CodingKeys: String, CodingKey { case input, output, job, state, reason }
        }

        var id: String
        var kind: String
        var source: String
        var out: String
        var createdAt: Date
        var updatedAt: Date
        var progress: BatchProgress
        var entries: [Entry]?

        enum CodingKeys: String, CodingKey {
            case id, kind, source, out, progress, entries
            case createdAt = "created_at"
            case updatedAt = "updated_at"
        }
    }

    static let costDimensions = MediaJobsStore.CostReport.dimensions

    func addReportRoutes(to v1: RouterGroup<BasicRequestContext>) {
        v1.get("costs") { request, _ in
            let query = request.uri.queryParameters
            let groupBy = (query.get("group_by") ?? "day").split(separator: ",").map(String.init)
            for dimension in groupBy where !MediaJobsServer.costDimensions.contains(dimension) {
                throw APIError.badRequest("group_by", "'\(dimension)' is not one of \(MediaJobsServer.costDimensions.joined(separator: ", "))")
            }
            guard !groupBy.isEmpty else { throw APIError.badRequest("group_by", "name at least one dimension") }
            let label = query.get("label")
            if groupBy.contains("label"), (label ?? "").isEmpty {
                throw APIError.badRequest("label", "grouping by label needs label=<name>, like label=project")
            }
            let since = try day(query.get("since"), "since")
            let until = try day(query.get("until"), "until")
            let lines = try await store.costLines(since: since, until: until, label: label)
            let risks = try await store.submissionRisks(since: since, until: until)
            return try JSONResponse.make(MediaJobsStore.CostReport(lines: lines, groupBy: groupBy, submissionRisks: risks))
        }

        v1.get("stats") { _, _ in
            let counts = try await store.countsByState()
            var jobs: [String: Int] = [:]
            for state in JobState.allCases { jobs[state.rawValue] = counts[state] ?? 0 }
            let now = Date()
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let today = calendar.startOfDay(for: now)
            return try JSONResponse.make(Stats(
                jobs: jobs, totalJobs: counts.values.reduce(0, +),
                workers: try await store.liveWorkers(now: now, staleAfter: 10).map(WorkerView.init),
                cost: try await store.totalCost(since: nil, until: nil),
                costToday: try await store.totalCost(since: today, until: nil)))
        }

        v1.get("batches") { request, _ in
            let limit = request.uri.queryParameters.get("limit").map { Int($0) } ?? 50
            guard let limit, (1...500).contains(limit) else {
                throw APIError.badRequest("limit", "must be a whole number 1–500")
            }
            var views: [BatchView] = []
            for batch in try await store.batches(limit: limit) {
                views.append(try await batchView(batch, withEntries: false))
            }
            struct Page: Encodable { var batches: [BatchView] }
            return try JSONResponse.make(Page(batches: views))
        }

        v1.get("batches/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard id.count <= 200, let batch = try await store.batch(id) else {
                throw APIError(.notFound, "batch.not_found", "id: no batch \(id.prefix(200))")
            }
            return try JSONResponse.make(try await batchView(batch, withEntries: true))
        }
    }

    func batchView(_ batch: BatchRecord, withEntries: Bool) async throws -> BatchView {
        var view = BatchView(id: batch.id, kind: batch.kind, source: batch.source, out: batch.out,
                             createdAt: batch.createdAt, updatedAt: batch.updatedAt,
                             progress: try await store.batchProgress(batch.id), entries: nil)
        if withEntries {
            var entries: [BatchView.Entry] = []
            for entry in try await store.batchEntries(batch.id) {
                guard let id = entry.jobID, let job = try await store.job(id) else {
                    entries.append(.init(input: entry.input, output: entry.output, job: nil, state: "skipped", reason: entry.rejection))
                    continue
                }
                entries.append(.init(input: entry.input, output: entry.output, job: id.rawValue, state: job.state.rawValue,
                                     reason: job.error.map(\.description)))
            }
            view.entries = entries
        }
        return view
    }

    private func day(_ text: String?, _ field: String) throws -> Date? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        guard let date = formatter.date(from: text) else {
            throw APIError.badRequest(field, "'\(text.prefix(40))' is not a day like 2026-11-25")
        }
        return date
    }
}
