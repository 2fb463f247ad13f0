import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import Testing

@Suite("the local provider")
struct LocalProviderTests {
    let registry = ProviderRegistry.standard(engine: MediaEngine.shared)

    private func workDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("local-provider-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("defaults: flite for tts, pocketsphinx for transcription, nothing for images")
    func defaults() throws {
        let tts = try registry.resolve(Route(provider: "local"), for: JobSpec(kind: .tts, input: JobInput(text: "hi")))
        #expect(tts.model == "flite")
        let asr = try registry.resolve(Route(provider: "local"), for: JobSpec(kind: .transcribe, input: JobInput(audio: "a.wav")))
        #expect(asr.model == "pocketsphinx")
        #expect(throws: MediaJobsError.self) {
            try registry.resolve(Route(provider: "local"), for: JobSpec(kind: .image, input: JobInput(prompt: "a cat")))
        }
    }

    @Test("an unknown voice, model or provider is refused before anything runs, by name")
    func refusals() {
        func message(_ spec: JobSpec) -> String? {
            do { try registry.check(spec); return nil } catch let e as MediaJobsError { return e.message } catch { return "\(error)" }
        }
        #expect(message(JobSpec(kind: .tts, input: JobInput(text: "hi", voice: "alloy")))?.hasPrefix("input.voice: 'alloy'") == true)
        #expect(message(JobSpec(kind: .tts, model: "tts-1", input: JobInput(text: "hi")))?.hasPrefix("model:") == true)
        #expect(message(JobSpec(kind: .tts, provider: "acme", input: JobInput(text: "hi")))?
            .hasPrefix("provider: unknown provider 'acme'") == true)
        #expect(message(JobSpec(kind: .tts, fallbacks: [Route(provider: "nope")], input: JobInput(text: "hi")))?
            .hasPrefix("fallbacks[0]:") == true)
    }

    @Test("speech comes back as a WAV file billed by characters at no cost")
    func speech() async throws {
        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = JobSpec(kind: .tts, input: JobInput(text: "Hello from the local voice."))
        let (provider, model) = try registry.resolve(Route(provider: "local"), for: spec)
        let request = ProviderRequest(jobID: .generate(), attempt: 1, spec: spec, model: model, audioFile: nil,
                                      workDirectory: directory)
        guard case .done(let result) = try await provider.start(request) else {
            Issue.record("local answered later")
            return
        }
        #expect(result.units == ["characters": 27])
        #expect(result.reportedUSD == nil && result.estimate?.usd == .zero)
        let file = try #require(result.files.first)
        let info = try await MediaEngine.shared.probe(file.url)
        #expect(info.streams.first?.type == "audio")
        #expect((info.durationSeconds ?? 0) > 1)
    }
}
