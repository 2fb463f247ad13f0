import Foundation
import MediaJobsCore
import MediaJobsStore
import Testing

@Suite("`mediajobs serve` run as the built binary", .serialized)
struct ServeBinaryTests {
    @Test("serve answers over HTTP, runs a tts job with its worker, and stops cleanly on SIGTERM")
    func serveEndToEnd() async throws {
        let serve = try ServeProcess()
        var stopped = false
        defer { if !stopped { _ = serve.stop() } }
        #expect(try await serve.client.get("/healthz").status == 200)
        let created = try await serve.client.postJSON("/v1/jobs", ["kind": "tts", "provider": "local", "input": ["text": "Served by the binary."]])
        #expect(created.status == 201)
        let id = try #require(created.object["id"] as? String)
        var state = ""
        let deadline = Date().addingTimeInterval(600)  // a bound on a hang, not a speed check
        while Date() < deadline {
            state = try await serve.client.get("/v1/jobs/\(id)").object["state"] as? String ?? ""
            if ["succeeded", "failed", "canceled"].contains(state) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(state == "succeeded")
        let stats = try await serve.client.get("/v1/stats")
        #expect((stats.object["workers"] as? [Any])?.count == 1)
        stopped = true
        #expect(serve.stop() == 0)
    }

    @Test("serve --workers 0 serves the API beside a separate `mediajobs worker` process on the same home")
    func apiBesideWorkerProcess() async throws {
        let serve = try ServeProcess(arguments: ["--workers", "0"])
        defer { _ = serve.stop() }
        let created = try await serve.client.postJSON("/v1/jobs", ["kind": "tts", "provider": "local", "input": ["text": "Run elsewhere."]])
        let id = try #require(created.object["id"] as? String)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await serve.client.get("/v1/jobs/\(id)").object["state"] as? String == "queued")

        let worker = Process()
        worker.executableURL = ServeProcess.binary
        worker.arguments = ["worker", "--concurrency", "1", "--home", serve.home.path]
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        defer { worker.terminate(); worker.waitUntilExit() }
        var state = ""
        let deadline = Date().addingTimeInterval(600)  // a bound on a hang, not a speed check
        while Date() < deadline {
            state = try await serve.client.get("/v1/jobs/\(id)").object["state"] as? String ?? ""
            if ["succeeded", "failed", "canceled"].contains(state) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(state == "succeeded")
    }

    @Test("serve refuses a non-loopback address without --token, naming the option")
    func refusesOpenBind() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("serve-refuse-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let (status, output) = try await ServeProcess.run(ServeProcess.binary, ["serve", "--host", "0.0.0.0", "--home", home.path])
        #expect(status == 2)
        #expect(output.contains("--host"))
        #expect(output.contains("--token"))
    }

    @Test("schemathesis finds no 5xx and no response that breaks /openapi.json")
    func schemathesis() async throws {
        let schemathesis = ServeProcess.packageRoot.appendingPathComponent(".build/venv/bin/schemathesis")
        try #require(FileManager.default.isExecutableFile(atPath: schemathesis.path),
                     "no \(schemathesis.path): `make test` (or `make venv`) creates it")
        let serve = try ServeProcess(arguments: ["--workers", "0"])
        defer { _ = serve.stop() }
        // In a folder of its own: schemathesis keeps a cache of what it found in the current folder.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("schemathesis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (status, output) = try await ServeProcess.run(schemathesis, SchemathesisRun.arguments(url: serve.baseURL), directory: scratch)
        print(output.suffix(6000))
        #expect(status == 0, "schemathesis failed:\n\(output.suffix(6000))")
    }

    @Test("the dashboard in headless chromium: submit a tts job with the form and see it succeed (screenshots in .build/screenshots)")
    func dashboardInBrowser() async throws {
        let python = try ServeProcess.browserPython()
        let serve = try ServeProcess(arguments: ["--workers", "1"])
        defer { _ = serve.stop() }
        let script = ServeProcess.packageRoot.appendingPathComponent("Tests/MediaJobsServerTests/Python/dashboard_check.py")
        let shots = ServeProcess.packageRoot.appendingPathComponent(".build/screenshots").path
        let (status, output) = try await ServeProcess.run(python, [script.path, serve.baseURL, shots])
        #expect(status == 0, "dashboard check failed:\n\(output.suffix(6000))")
        #expect(FileManager.default.fileExists(atPath: shots + "/dashboard-job.png"))
    }

    @Test("the dashboard shows an unknown cost as unknown, never $0: job page, jobs table and costs page, in headless chromium")
    func unknownCostInBrowser() async throws {
        let python = try ServeProcess.browserPython()
        let serve = try ServeProcess(arguments: ["--workers", "0"])
        defer { _ = serve.stop() }
        // A job that ran on a model nobody has a price for, written by the store into the server's own database.
        let store = try SQLiteJobStore(path: serve.home.appendingPathComponent("mediajobs.sqlite").path)
        let now = Date()
        let spec = JobSpec(kind: .tts, provider: "openrouter", model: "some-lab/brand-new-tts", input: JobInput(text: "Hello"))
        let job = try await store.enqueue(spec, now: now).job
        _ = try #require(try await store.claim(worker: "w", now: now, leaseExpiry: now.addingTimeInterval(60)))
        try await store.complete(job.id, worker: "w", result: JobCompletion(costs: [CostRecord(
            jobID: job.id, attempt: 1, provider: "openrouter", model: "some-lab/brand-new-tts", units: ["characters": 5],
            usd: nil, source: .unknown, lines: [PriceLine(unit: "characters", quantity: 5, usdPerUnit: nil)],
            charged: true, at: now)]), now: now)

        let script = ServeProcess.packageRoot.appendingPathComponent("Tests/MediaJobsServerTests/Python/dashboard_unknown_cost_check.py")
        let shots = ServeProcess.packageRoot.appendingPathComponent(".build/screenshots").path
        let (status, output) = try await ServeProcess.run(python, [script.path, serve.baseURL, job.id.rawValue, shots])
        #expect(status == 0, "dashboard check failed:\n\(output.suffix(6000))")

        let costs = try await serve.client.get("/v1/costs?group_by=provider")
        #expect(costs.text.contains(#""usd":null"#), "\(costs.text)")
        #expect(costs.text.contains(#""display":"unknown (1 attempt)""#), "\(costs.text)")
        let view = try await serve.client.get("/v1/jobs/\(job.id.rawValue)")
        #expect(view.text.contains(#""display":"unknown""#), "\(view.text)")
        #expect(!view.text.contains(#""usd":0"#), "\(view.text)")
    }

    @Test("the dashboard shows the route that made a job's file beside the routes asked, and a cache hit's source job")
    func routeUsedInBrowser() async throws {
        let python = try ServeProcess.browserPython()
        let serve = try ServeProcess(arguments: ["--workers", "0"])
        defer { _ = serve.stop() }
        // Jobs finished as a worker finishes them, written by the store into the server's own database: one made by its
        // fallback, one made for its own request, and a cache hit that reused the latter's result.
        let store = try SQLiteJobStore(path: serve.home.appendingPathComponent("mediajobs.sqlite").path)
        let now = Date()
        let local = RouteUsed(provider: "local", model: "flite")
        func finish(_ spec: JobSpec, _ used: RouteUsed) async throws -> JobID {
            let job = try await store.enqueue(spec, now: now).job
            _ = try #require(try await store.claim(worker: "w", now: now, leaseExpiry: now.addingTimeInterval(60)))
            try await store.complete(job.id, worker: "w", result: JobCompletion(routeUsed: used), now: now)
            return job.id
        }
        let fallback = try await finish(JobSpec(kind: .tts, provider: "openrouter", model: "some-lab/not-served",
                                                fallbacks: [Route(provider: "local", model: "flite")],
                                                input: JobInput(text: "Made by the fallback")), local)
        let reused = try await finish(JobSpec(kind: .tts, input: JobInput(text: "Said once")), local)
        let hit = try await finish(JobSpec(kind: .tts, input: JobInput(text: "Said once")),
                                   RouteUsed(provider: "local", model: "flite", cacheHitOf: reused))

        let script = ServeProcess.packageRoot.appendingPathComponent("Tests/MediaJobsServerTests/Python/dashboard_route_check.py")
        let shots = ServeProcess.packageRoot.appendingPathComponent(".build/screenshots").path
        let (status, output) = try await ServeProcess.run(
            python, [script.path, serve.baseURL, fallback.rawValue, hit.rawValue, reused.rawValue, shots])
        #expect(status == 0, "dashboard check failed:\n\(output.suffix(6000))")
    }
}
