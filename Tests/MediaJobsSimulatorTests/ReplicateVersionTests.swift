import Foundation
import MediaJobsSimulator
import Testing

@Suite("Replicate: openai/whisper run by version everywhere; Wan's length from num_frames and frames_per_second")
struct ReplicateVersionTests {
    private func decimal(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }
    private var audio: String {
        "data:audio/wav;base64," + (try! Data(contentsOf: samples.appendingPathComponent("speech.wav"))).base64EncodedString()
    }

    @Test("by bare version id and by openai/whisper:<id>: model, version, schema (initial_prompt), T4 billing, listing")
    func whisperByVersion() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            var ids: [String] = []
            for (index, version) in [Simulator.whisperVersion, "openai/whisper:" + Simulator.whisperVersion].enumerated() {
                let created = try await HTTP.json(
                    sim.url(.replicate, "/predictions"),
                    ["version": version,
                     "input": ["audio": audio, "initial_prompt": "job-\(index + 1). a weather report", "language": "en"]])
                #expect(created.status == 201, "\(created.text)")
                #expect(created.json["model"] as? String == "openai/whisper")
                #expect(created.json["version"] as? String == Simulator.whisperVersion)
                let id = try #require(created.json["id"] as? String)
                ids.append(id)
                let done = try await HTTP.get(sim.url(.replicate, "/predictions/\(id)"))
                #expect(done.json["status"] as? String == "succeeded", "\(done.text)")
                #expect(done.json["model"] as? String == "openai/whisper")
                #expect(done.json["version"] as? String == Simulator.whisperVersion)
                #expect((done.json["output"] as? [String: Any])?["transcription"] is String)
                let time = try #require((done.json["metrics"] as? [String: Any])?["predict_time"] as? Double)
                #expect(time >= 2 && time < 6, "a transcript's run time")
            }

            let bills = sim.billing(.replicate)
            #expect(bills.count == 2)
            for bill in bills {
                #expect(bill.model == "openai/whisper")
                #expect(bill.priced)
                let line = try #require(bill.lines.first)
                #expect(line.unitPrice == decimal("0.000225"), "T4")
                #expect(line.unit == "second")
                #expect(bill.usd == line.quantity * decimal("0.000225"))
            }
            #expect(try sim.billed(markedWith: "job-").keys.sorted() == [1, 2])

