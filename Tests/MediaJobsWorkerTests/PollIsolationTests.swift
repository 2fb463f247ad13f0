import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsHTTP
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// The poll pool and the work pool are sized apart (issue 5): a long local transcode holds the work slots while a
/// video generation at fal is polled on its cadence and finished (downloaded, decoded, stored) by a poll slot.
@Suite("pools: a slow transcode in the work pool never delays the poll pool")
struct PollIsolationTests {
    static let http = HTTPClient(maxConcurrentTransfers: 8)

    /// The hint every simulated provider gives between polls.
    static let pollInterval = 0.2
    /// Slack on top of the cadence for a due poll to be claimed and sent on a loaded 2-core machine (the poll slot
    /// sleeps up to 0.25 s when idle). Under the whole suite the first gaps, at its busiest start, reached 3.8–4.1 s
    /// (up to 8 s while the fleet test still ran beside it) with the process's control task on time. A poll held behind
    /// the transcode would come only when the heavy work ends: 200 s and more into the test under the suite, and
    /// the video could not finish before the speech (checked above, by the order of events).
    static let margin: TimeInterval = 5

    /// A local tts job whose speech (about 4 minutes) must be resampled and encoded as 48 kHz stereo Opus.
    static func longSpeech(_ index: Int) -> JobSpec {
        let sentence = "Polling and the heavy work run in separately sized pools, so a slow transcode never starves polls. "
        var spec = JobSpec(kind: .tts, provider: "local", input: JobInput(text: "Part \(index). "
            + String(repeating: sentence, count: PollIsolationTests.sentences)))
        spec.output.format = "opus"
        spec.output.sampleRate = 48000
        spec.output.channels = 2
        spec.output.bitrateKbps = 256
        spec.deadlineSeconds = 1800
        return spec
    }

    /// The longest delay `PollCadence` picks after `polls` polls found the generation running (its jitter at most).
    static func longestDelay(afterPolls polls: Int) -> TimeInterval {
        min(max(pollInterval, PollCadence.cap(for: .video)), pollInterval * pow(1.5, Double(polls))) * 1.1
    }

    /// About 4,000 characters: flite takes 10–30 s to speak them on a loaded 2-core machine, the transcode 10–15 s more.
    static let sentences = 40

    static func seconds(_ date: Date, _ start: Date) -> String { String(format: "%.2f", date.timeIntervalSince(start)) }

