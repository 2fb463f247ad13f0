import Foundation
import MediaJobsCore
@testable import MediaJobsServer
import MediaJobsStore
import MediaJobsWorker
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func sample(_ name: String) -> URL {
    packageRoot.appendingPathComponent("Samples").appendingPathComponent(name)
}

@Suite("the job API over loopback HTTP", .serialized)
struct JobAPITests {
    @Test("a tts job posted as JSON runs on the served worker; its artifact downloads whole, in ranges and by ETag")
    func ttsJobAndArtifact() async throws {
        try await withServer { server in
            let created = try await server.client.postJSON("/v1/jobs", [
                "kind": "tts", "provider": "local", "input": ["text": "Hello from the API."], "output": ["format": "mp3"],
            ])
            #expect(created.status == 201)
            #expect(created.header("content-type") == "application/json")
            let id = try #require(created.object["id"] as? String)
            #expect(created.header("location") == "/v1/jobs/\(id)")
            #expect(created.object["state"] as? String == "queued")

            let job = try await server.waitUntilFinal(id)
            #expect(job["state"] as? String == "succeeded")
            let events = try #require(job["events"] as? [[String: Any]])
            #expect(events.contains { $0["kind"] as? String == "succeeded" })
            let artifact = try #require((job["artifacts"] as? [[String: Any]])?.first)
            let sha = try #require(artifact["sha256"] as? String)
            let stored = try Data(contentsOf: try server.artifacts.url(for: sha))

            let whole = try await server.client.get("/v1/artifacts/\(sha)")
            #expect(whole.status == 200)
            #expect(whole.header("content-type") == "audio/mpeg")
            #expect(whole.header("etag") == "\"\(sha)\"")
            #expect(whole.header("accept-ranges") == "bytes")
            #expect(whole.body == stored)

            let part = try await server.client.get("/v1/artifacts/\(sha)", headers: ["Range": "bytes=10-109"])
            #expect(part.status == 206)
            #expect(part.header("content-range") == "bytes 10-109/\(stored.count)")
            #expect(part.body == stored[10..<110])

            let tail = try await server.client.get("/v1/artifacts/\(sha)", headers: ["Range": "bytes=-50"])
            #expect(tail.status == 206)
            #expect(tail.body == stored.suffix(50))

            let beyond = try await server.client.get("/v1/artifacts/\(sha)", headers: ["Range": "bytes=\(stored.count)-"])
            #expect(beyond.status == 416)
            #expect(beyond.header("content-range") == "bytes */\(stored.count)")

            let cached = try await server.client.get("/v1/artifacts/\(sha)", headers: ["If-None-Match": "\"\(sha)\""])
            #expect(cached.status == 304)
            #expect(cached.body.isEmpty)
        }
    }

    @Test("GET /v1/jobs/{id} answers the JSON of `mediajobs status --json` (JobView with events)")
    func sameJSONAsStatus() async throws {
        try await withServer(workers: 0) { server in
            let created = try await server.client.postJSON("/v1/jobs", ["kind": "tts", "provider": "local", "input": ["text": "Same shape."]])
            let id = try #require(created.object["id"] as? String)
            let answer = try await server.client.get("/v1/jobs/\(id)")
            #expect(answer.status == 200)
            let job = try #require(try await server.store.job(JobID(rawValue: id)))
            let view = try await JobView.load(job, store: server.store, artifacts: server.artifacts, withEvents: true)
            let expected = try JSONSerialization.jsonObject(with: try JobView.makeEncoder().encode(view)) as? NSDictionary
            #expect((answer.json as? NSDictionary) == expected)
        }
    }

    @Test("the same idempotency_key again answers 200 with the existing job, not a new one")
    func idempotentSubmit() async throws {
        try await withServer(workers: 0) { server in
            let body: [String: Any] = ["kind": "tts", "provider": "local", "input": ["text": "Once."], "idempotency_key": "intro-1"]
            let first = try await server.client.postJSON("/v1/jobs", body)
            let second = try await server.client.postJSON("/v1/jobs", body)
            #expect(first.status == 201)
            #expect(second.status == 200)
            #expect(first.object["id"] as? String == second.object["id"] as? String)
            #expect(try await server.store.countsByState()[.queued] == 1)
        }
    }

