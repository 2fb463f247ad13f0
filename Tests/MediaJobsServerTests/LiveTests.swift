import Foundation
import MediaJobsCore
@testable import MediaJobsServer
import MediaJobsStore
import Testing

@Suite("live events and clients that walk away", .serialized)
struct LiveTests {
    @Test("a job's events come as a JSON list, and as Server-Sent Events ending with `end` once the job is final")
    func eventsListAndStream() async throws {
        try await withServer { server in
            let created = try await server.client.postJSON("/v1/jobs", ["kind": "tts", "provider": "local", "input": ["text": "Stream me."]])
            let id = try #require(created.object["id"] as? String)
            let raw = try await server.client.hangUp(after: "event: end", limit: 1 << 20, "/v1/jobs/\(id)/events",
                                                     headers: ["Accept": "text/event-stream"])
            let text = String(decoding: raw, as: UTF8.self)
            #expect(text.contains("content-type: text/event-stream") || text.contains("Content-Type: text/event-stream"))
            #expect(text.contains("event: job_event"))
            #expect(text.contains("\"kind\":\"submitted\""))
            #expect(text.contains("\"kind\":\"succeeded\""))
            #expect(text.contains("event: end"))

            let list = try await server.client.get("/v1/jobs/\(id)/events")
            #expect(list.status == 200)
            let events = try #require(list.json as? [[String: Any]])
            #expect(events.first?["kind"] as? String == "submitted")
            #expect(events.last?["kind"] as? String == "succeeded")
            #expect(events.map { $0["id"] as? Int ?? 0 } == events.map { $0["id"] as? Int ?? 0 }.sorted())

            // Resuming after the last seen event sends only what came after it.
            let lastID = events[events.count - 2]["id"] as? Int ?? 0
            let resumed = try await server.client.hangUp(after: "event: end", limit: 1 << 20, "/v1/jobs/\(id)/events",
                                                         headers: ["Accept": "text/event-stream", "Last-Event-ID": "\(lastID)"])
            let resumedText = String(decoding: resumed, as: UTF8.self)
            #expect(!resumedText.contains("\"kind\":\"submitted\""))
            #expect(resumedText.contains("\"kind\":\"succeeded\""))
        }
    }

    @Test("the jobs stream sends each change of a job that passes the filter")
    func jobsStream() async throws {
        try await withServer(workers: 0) { server in
            async let streamed = server.client.hangUp(after: "\"state\":\"canceled\"", limit: 1 << 20, "/v1/jobs?kind=tts",
                                                      headers: ["Accept": "text/event-stream"])
            try await Task.sleep(for: .milliseconds(500))
            let created = try await server.client.postJSON("/v1/jobs", ["kind": "tts", "provider": "local", "input": ["text": "Watch me."]])
            let id = try #require(created.object["id"] as? String)
            _ = try await server.client.send("POST", "/v1/jobs/\(id)/cancel")
            let text = String(decoding: try await streamed, as: UTF8.self)
            #expect(text.contains("event: job"))
            #expect(text.contains("\"id\":\"\(id)\""))
            #expect(text.contains("\"state\":\"canceled\""))
        }
    }

    @Test("clients that hang up mid-SSE and mid-download leave the server healthy and release their streams")
    func disconnects() async throws {
        try await withServer(workers: 0) { server in
            // A job that never runs (no workers): its event stream stays open until the client leaves.
            let created = try await server.client.postJSON("/v1/jobs", ["kind": "tts", "provider": "local", "input": ["text": "Wait."]])
            let id = try #require(created.object["id"] as? String)
            // A 4 MiB artifact, so a download is still being written when the client leaves.
            var big = Data(count: 4 << 20)
            for i in stride(from: 0, to: big.count, by: 4096) { big[i] = UInt8(truncatingIfNeeded: i / 4096) }
            let stored = try server.artifacts.put(data: big)
            try await server.store.recordArtifact(
                ArtifactRef(sha256: stored.sha256, mime: "audio/wav", bytes: stored.bytes, format: "wav", role: .output),
                job: nil, now: Date())
            let baseline = await server.server.feed.subscriberCount

            try await withThrowingTaskGroup(of: Void.self) { group in
                for round in 0..<10 {
                    group.addTask {
                        let raw = try await server.client.hangUp(after: "event: job_event", limit: 1 << 20, "/v1/jobs/\(id)/events",
                                                                 headers: ["Accept": "text/event-stream"])
                        #expect(String(decoding: raw, as: UTF8.self).contains("event: job_event"))
                    }
                    group.addTask {
                        _ = try await server.client.hangUp(after: "keep-alive", limit: 1 << 20, "/v1/jobs",
                                                           headers: ["Accept": "text/event-stream"])
                    }
                    group.addTask {
                        let raw = try await server.client.hangUp(after: nil, limit: 64 * 1024 + round, "/v1/artifacts/\(stored.sha256)")
                        #expect(raw.count >= 64 * 1024)
                    }
                }
                try await group.waitForAll()
            }

            let health = try await server.client.get("/healthz")
            #expect(health.status == 200)
            let whole = try await server.client.get("/v1/artifacts/\(stored.sha256)")
            #expect(whole.body == big)
            let job = try await server.client.get("/v1/jobs/\(id)")
            #expect(job.status == 200)

            // The streams of the clients that left are let go (found at their next write).
            var subscribers = await server.server.feed.subscriberCount
            let deadline = Date().addingTimeInterval(30)
            while subscribers > baseline && Date() < deadline {
                try await Task.sleep(for: .milliseconds(200))
                subscribers = await server.server.feed.subscriberCount
            }
            #expect(subscribers == baseline)
        }
    }
}
