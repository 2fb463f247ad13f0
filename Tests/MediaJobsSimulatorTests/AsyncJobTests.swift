import Foundation
import MediaJobsFFmpeg
import MediaJobsSimulator
import Testing

@Suite("Asynchronous jobs: OpenRouter video, fal queue, Replicate predictions")
struct AsyncJobTests {
    @Test("OpenRouter video: 202, pending → in_progress → completed on the poll schedule, content needs the key")
    func openRouterVideoLifecycle() async throws {
        try await withSimulator(schedule: .polls(queued: 1, running: 1)) { sim in
            let submit = try await HTTP.json(
                sim.url(.openrouter, "/videos"),
                ["model": "google/veo-3.1-lite", "prompt": "a lighthouse at dusk", "duration": 4, "resolution": "720p",
                 "aspect_ratio": "16:9"])
            #expect(submit.status == 202, "\(submit.text)")
            #expect(submit.json["status"] as? String == "pending")
            let polling = try #require(submit.json["polling_url"] as? String)
            #expect(polling.hasPrefix("http://127.0.0.1:\(sim.port)/openrouter/api/v1/videos/"))

            var states: [String] = []
            var last: [String: Any] = [:]
            for _ in 0..<3 {
                last = try await HTTP.get(URL(string: polling)!).json
                states.append(last["status"] as? String ?? "?")
            }
            #expect(states == ["pending", "in_progress", "completed"])
            #expect(((last["usage"] as? [String: Any])?["cost"] as? Double ?? 0) > 0)
            let content = try #require((last["unsigned_urls"] as? [String])?.first)
            #expect(content.hasSuffix("/content?index=0"))

            let anonymous = try await HTTP.get(URL(string: content)!, key: nil)
            #expect(anonymous.status == 401)
            let video = try await HTTP.get(URL(string: content)!)
            #expect(video.status == 200)
            #expect(video.header("Content-Type") == "video/mp4")
            let report = try await validateMedia(video.body, ext: "mp4", kind: .video)
            #expect(report.decodedFrames > 0)
            // 720p 16:9 is 1280×720, drawn at 1024×576; 4 seconds as asked.
            #expect(report.info.videoStreams.first?.width == 1024)
            #expect(report.info.videoStreams.first?.height == 576)
            #expect(abs(report.durationSeconds - 4) < 0.5, "\(report.durationSeconds)")

            let generation = try #require(last["generation_id"] as? String)
            let lookup = try await HTTP.get(sim.url(.openrouter, "/generation?id=\(generation)"))
            #expect((lookup.json["data"] as? [String: Any])?["total_cost"] as? Double == (last["usage"] as? [String: Any])?["cost"] as? Double)
        }
    }

    @Test("OpenRouter video refuses a duration the model does not support, and a job-fail fault ends it failed")
    func openRouterVideoRefusalsAndFailure() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let bad = try await HTTP.json(
                sim.url(.openrouter, "/videos"), ["model": "google/veo-3.1-lite", "prompt": "x", "duration": 7])
            #expect(bad.status == 400)
            #expect((bad.json["error"] as? [String: Any])?["code"] as? Int == 400)

