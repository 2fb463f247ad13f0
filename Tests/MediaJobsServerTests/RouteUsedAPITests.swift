import Foundation
import MediaJobsCore
import MediaJobsStore
import Testing

@Suite("the job API names the routes asked for, the route tried and the route that made the file", .serialized)
struct RouteUsedAPITests {
    static let spec = JobSpec(kind: .tts, provider: "openrouter", model: "some-lab/not-served",
                              fallbacks: [Route(provider: "local", model: "flite")], input: JobInput(text: "Hello"))

    @Test("job JSON: routes_asked both, route_trying while running, route_used the fallback once it made the file")
    func jobJSONNamesRoutes() async throws {
        try await withServer(workers: 0) { server in
            let now = Date()
            let job = try await server.store.enqueue(Self.spec, now: now).job
            let queued = try await server.client.get("/v1/jobs/\(job.id)").object
            #expect(queued["routes_asked"] as? [[String: String]] == [
                ["provider": "openrouter", "model": "some-lab/not-served"], ["provider": "local", "model": "flite"],
            ], "\(queued)")
            #expect(queued["route_used"] is NSNull && queued["route_trying"] is NSNull, "\(queued)")
            #expect(queued["provider"] as? String == "openrouter")

            _ = try #require(try await server.store.claim(worker: "w", now: now, leaseExpiry: now.addingTimeInterval(60)))
            try await server.store.setStage(job.id, worker: "w", stage: "provider", detail: "local/flite", now: now)
            let running = try await server.client.get("/v1/jobs/\(job.id)").object
            #expect(running["route_trying"] as? [String: String] == ["provider": "local", "model": "flite"], "\(running)")
            #expect(running["route_used"] is NSNull)

            try await server.store.complete(job.id, worker: "w", result: JobCompletion(
                costs: [CostRecord(jobID: job.id, attempt: 1, provider: "local", model: "flite", units: ["characters": 5],
                                   usd: .zero, source: .estimated, charged: true, at: now)],
                routeUsed: RouteUsed(provider: "local", model: "flite")), now: now)
            let done = try await server.client.get("/v1/jobs/\(job.id)").object
            let used = try #require(done["route_used"] as? [String: Any], "\(done)")
            #expect(used["provider"] as? String == "local" && used["model"] as? String == "flite" && used["cache_hit_of"] is NSNull)
            #expect(done["route_trying"] is NSNull)
            let page = try await server.client.get("/v1/jobs").object
            let listed = try #require((page["jobs"] as? [[String: Any]])?.first)
            #expect((listed["route_used"] as? [String: Any])?["provider"] as? String == "local", "\(listed)")
            #expect((listed["routes_asked"] as? [Any])?.count == 2)

            let costs = try await server.client.get("/v1/costs?group_by=route_asked,route_used")
            #expect(costs.status == 200, "\(costs.text)")
            let groups = try #require(costs.object["groups"] as? [[String: Any]])
            #expect(groups.map { $0["key"] as? [String: String] } == [
                ["route_asked": "openrouter/some-lab/not-served", "route_used": "local/flite"],
            ], "\(costs.text)")
            let wrong = try await server.client.get("/v1/costs?group_by=route")
            #expect(wrong.status == 400 && wrong.text.contains("route_used"), "\(wrong.text)")
        }
    }

    @Test("the job JSON, while running, made by a fallback and from the cache, matches the Job schema of /openapi.json")
    func jobJSONMatchesOpenAPI() async throws {
        let python = ServeProcess.python
        try #require(FileManager.default.isExecutableFile(atPath: python.path), "no \(python.path): `make test` (or `make venv`) creates it")
        try await withServer(workers: 0) { server in
            let now = Date()
            let made = try await server.store.enqueue(Self.spec, now: now).job
            let reused = try await server.store.enqueue(JobSpec(kind: .tts, input: JobInput(text: "Hello")), now: now).job
            let running = try await server.store.enqueue(Self.spec, now: now).job
            _ = try await server.store.claim(worker: "w", now: now, leaseExpiry: now.addingTimeInterval(60), limit: 3)
            try await server.store.complete(made.id, worker: "w", result: JobCompletion(
                routeUsed: RouteUsed(provider: "local", model: "flite")), now: now)
            try await server.store.complete(reused.id, worker: "w", result: JobCompletion(
                routeUsed: RouteUsed(provider: "local", model: "flite", cacheHitOf: made.id)), now: now)
            try await server.store.setStage(running.id, worker: "w", stage: "provider", detail: "openrouter/some-lab/not-served",
                                            now: now)
            #expect(try await server.client.get("/v1/jobs/\(running.id)").object["route_trying"] is [String: Any])

            let script = ServeProcess.packageRoot.appendingPathComponent("Tests/MediaJobsServerTests/Python/job_schema_check.py")
            let (status, output) = try await ServeProcess.run(
                python, [script.path, "http://127.0.0.1:\(server.client.port)", made.id.rawValue, reused.id.rawValue,
                         running.id.rawValue])
            #expect(status == 0, "the job JSON does not match /openapi.json:\n\(output.suffix(4000))")
        }
    }
}
