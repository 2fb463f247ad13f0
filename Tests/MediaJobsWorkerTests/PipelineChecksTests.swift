import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsStore
import MediaJobsWorker
import Testing

@Suite("the pipeline's media checks")
struct PipelineChecksTests {
    @Test("expectations are built from the job spec: speech length, video duration, size, rate and sound")
    func expectations() throws {
        let text = "A sentence long enough to have its length checked."
        let tts = Pipeline.providerExpectation(for: JobSpec(kind: .tts, input: JobInput(text: text, speed: 2)))
        #expect(tts.kind == .audio)
        #expect(tts.spokenCharacters == (text.count + 1) / 2)

        var input = JobInput(prompt: "a cat")
        input.durationSeconds = 5
        input.generateAudio = true
        let video = JobSpec(kind: .video, input: input, output: OutputSettings(format: "webm", height: 480, fps: 24))
        let raw = Pipeline.providerExpectation(for: video)
        #expect(raw.kind == .video && raw.durationSeconds == 5 && raw.audioTrack == true)
        #expect(raw.height == nil)
        let delivered = Pipeline.outputExpectation(for: video)
        #expect(delivered.format == "webm" && delivered.height == 480 && delivered.frameRate == 24)
    }

    @Test("a tts job's events say what was checked on the provider's output and on the delivered file")
    func checksRecorded() async throws {
        let home = try TestHome()
        defer { home.remove() }
        let spec = JobSpec(
            kind: .tts, input: JobInput(text: "MediaJobs checks every file before it calls a job done."),
            output: OutputSettings(format: "mp3"))
        let id = try await home.submitter.submit(spec).job.id
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .succeeded)
        let notes = try await home.store.events(id, after: nil).filter { $0.kind == .note }.map(\.detail)
        let provider = try #require(notes.first { $0.hasPrefix("validated provider output: ") })
        #expect(provider.contains("characters/s"))
        #expect(provider.contains("not silent"))
        let delivered = try #require(notes.first { $0.hasPrefix("validated mp3 output: ") })
        #expect(delivered.contains("format mp3 as expected"))
    }

    @Test("the media section of the home's config.json applies to the pipeline's checks")
    func configuredLimits() async throws {
        let home = try TestHome()
        defer { home.remove() }
        // A home whose configuration calls 1 s the longest acceptable media: the speech is refused.
        try Data(#"{"media": {"max_duration_s": 1}}"#.utf8).write(to: home.root.appendingPathComponent("config.json"))
        let spec = JobSpec(
            kind: .tts, input: JobInput(text: "This sentence takes longer than one second to say."),
            output: OutputSettings(format: "wav"), maxAttempts: 1)
        let id = try await home.submitter.submit(spec).job.id
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .failed)
        let notes = try await home.store.events(id, after: nil).map(\.detail)
        #expect(notes.contains { $0.contains("validation of provider output failed: media.too_large") })
    }
}