    @Test("bad requests get {error: {code, message}} naming the field, with the right status")
    func errors() async throws {
        try await withServer(workers: 0) { server in
            func error(_ response: HTTPClient.Response) -> (String, String) {
                let detail = response.object["error"] as? [String: Any] ?? [:]
                return (detail["code"] as? String ?? "", detail["message"] as? String ?? "")
            }
            let notJSON = try await server.client.send("POST", "/v1/jobs", headers: ["Content-Type": "application/json"], body: Data("{nope".utf8))
            #expect(notJSON.status == 400)
            #expect(error(notJSON).0 == "input.invalid_json")

            let noText = try await server.client.postJSON("/v1/jobs", ["kind": "tts", "provider": "local", "input": [:]])
            #expect(noText.status == 400)
            #expect(error(noText).0 == "input.invalid")
            #expect(error(noText).1.contains("input.text"))

            let badFormat = try await server.client.postJSON("/v1/jobs", ["kind": "tts", "input": ["text": "x"], "output": ["format": "png"]])
            #expect(badFormat.status == 400)
            #expect(error(badFormat).1.contains("output.format"))

            let huge = try await server.client.postJSON("/v1/jobs", ["kind": "tts", "input": ["text": String(repeating: "a", count: 70_000)]])
            #expect(huge.status == 413)
            #expect(error(huge).0 == "http.body_too_large")

            let missing = try await server.client.get("/v1/jobs/01JAAAAAAAAAAAAAAAAAAAAAAA")
            #expect([400, 404].contains(missing.status))
            #expect(!error(missing).0.isEmpty)

            let nowhere = try await server.client.get("/v1/nowhere")
            #expect(nowhere.status == 404)
            #expect(error(nowhere).0 == "http.not_found")

            let emptyState = try await server.client.get("/v1/jobs?state=")
            #expect(emptyState.status == 400)

            let wrongMethod = try await server.client.send("DELETE", "/v1/jobs/01JAAAAAAAAAAAAAAAAAAAAAAA")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("allow") == "GET")
            #expect(error(wrongMethod).0 == "http.method_not_allowed")

            let badState = try await server.client.get("/v1/jobs?state=finished")
            #expect(badState.status == 400)
            #expect(error(badState).1.hasPrefix("state:"))
        }
    }

    @Test("input paths in HTTP job bodies are refused unless under an input folder; uploads and folder files are accepted")
    func inputPaths() async throws {
        try await withServer(workers: 0) { server in
            let outside = try await server.client.postJSON("/v1/jobs", ["kind": "transcribe", "provider": "local", "input": ["audio": "/etc/passwd"]])
            #expect(outside.status == 400)
            let message = (outside.object["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.hasPrefix("input.audio:"))

            let relative = try await server.client.postJSON("/v1/jobs", ["kind": "tts", "provider": "local", "input": ["text_file": "notes.txt"]])
            #expect(relative.status == 400)

            let escape = server.inputs.appendingPathComponent("../../../etc/passwd").path
            let dotted = try await server.client.postJSON("/v1/jobs", ["kind": "transcribe", "provider": "local", "input": ["audio": escape]])
            #expect(dotted.status == 400)

            let link = server.inputs.appendingPathComponent("sneaky.wav")
            try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "/etc/passwd")
            let linked = try await server.client.postJSON("/v1/jobs", ["kind": "transcribe", "provider": "local", "input": ["audio": link.path]])
            #expect(linked.status == 400)

            let inside = server.inputs.appendingPathComponent("speech.wav")
            try FileManager.default.copyItem(at: sample("speech.wav"), to: inside)
            let accepted = try await server.client.postJSON("/v1/jobs", ["kind": "transcribe", "provider": "local", "input": ["audio": inside.path]])
            #expect(accepted.status == 201)
            #expect((accepted.object["inputs"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test("a multipart upload of a recording makes a transcribe job that succeeds")
    func multipartUpload() async throws {
        try await withServer { server in
            let boundary = "mediajobs-test-\(UUID().uuidString)"
            var body = Data()
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"spec\"\r\nContent-Type: application/json\r\n\r\n".utf8))
            body.append(Data(#"{"kind": "transcribe", "provider": "local", "output": {"format": "txt"}}"#.utf8))
            body.append(Data("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"speech.wav\"\r\nContent-Type: audio/wav\r\n\r\n".utf8))
            body.append(try Data(contentsOf: sample("speech.wav")))
            body.append(Data("\r\n--\(boundary)--\r\n".utf8))
            let created = try await server.client.send("POST", "/v1/jobs", headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"], body: body)
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.object["id"] as? String)
            let job = try await server.waitUntilFinal(id)
            #expect(job["state"] as? String == "succeeded")
            let sha = try #require((job["artifacts"] as? [[String: Any]])?.first?["sha256"] as? String)
            let transcript = try await server.client.get("/v1/artifacts/\(sha)")
            #expect(transcript.header("content-type")?.hasPrefix("text/plain") == true)
            #expect(!transcript.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            // The uploaded temp file is gone; only the stored input remains.
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: server.artifacts.temporaryDirectory.path)
            #expect(leftovers.isEmpty)
        }
    }

    @Test("artifact ids that are not 64 hexadecimal characters are refused; an unknown one is 404")
    func artifactIDs() async throws {
        try await withServer(workers: 0) { server in
            for bad in ["..%2F..%2Fetc%2Fpasswd", "abc", String(repeating: "g", count: 64), String(repeating: "a", count: 65)] {
                let answer = try await server.client.get("/v1/artifacts/\(bad)")
                #expect(answer.status == 400, "\(bad)")
                #expect((answer.object["error"] as? [String: Any])?["code"] as? String == "input.invalid")
            }
            let unknown = try await server.client.get("/v1/artifacts/\(String(repeating: "ab", count: 32))")
            #expect(unknown.status == 404)
            #expect((unknown.object["error"] as? [String: Any])?["code"] as? String == "artifact.not_found")
        }
    }

    @Test("the job list filters by state, kind and label and pages with a cursor")
    func listAndPaginate() async throws {
        try await withServer(workers: 0) { server in
            var ids: [String] = []
            for i in 0..<5 {
                let answer = try await server.client.postJSON("/v1/jobs", [
                    "kind": "tts", "provider": "local", "input": ["text": "job \(i)"], "labels": ["project": i % 2 == 0 ? "even" : "odd"],
                ])
                ids.append(try #require(answer.object["id"] as? String))
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await server.client.get("/v1/jobs?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(page.status == 200)
                seen += (page.object["jobs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page.object["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == ids.reversed())

            let even = try await server.client.get("/v1/jobs?label=project:even")
            #expect((even.object["jobs"] as? [[String: Any]])?.count == 3)
            let queuedTTS = try await server.client.get("/v1/jobs?state=queued,running&kind=tts")
            #expect((queuedTTS.object["jobs"] as? [[String: Any]])?.count == 5)
            let transcribe = try await server.client.get("/v1/jobs?kind=transcribe")
            #expect((transcribe.object["jobs"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    @Test("cancel ends a queued job, a second cancel is a 409, retry queues it again")
    func cancelAndRetry() async throws {
        try await withServer(workers: 0) { server in
            let created = try await server.client.postJSON("/v1/jobs", ["kind": "tts", "provider": "local", "input": ["text": "Stop me."]])
            let id = try #require(created.object["id"] as? String)
            let canceled = try await server.client.send("POST", "/v1/jobs/\(id)/cancel")
            #expect(canceled.status == 200)
            #expect(canceled.object["state"] as? String == "canceled")
            let again = try await server.client.send("POST", "/v1/jobs/\(id)/cancel")
            #expect(again.status == 409)
            #expect((again.object["error"] as? [String: Any])?["code"] as? String == "job.invalid_transition")
            let retried = try await server.client.send("POST", "/v1/jobs/\(id)/retry")
            #expect(retried.status == 200)
            #expect(retried.object["state"] as? String == "queued")
        }
    }
}