    /// One work slot (the issue's case), and as many as the shared engine has threads: then the work slots can hold
    /// every media thread, and a poll slot that finishes a video would queue its validation behind them if it shared
    /// that engine.
    @Test("work slots busy with long speech: a waiting fal video keeps its poll cadence and completes meanwhile",
          arguments: Array(Set([1, MediaEngine.shared.threads])).sorted())
    func pollsKeepCadence(workSlots: Int) async throws {
        let simulator = try await Simulator.start()
        // A client of its own: in a parallel test run the shared one's transfer threads are busy with other tests'
        // downloads and stalled bodies, and a poll would wait for one (a worker process has its own).
        let home = try OrchestrationHome(simulator: simulator, pollInterval: PollIsolationTests.pollInterval,
                                         http: PollIsolationTests.http)
        defer { home.remove() }
        do {
            try await check(simulator: simulator, home: home, workSlots: workSlots)
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }

    private func check(simulator: Simulator, home: OrchestrationHome, workSlots: Int) async throws {
        // Seven polls find it queued or running: the generation ends some seconds after it is submitted.
        simulator.setSchedule(.polls(queued: 3, running: 4), for: .fal)
        var input = JobInput(prompt: "a boat at sunset")
        input.durationSeconds = 8
        var videoSpec = JobSpec(kind: .video, provider: "fal", input: input)
        videoSpec.priority = 10  // submitted first, before the transcodes take the work slots
        let video = try await home.submitter.submit(videoSpec).job.id
        var speeches: [JobID] = []
        for index in 0..<workSlots { speeches.append(try await home.submitter.submit(PollIsolationTests.longSpeech(index)).job.id) }
        let started = Date()
        // A control beside the worker: a task that wakes every 50 ms. The transcodes run on the media threads, not on
        // Swift's pool, so they never delay it; when the whole process is stalled (a loaded machine, a busy test
        // run), it is late too, and a poll may be late by as much as it was.
        let ticks = TickLog()
        let control = Task {
            while !Task.isCancelled {
                ticks.add(Date())
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        try await home.runUntilFinal([video] + speeches, concurrency: workSlots, pollSlots: 1)
        control.cancel()
        let elapsed = Date().timeIntervalSince(started)

        let videoJob = try #require(try await home.store.job(video))
        #expect(videoJob.state == .succeeded, "\(videoJob.error?.description ?? "")")
        let videoDone = try #require(videoJob.finishedAt)
        for id in speeches {
            let speech = try #require(try await home.store.job(id))
            #expect(speech.state == .succeeded, "\(speech.error?.description ?? "")")
            let events = try await home.store.events(id, after: nil)
            let claimed = try #require(events.first { $0.kind == .claimed }?.at)
            let transcode = try #require(events.first { $0.kind == .stage && $0.detail.contains("to opus") }?.at)
            let store = try #require(events.last { $0.kind == .stage }?.at)
            print("poll-isolation: \(workSlots) work slot(s): speech \(id) heavy work \(Self.seconds(claimed, started))–"
                  + "\(Self.seconds(store, started)) s (transcode from \(Self.seconds(transcode, started)) s); video done at "
                  + "\(Self.seconds(videoDone, started)) s; all done at \(String(format: "%.2f", elapsed)) s")
            // The speech held its work slot and a media thread from its claim to its last stage (synthesis,
            // decoding, resampling and encoding all run on the shared engine): the video finished inside that.
            #expect(claimed < videoDone)
            // Unless the whole process stalled meanwhile (then the media threads ran on while no task could).
            let stalled = ticks.longestStall(from: claimed, to: min(videoDone, store))
            if stalled < 1 {
                #expect(videoDone < store, "the video finished while \(id) was busy: speech \(claimed)–\(store), video done \(videoDone)")
            }
        }

        // Every poll came on its cadence: the gap after the n-th poll is at most the cadence's delay for it (with its
        // 10 % jitter) plus the margin.
        let polls = simulator.requests(.fal).filter { $0.method == "GET" && $0.path.hasSuffix("/status") }.map(\.receivedAt).sorted()
        #expect(polls.count == 8, "\(polls.count) polls")
        var gaps: [String] = []
        for (index, pair) in zip(polls, polls.dropFirst()).enumerated() {
            let gap = pair.1.timeIntervalSince(pair.0)
            let cadence = PollIsolationTests.longestDelay(afterPolls: index + 1)
            let stall = ticks.longestStall(from: pair.0, to: pair.1)
            gaps.append(String(format: "%.2f", gap) + (stall > 1 ? String(format: " (process stalled %.2f)", stall) : ""))
            #expect(gap <= cadence + PollIsolationTests.margin + stall,
                    "poll \(index + 2) came \(gap) s after poll \(index + 1); the process stalled at most \(stall) s meanwhile")
        }
        print("poll-isolation: \(workSlots) work slot(s): gaps between polls \(gaps.joined(separator: ", ")) s")
    }
}

/// When the control task woke, to tell a stalled process from a starved poll slot.
final class TickLog: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [Date] = []

    func add(_ date: Date) {
        lock.lock()
        times.append(date)
        lock.unlock()
    }

    /// The longest wait beyond its 50 ms between two wake-ups of the control that overlaps `[start, end]`.
    func longestStall(from start: Date, to end: Date) -> TimeInterval {
        lock.lock()
        defer { lock.unlock() }
        var longest: TimeInterval = 0
        for (a, b) in zip(times, times.dropFirst()) where b > start && a < end {
            longest = max(longest, b.timeIntervalSince(a) - 0.05)
        }
        return longest
    }
}
