import Foundation
import MediaJobsCore
@testable import MediaJobsServer
import MediaJobsStore
import Testing

@Suite("costs, stats, batches, metrics and the token", .serialized)
struct ReportsAndSecurityTests {
    @Test("after a job: /metrics shows jobs by state, job and stage duration histograms, provider requests and costs")
    func metricsAfterAJob() async throws {
        try await withServer { server in
            let created = try await server.client.postJSON("/v1/jobs", ["kind": "tts", "provider": "local", "input": ["text": "Count me."]])
            let id = try #require(created.object["id"] as? String)
            _ = try await server.waitUntilFinal(id)
            var text = ""
            let deadline = Date().addingTimeInterval(30)
            repeat {
                let answer = try await server.client.get("/metrics")
                #expect(answer.status == 200)
                #expect(answer.header("content-type")?.hasPrefix("text/plain") == true)
                text = answer.text
                if text.contains("mediajobs_job_duration_seconds_count") { break }
                try await Task.sleep(for: .milliseconds(200))
            } while Date() < deadline
            #expect(text.contains(#"mediajobs_jobs{state="succeeded"} 1"#))
            #expect(text.contains(#"mediajobs_jobs{state="queued"} 0"#))
            #expect(text.contains("# TYPE mediajobs_job_duration_seconds histogram"))
            #expect(text.contains(#"mediajobs_job_duration_seconds_count{kind="tts",state="succeeded"} 1"#))
            #expect(text.contains(#"mediajobs_stage_duration_seconds_count{kind="tts",stage="provider"} 1"#))
            #expect(text.contains(#"mediajobs_provider_requests_total{provider="local",kind="tts"} 1"#))
            #expect(text.contains("mediajobs_cost_records_total{provider=\"local\""))
            #expect(text.contains("mediajobs_http_requests_total{method=\"POST\",route=\"/v1/jobs\",status=\"201\"} 1"))
        }
    }

    @Test("costs group by day, provider, model, kind and label; stats count jobs by state")
    func costsAndStats() async throws {
        try await withServer(workers: 0) { server in
            let store = server.store
            let now = Date()
            for (text, project, cents) in [("a", "pod", 3), ("b", "pod", 4), ("c", "ads", 5)] {
                let job = try await store.enqueue(JobSpec(kind: .tts, provider: "local", input: JobInput(text: text), labels: ["project": project]), now: now).job
                let claimed = try #require(try await store.claim(worker: "w", now: now, leaseExpiry: now.addingTimeInterval(60)))
                #expect(claimed.id == job.id)
                try await store.complete(job.id, worker: "w", result: JobCompletion(costs: [CostRecord(
                    jobID: job.id, attempt: 1, provider: "local", model: "flite", units: ["characters": 1],
                    usd: Money(picos: Int64(cents) * 10_000_000_000), source: .estimated, charged: true, at: now)]), now: now)
            }
            let byLabel = try await server.client.get("/v1/costs?group_by=label,provider&label=project")
            #expect(byLabel.status == 200)
            let groups = try #require(byLabel.object["groups"] as? [[String: Any]])
            #expect(groups.count == 2)
            let pod = try #require(groups.first { ($0["key"] as? [String: String])?["label"] == "pod" })
            #expect(pod["usd"] as? Double == 0.07)
            #expect(byLabel.text.contains(#""usd":0.07}"#))
            #expect(pod["attempts"] as? Int == 2)
            #expect(byLabel.text.hasSuffix(#""records":3,"reported_usd":0,"submission_risks":[],"unknown_outcomes":0,"unknown_prices":0,"usd":0.12}"#))

            let byDay = try await server.client.get("/v1/costs?group_by=day,kind")
            let dayGroups = try #require(byDay.object["groups"] as? [[String: Any]])
            #expect(dayGroups.count == 1)
            #expect((dayGroups.first?["key"] as? [String: String])?["kind"] == "tts")

            let bad = try await server.client.get("/v1/costs?group_by=colour")
            #expect(bad.status == 400)

            let stats = try await server.client.get("/v1/stats")
            #expect(stats.status == 200)
            #expect((stats.object["jobs"] as? [String: Int])?["succeeded"] == 3)
            #expect(stats.object["total_jobs"] as? Int == 3)
            #expect(stats.text.contains(#""cost_usd":0.12,"#))

            // A worker that died after sending a paid request: the report names the job that may be paid twice.
            let risky = try await store.enqueue(JobSpec(kind: .tts, provider: "local", input: JobInput(text: "d")), now: now).job.id
            _ = try await store.claim(worker: "gone", now: now, leaseExpiry: now.addingTimeInterval(1))
            try await store.markSubmissionStarted(risky, worker: "gone", detail: "local/flite", cost: nil, now: now)
            _ = try await store.rescueExpiredLeases(now: now.addingTimeInterval(5))
            let withRisk = try await server.client.get("/v1/costs?group_by=day")
            let risks = try #require(withRisk.object["submission_risks"] as? [[String: Any]])
            #expect(risks.map { $0["job_id"] as? String } == [risky.rawValue])
            #expect(risks.first?["attempt"] as? Int == 1)
        }
    }