            sim.inject(.jobFailure("Upstream model crashed"), provider: .openrouter, path: "/videos")
            let submit = try await HTTP.json(
                sim.url(.openrouter, "/videos"), ["model": "google/veo-3.1-lite", "prompt": "x", "duration": 4])
            let poll = try await HTTP.get(URL(string: submit.json["polling_url"] as! String)!)
            #expect(poll.json["status"] as? String == "failed")
            #expect(poll.json["error"] as? String == "Upstream model crashed")
        }
    }

    @Test("a seconds schedule moves a job by wall time, not by polls")
    func secondsSchedule() async throws {
        try await withSimulator(schedule: .seconds(queued: 0, running: 600)) { sim in
            let submit = try await HTTP.json(
                sim.url(.openrouter, "/videos"), ["model": "google/veo-3.1-lite", "prompt": "x", "duration": 4])
            let url = URL(string: submit.json["polling_url"] as! String)!
            for _ in 0..<4 {
                #expect(try await HTTP.get(url).json["status"] as? String == "in_progress")
            }
        }
    }

    @Test("fal queue: submit, IN_QUEUE → IN_PROGRESS → COMPLETED, result with a public file URL that decodes")
    func falQueueLifecycle() async throws {
        try await withSimulator(schedule: .polls(queued: 1, running: 1)) { sim in
            let submit = try await HTTP.json(
                sim.url(.fal, "/fal-ai/veo3/fast"), ["prompt": "a red kite", "duration": "8s"], key: "fal-key",
                scheme: "Key")
            #expect(submit.status == 200, "\(submit.text)")
            let statusURL = try #require(submit.json["status_url"] as? String)
            #expect(statusURL.contains("/fal/fal-ai/veo3/requests/"), "status URLs drop the subpath")
            var states: [String] = []
            var codes: [Int] = []
            for _ in 0..<3 {
                let reply = try await HTTP.get(URL(string: statusURL)!, key: "fal-key", scheme: "Key")
                states.append(reply.json["status"] as? String ?? "?")
                codes.append(reply.status)
                if reply.json["status"] as? String == "COMPLETED" {
                    #expect(((reply.json["metrics"] as? [String: Any])?["inference_time"] as? Double) != nil)
                }
            }
            #expect(states == ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"])
            #expect(codes == [202, 202, 200])
            let result = try await HTTP.get(URL(string: submit.json["response_url"] as! String)!, key: "k", scheme: "Key")
            let video = try #require(result.json["video"] as? [String: Any])
            let file = try await HTTP.get(URL(string: video["url"] as! String)!, key: nil)
            #expect(file.status == 200)
            _ = try await validateMedia(file.body, ext: "mp4", kind: .video)
        }
    }

    @Test("fal wants `Key`, not Bearer, and answers 422 with a detail list for a missing prompt")
    func falAuthAndValidation() async throws {
        try await withSimulator { sim in
            let bearer = try await HTTP.json(sim.url(.fal, "/fal-ai/flux/dev"), ["prompt": "x"], key: "k", scheme: "Bearer")
            #expect(bearer.status == 401)
            #expect(bearer.json["detail"] as? String == "Unauthorized")
            let missing = try await HTTP.json(sim.url(.fal, "/fal-ai/flux/dev"), ["seed": 1], key: "k", scheme: "Key")
            #expect(missing.status == 422)
            let detail = try #require((missing.json["detail"] as? [[String: Any]])?.first)
            #expect(detail["loc"] as? [String] == ["body", "prompt"])
        }
    }

    @Test("fal cancel: a queued request is cancelled, a finished one is ALREADY_COMPLETED")
    func falCancel() async throws {
        try await withSimulator(schedule: .polls(queued: 5, running: 5)) { sim in
            let submit = try await HTTP.json(sim.url(.fal, "/fal-ai/flux/dev"), ["prompt": "x"], key: "k", scheme: "Key")
            let cancel = URL(string: submit.json["cancel_url"] as! String)!
            let first = try await HTTP.send("PUT", cancel, headers: ["Authorization": "Key k"])
            #expect(first.status == 202)
            #expect(first.json["status"] as? String == "CANCELLATION_REQUESTED")
            let again = try await HTTP.send("PUT", cancel, headers: ["Authorization": "Key k"])
            #expect(again.status == 400)
            #expect(again.json["status"] as? String == "ALREADY_COMPLETED")
        }
    }

    @Test("fal failures as fal documents them: COMPLETED, then the result answers the stored error")
    func falFinishedFailures() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            func finish(_ fault: Fault) async throws -> HTTPReply {
                sim.inject(fault, count: 1, provider: .fal, method: "POST")
                let submit = try await HTTP.json(sim.url(.fal, "/fal-ai/flux/schnell"), ["prompt": "x"], key: "k", scheme: "Key")
                let status = try await HTTP.get(URL(string: submit.json["status_url"] as! String)!, key: "k", scheme: "Key")
                #expect(status.status == 200)
                #expect(status.json["status"] as? String == "COMPLETED", "fal has three states only: \(status.json)")
                return try await HTTP.get(URL(string: submit.json["response_url"] as! String)!, key: "k", scheme: "Key")
            }
            let failed = try await finish(.jobFailure("CUDA out of memory"))
            #expect(failed.status == 500)
            let item = try #require((failed.json["detail"] as? [[String: Any]])?.first, "\(failed.json)")
            #expect(item["msg"] as? String == "CUDA out of memory")
            #expect(item["type"] as? String == "internal_server_error")
            #expect(item["loc"] as? [String] == ["body"] && item["url"] is String)

            let canceled = try await finish(.canceledAtProvider)
            #expect(canceled.status == 499)
            #expect(canceled.json["error_type"] as? String == "client_cancelled")
            #expect(canceled.header("X-Fal-Error-Type") == "client_cancelled")
            #expect(canceled.json["detail"] is String)

            let expired = try await finish(.resultExpired)
            #expect(expired.status == 410)
            #expect(expired.json["detail"] is String)
            // The expired one finished, so fal billed it; the failed and the cancelled ones bill nothing.
            #expect(sim.billing().count == 1)
        }
    }

    @Test("fal image and whisper models: images with sizes, a real transcript of a data: URI")
    func falImageAndTranscript() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let image = try await HTTP.json(
                sim.url(.fal, "/fal-ai/flux/dev"), ["prompt": "x", "image_size": ["width": 640, "height": 480]],
                key: "k", scheme: "Key")
            _ = try await HTTP.get(URL(string: image.json["status_url"] as! String)!, key: "k", scheme: "Key")
            let result = try await HTTP.get(URL(string: image.json["response_url"] as! String)!, key: "k", scheme: "Key")
            let first = try #require((result.json["images"] as? [[String: Any]])?.first)
            // fal's image models answer JPEG unless asked for `output_format: png`.
            #expect(first["content_type"] as? String == "image/jpeg")
            let jpeg = try await HTTP.get(URL(string: first["url"] as! String)!, key: nil)
            let picture = try await validateMedia(jpeg.body, ext: "jpg", kind: .image)
            #expect(picture.info.videoStreams.first?.width == 640)
            #expect(picture.info.videoStreams.first?.height == 480)

            let audio = try Data(contentsOf: samples.appendingPathComponent("speech.wav"))
            let whisper = try await HTTP.json(
                sim.url(.fal, "/fal-ai/whisper"), ["audio_url": "data:audio/wav;base64," + audio.base64EncodedString()],
                key: "k", scheme: "Key")
            _ = try await HTTP.get(URL(string: whisper.json["status_url"] as! String)!, key: "k", scheme: "Key")
            let text = try await HTTP.get(URL(string: whisper.json["response_url"] as! String)!, key: "k", scheme: "Key")
            #expect((text.json["text"] as? String ?? "").split(separator: " ").count >= 3, "\(text.text)")
        }
    }

    @Test("Replicate: create 201, starting → processing → succeeded, metrics.predict_time, output URL decodes")
    func replicateLifecycle() async throws {
        try await withSimulator(schedule: .polls(queued: 1, running: 1)) { sim in
            let create = try await HTTP.json(
                sim.url(.replicate, "/models/black-forest-labs/flux-schnell/predictions"), ["input": ["prompt": "a fox"]])
            #expect(create.status == 201, "\(create.text)")
            #expect(create.json["status"] as? String == "starting")
            let get = try #require((create.json["urls"] as? [String: Any])?["get"] as? String)
            var states: [String] = []
            var last: [String: Any] = [:]
            for _ in 0..<3 {
                last = try await HTTP.get(URL(string: get)!).json
                states.append(last["status"] as? String ?? "?")
            }
            #expect(states == ["starting", "processing", "succeeded"])
            #expect(((last["metrics"] as? [String: Any])?["predict_time"] as? Double ?? 0) > 0)
            let url = try #require((last["output"] as? [String])?.first)
            // Flux on Replicate answers WebP unless asked otherwise.
            #expect(url.hasSuffix(".webp"), "\(url)")
            let webp = try await HTTP.get(URL(string: url)!, key: nil)
            _ = try await validateMedia(webp.body, ext: "webp", kind: .image)
        }
    }

    @Test("Replicate Prefer: wait holds until a seconds-scheduled prediction succeeds; cancel ends a slow one")
    func replicateWaitAndCancel() async throws {
        try await withSimulator(schedule: .seconds(queued: 0, running: 0.2)) { sim in
            let create = try await HTTP.json(
                sim.url(.replicate, "/predictions"),
                ["version": "minimax/video-01", "input": ["prompt": "waves", "duration": 6]], headers: ["Prefer": "wait=10"])
            #expect(create.status == 201)
            #expect(create.json["status"] as? String == "succeeded")
            let output = try #require(create.json["output"] as? String)
            let video = try await HTTP.get(URL(string: output)!, key: nil)
            let report = try await validateMedia(video.body, ext: "mp4", kind: .video)
            #expect(abs(report.durationSeconds - 6) < 0.5, "\(report.durationSeconds)")

            sim.setSchedule(.seconds(queued: 0, running: 600), for: .replicate)
            let slow = try await HTTP.json(
                sim.url(.replicate, "/predictions"), ["version": "minimax/video-01", "input": ["prompt": "x"]])
            let cancelURL = URL(string: (slow.json["urls"] as! [String: Any])["cancel"] as! String)!
            let canceled = try await HTTP.send("POST", cancelURL, headers: ["Authorization": "Bearer r8"])
            #expect(canceled.json["status"] as? String == "canceled")
        }
    }

    @Test("Replicate without a token answers 401 problem details; missing input answers 422")
    func replicateErrors() async throws {
        try await withSimulator { sim in
            let anonymous = try await HTTP.json(sim.url(.replicate, "/predictions"), ["version": "a/b", "input": [String: Any]()], key: nil)
            #expect(anonymous.status == 401)
            #expect(anonymous.json["title"] as? String == "Unauthenticated")
            let invalid = try await HTTP.json(sim.url(.replicate, "/predictions"), ["version": "a/b"])
            #expect(invalid.status == 422)
            #expect(invalid.json["status"] as? Int == 422)
        }
    }
}