            // The listing carries what a look-up by version compares: version, model and the input as sent.
            let list = try await HTTP.get(sim.url(.replicate, "/predictions"))
            let results = try #require(list.json["results"] as? [[String: Any]])
            #expect(results.compactMap { $0["id"] as? String } == ids.reversed())
            for result in results {
                #expect(result["version"] as? String == Simulator.whisperVersion)
                #expect(result["model"] as? String == "openai/whisper")
                #expect((result["input"] as? [String: Any])?["audio"] as? String == audio)
                #expect(result["status"] as? String == "succeeded")
                #expect(result["created_at"] is String)
                #expect(result["metrics"] is [String: Any])
                #expect(result["logs"] == nil)
            }
        }
    }

    @Test("whisper: an unknown field is refused, initial_prompt and the documented options are taken")
    func whisperSchema() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let ok = try await HTTP.json(
                sim.url(.replicate, "/predictions"),
                ["version": Simulator.whisperVersion,
                 "input": ["audio": audio, "initial_prompt": "names: Ada", "model": "large-v3", "translate": false,
                           "temperature": 0, "condition_on_previous_text": true, "transcription": "srt"]])
            #expect(ok.status == 201, "\(ok.text)")
            let bad = try await HTTP.json(
                sim.url(.replicate, "/predictions"),
                ["version": Simulator.whisperVersion, "input": ["audio": audio, "prompt": "names: Ada"]])
            #expect(bad.status == 422)
            #expect((bad.json["invalid_fields"] as? [[String: Any]])?.first?["field"] as? String == "input.prompt")
        }
    }

    private func finished(_ sim: Simulator, model: String, input: [String: Any]) async throws -> (HTTPReply, Data) {
        let created = try await HTTP.json(sim.url(.replicate, "/models/\(model)/predictions"), ["input": input])
        #expect(created.status == 201, "\(created.text)")
        let get = try #require((created.json["urls"] as? [String: Any])?["get"] as? String)
        let done = try await HTTP.get(URL(string: get)!)
        #expect(done.json["status"] as? String == "succeeded", "\(done.text)")
        let url = try #require(done.json["output"] as? String)
        let video = try await HTTP.get(URL(string: url)!, key: nil)
        #expect(video.status == 200)
        return (done, video.body)
    }

    private func predictTime(_ reply: HTTPReply) -> Double {
        (reply.json["metrics"] as? [String: Any])?["predict_time"] as? Double ?? 0
    }

    @Test("wan t2v: 121 frames at 24 fps is 121/24 s of video at 24 fps; the default 81 at 16 is 5.0625 s")
    func wanLength() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let (long, longVideo) = try await finished(
                sim, model: "wan-video/wan-2.2-t2v-fast",
                input: ["prompt": "a lighthouse", "num_frames": 121, "frames_per_second": 24, "resolution": "480p"])
            let report = try await validateMedia(longVideo, ext: "mp4", kind: .video)
            let stream = try #require(report.info.videoStreams.first)
            #expect(abs((stream.frameRate ?? 0) - 24) < 0.01)
            #expect(report.videoFrames == 121)
            #expect(abs(report.durationSeconds - 121.0 / 24) < 0.05, "\(report.durationSeconds)")
            // 121 frames at 480p: the 81-frame 720p run time (30–45 s) × 121/81 × 0.5.
            #expect(predictTime(long) >= 22.4 && predictTime(long) < 33.7, "\(predictTime(long))")

            let (plain, plainVideo) = try await finished(sim, model: "wan-video/wan-2.2-t2v-fast", input: ["prompt": "x"])
            let plainReport = try await validateMedia(plainVideo, ext: "mp4", kind: .video)
            #expect(plainReport.videoFrames == 81)
            #expect(abs(plainReport.durationSeconds - 81.0 / 16) < 0.05, "\(plainReport.durationSeconds)")
            #expect(predictTime(plain) >= 30 && predictTime(plain) < 45)

            // 110 frames at 5 fps: 22 s, past the 1–20 s other models' videos are clamped to.
            let (_, slowVideo) = try await finished(
                sim, model: "wan-video/wan-2.2-t2v-fast",
                input: ["prompt": "x", "num_frames": 110, "frames_per_second": 5, "resolution": "480p"])
            let slow = try await validateMedia(slowVideo, ext: "mp4", kind: .video)
            #expect(abs(slow.durationSeconds - 22) < 0.25, "\(slow.durationSeconds)")

            let outOfRange = try await HTTP.json(
                sim.url(.replicate, "/models/wan-video/wan-2.2-t2v-fast/predictions"),
                ["input": ["prompt": "x", "num_frames": 80, "frames_per_second": 31]])
            #expect(outOfRange.status == 422)
            #expect((outOfRange.json["invalid_fields"] as? [[String: Any]])?.count == 2)
            let duration = try await HTTP.json(
                sim.url(.replicate, "/models/wan-video/wan-2.2-t2v-fast/predictions"),
                ["input": ["prompt": "x", "duration": 5]])
            #expect(duration.status == 422, "Wan takes no duration")
        }
    }

    @Test("wan i2v: `image` taken, interpolate_output makes 30 fps of the same length")
    func wanImageInterpolated() async throws {
        try await withSimulator(schedule: .immediate) { sim in
            let picture = try Data(contentsOf: samples.appendingPathComponent("image.png"))
            let (_, video) = try await finished(
                sim, model: "wan-video/wan-2.2-i2v-fast",
                input: ["prompt": "move", "image": "data:image/png;base64," + picture.base64EncodedString(),
                        "num_frames": 96, "frames_per_second": 12, "interpolate_output": true, "resolution": "480p"])
            let report = try await validateMedia(video, ext: "mp4", kind: .video)
            #expect(abs((report.info.videoStreams.first?.frameRate ?? 0) - 30) < 0.01)
            #expect(abs(report.durationSeconds - 8) < 0.05, "\(report.durationSeconds)")
        }
    }
}