    @Test("batches show their progress: entries counted by their jobs' states, refusals as skipped")
    func batchProgress() async throws {
        try await withServer(workers: 0) { server in
            let store = server.store
            let now = Date()
            let a = try await store.enqueue(JobSpec(kind: .tts, provider: "local", input: JobInput(text: "one")), now: now).job
            let b = try await store.enqueue(JobSpec(kind: .tts, provider: "local", input: JobInput(text: "two")), now: now).job
            try await store.cancel(b.id, now: now)
            try await store.saveBatch(
                BatchRecord(id: "b-test", kind: "tts", source: "/in", out: "/out", request: "{}", createdAt: now, updatedAt: now),
                entries: [BatchEntry(input: "one.txt", output: "one.mp3", jobID: a.id, rejection: nil),
                          BatchEntry(input: "two.txt", output: "two.mp3", jobID: b.id, rejection: nil),
                          BatchEntry(input: "bad.bin", output: "bad.mp3", jobID: nil, rejection: "not text")])
            let list = try await server.client.get("/v1/batches")
            let batch = try #require((list.object["batches"] as? [[String: Any]])?.first)
            let progress = try #require(batch["progress"] as? [String: Any])
            #expect(progress["inputs"] as? Int == 3)
            #expect(progress["pending"] as? Int == 1)
            #expect(progress["failed"] as? Int == 1)
            #expect(progress["skipped"] as? Int == 1)
            let one = try await server.client.get("/v1/batches/b-test")
            let entries = try #require(one.object["entries"] as? [[String: Any]])
            #expect(entries.map { $0["state"] as? String } == ["queued", "canceled", "skipped"])
            #expect(entries[2]["reason"] as? String == "not text")
            let missing = try await server.client.get("/v1/batches/nope")
            #expect(missing.status == 404)
        }
    }

    @Test("with a token, the API needs it (compared whole), /healthz and the dashboard stay open")
    func token() async throws {
        let token = "s3cret-token-for-tests-0123456789"
        try await withServer(workers: 0, token: token) { server in
            let none = try await server.client.get("/v1/stats")
            #expect(none.status == 401)
            #expect((none.object["error"] as? [String: Any])?["code"] as? String == "auth.unauthorized")
            let wrong = try await server.client.get("/v1/stats", headers: ["Authorization": "Bearer \(token.dropLast())x"])
            #expect(wrong.status == 401)
            let prefix = try await server.client.get("/v1/stats", headers: ["Authorization": "Bearer \(token.prefix(10))"])
            #expect(prefix.status == 401)
            let right = try await server.client.get("/v1/stats", headers: ["Authorization": "Bearer \(token)"])
            #expect(right.status == 200)
            let metrics = try await server.client.get("/metrics")
            #expect(metrics.status == 401)
            #expect(try await server.client.get("/healthz").status == 200)
            #expect(try await server.client.get("/").status == 200)
        }
    }

    @Test("a non-loopback address is refused without a token; loopback needs none")
    func bindRules() throws {
        #expect(throws: MediaJobsError.self) { try ServerOptions(host: "0.0.0.0").validate() }
        #expect(throws: MediaJobsError.self) { try ServerOptions(host: "192.168.1.4").validate() }
        #expect(throws: MediaJobsError.self) { try ServerOptions(host: "0.0.0.0", token: "short").validate() }
        try ServerOptions(host: "0.0.0.0", token: "a-long-enough-token-123").validate()
        try ServerOptions(host: "127.0.0.1").validate()
        try ServerOptions(host: "127.9.9.9").validate()
        try ServerOptions(host: "::1").validate()
        try ServerOptions(host: "localhost").validate()
    }

    @Test("the server section of config.json is read with defaults and refuses unknown fields")
    func configuration() throws {
        let config = try Configuration(json: Data(#"{"server": {"input_folders": ["/srv/in"], "max_body_bytes": 2048}}"#.utf8))
        let section = try config.section(ServerSection.self)
        #expect(section.inputFolders == ["/srv/in"])
        #expect(section.maxBodyBytes == 2048)
        #expect(section.maxUploadBytes == ServerSection.defaults.maxUploadBytes)
        let typo = try Configuration(json: Data(#"{"server": {"input_folder": ["/srv/in"]}}"#.utf8))
        #expect(throws: MediaJobsError.self) { try typo.section(ServerSection.self) }
    }

    @Test("the dashboard and the OpenAPI document are served from the binary")
    func staticFiles() async throws {
        try await withServer(workers: 0) { server in
            let page = try await server.client.get("/")
            #expect(page.status == 200)
            #expect(page.header("content-type")?.hasPrefix("text/html") == true)
            #expect(page.text.contains("dashboard.js"))
            let spec = try await server.client.get("/openapi.json")
            #expect(spec.object["openapi"] as? String == "3.1.0")
            let onDisk = try Data(contentsOf: packageRoot.appendingPathComponent("docs/openapi.json"))
            #expect(spec.body == onDisk)
        }
    }
}
