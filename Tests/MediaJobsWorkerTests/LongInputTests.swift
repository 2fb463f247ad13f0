import Foundation
import Logging
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker
import Testing

/// The built-in catalog with one model's limits changed: how a test scales a long input down.
private func catalog(_ provider: String, _ model: String, _ change: (inout ModelLimits) -> Void) -> ModelCatalog {
    var catalog = ModelCatalog.builtIn
    let index = catalog.models.firstIndex { $0.provider == provider && $0.id == model }!
    change(&catalog.models[index].limits)
    return catalog
}

/// A home with the local provider on `catalog`'s limits.
private struct LocalLimitsHome {
    let root: URL
    let store: SQLiteJobStore
    let artifacts: ArtifactStore
    let providers: ProviderRegistry

    init(catalog: ModelCatalog) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("long-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        store = try SQLiteJobStore(path: root.appendingPathComponent("mediajobs.sqlite").path)
        artifacts = try ArtifactStore(root: root.appendingPathComponent("artifacts"))
        providers = ProviderRegistry([LocalProvider(engine: .shared, catalog: catalog)])
    }

    var pipeline: Pipeline { Pipeline(store: store, artifacts: artifacts, engine: .shared, providers: providers) }
    var submitter: Submitter { Submitter(store: store, artifacts: artifacts, engine: .shared, providers: providers) }

    /// Runs a worker of two slots (parts side by side) until `id` ends.
    func runUntilFinal(_ id: JobID) async throws -> Job {
        let store = self.store
        let worker = Worker(store: store, pipeline: pipeline,
                            configuration: WorkerConfiguration(id: "parts-worker", concurrency: 2, leaseDuration: 60),
                            logger: Logger(label: "test"))
        try await worker.run(until: { (try? await store.job(id))?.state.isFinal ?? true })
        return try #require(try await store.job(id))
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// Sentences of a script long enough to be split (each a little over 60 characters).
private func script(_ count: Int, last: String? = nil) -> String {
    var sentences = (1...count).map { "Sentence \($0) of the script is read in a calm and steady voice." }
    if let last { sentences[count - 1] = last }
    return stride(from: 0, to: count, by: 3).map { sentences[$0..<min(count, $0 + 3)].joined(separator: " ") }
        .joined(separator: "\n\n")
}

/// Word error rate of `heard` against `said`: edit distance over words, divided by the words said.
func wordErrorRate(_ heard: String, _ said: String) -> Double {
    func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
    }
    let (a, b) = (words(said), words(heard))
    guard !a.isEmpty else { return b.isEmpty ? 0 : 1 }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in stride(from: 1, through: b.count, by: 1) {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return Double(previous[b.count]) / Double(a.count)
}

@Suite("long inputs: split into parts that fit, run side by side, put back together")
struct LongInputTests {
    /// The job's cost (its parts') against the simulator's bills: within 2 % (the ledger's estimate prices measured
    /// seconds, as CatalogLedgerTests allows), and never a bill left out.
    static func expectLedgerMatchesBilling(_ recorded: Money, _ simulator: Simulator) {
        let billed = simulator.totalBilled
        let bills: [BillingEntry] = simulator.billing()
        let unpriced = bills.filter { !$0.priced }
        #expect(billed > 0)
        #expect(unpriced.isEmpty, "the simulator has no price: \(unpriced)")
        let gap = abs(NSDecimalNumber(decimal: recorded.decimal - billed).doubleValue)
        let allowed = 0.02 * NSDecimalNumber(decimal: billed).doubleValue
        #expect(gap <= allowed, "ledger \(recorded.decimal), billed \(billed) (\(bills))")
    }

    @Test("a text over the route's characters is spoken in parts and joined into one file with pauses; each part costs once, and an edit at the end makes only the last part again")
    func longSpeech() async throws {
        let home = try LocalLimitsHome(catalog: catalog("local", "flite") { $0.maxCharacters = 200 })
        defer { home.remove() }
        let text = script(9)
        var spec = JobSpec(kind: .tts, input: JobInput(text: text), output: OutputSettings(format: "mp3"))
        let id = try await home.submitter.submit(spec).job.id
        let job = try await home.runUntilFinal(id)
        #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
        let parts = try await home.store.parts(of: id)
        #expect(parts.count >= 3)
        #expect(parts.allSatisfy { $0.state == .succeeded && $0.parentID == id && $0.attempts == 1 })
        // The parts say the script's words in order, none cut, each part within the limit.
        let texts = parts.map { $0.spec.input.text ?? "" }
        #expect(texts.allSatisfy { $0.unicodeScalars.count <= 200 })
        #expect(texts.flatMap { $0.split(whereSeparator: \.isWhitespace) } == text.split(whereSeparator: \.isWhitespace))

        // One mp3, as long as its parts plus the pauses between them.
        let output = try #require(try await home.store.artifacts(id).first { $0.role == .output })
        #expect(output.format == "mp3")
        let file = try home.artifacts.url(for: output.sha256)
        let info = try await MediaEngine.shared.probe(file)
        #expect(info.audioStreams.first?.codec == "mp3")
        var partSeconds = 0.0
        for part in parts {
            let wav = try #require(try await home.store.artifacts(part.id).first { $0.role == .output })
            partSeconds += try #require(try await MediaEngine.shared.probe(try home.artifacts.url(for: wav.sha256)).durationSeconds)
        }
        let expected = partSeconds + PartsPlan.pauseSeconds * Double(parts.count - 1)
        let measured = try #require(output.durationSeconds)
        #expect(abs(measured - expected) / expected < 0.02, "\(measured) s joined, \(expected) s of parts and pauses")

        // Status: the parts' progress, and the job's cost is its parts', each once.
        let view = try await JobView.load(job, store: home.store, artifacts: home.artifacts, withEvents: false)
        #expect(view.parts?.total == parts.count)
        #expect(view.parts?.succeeded == parts.count)
        #expect(view.parts?.jobs == parts.map(\.id))
        #expect(view.cost.records.count == parts.count)
        #expect(Set(view.cost.records.compactMap(\.part)) == Set(parts.map(\.id)))
        #expect(view.cost.usd == .zero)
        let partView = try await JobView.load(parts[0], store: home.store, artifacts: home.artifacts, withEvents: false)
        #expect(partView.parentID == id)
        #expect(partView.parts == nil)

        // The same script with its last sentence changed: the parts before it come from the cache.
        spec.input.text = script(9, last: "The very last sentence is a new one, said only in the second take.")
        let editedID = try await home.submitter.submit(spec).job.id
        let edited = try await home.runUntilFinal(editedID)
        #expect(edited.state == .succeeded, "\(edited.error?.description ?? "")")
        let editedParts = try await home.store.parts(of: editedID)
        #expect(editedParts.count == parts.count)
        #expect(editedParts.dropLast().allSatisfy { $0.routeUsed?.cacheHitOf != nil })
        #expect(editedParts.last?.routeUsed?.cacheHitOf == nil)
        #expect(editedParts.last?.routeUsed?.provider == "local")
    }

    @Test("a recording over the route's seconds is cut at silences, transcribed in parts by the simulator's OpenAI with every upload within the limit, and merged into one SRT")
    func longTranscriptionThroughOpenAI() async throws {
        let limited = catalog("openai", "whisper-1") { $0.maxAudioSeconds = 25 }
        try await withSimulator(catalog: limited) { simulator, home in
            simulator.setRecognition(false)
            // About 70 s of speech with a pause between paragraphs.
            let recording = home.root.appendingPathComponent("long.wav")
            try await MediaEngine.shared.synthesizeSpeech(text: script(15), voice: "slt", to: recording)
            let seconds = try #require(try await MediaEngine.shared.probe(recording).durationSeconds)
            #expect(seconds > 40)
            let spec = JobSpec(kind: .transcribe, provider: "openai", model: "whisper-1",
                               input: JobInput(audio: recording.path), output: OutputSettings(format: "srt"))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let parts = try await home.store.parts(of: id)
            #expect(parts.count >= 3)
            #expect(parts.allSatisfy { $0.state == .succeeded })

            // Each part was one upload of at most 25 s.
            let sent = simulator.requests(.openai, path: "/audio/transcriptions")
            #expect(sent.count == parts.count)
            for request in sent {
                let upload = try #require(request.uploads.first)
                let file = home.root.appendingPathComponent("upload-\(UUID().uuidString).ogg")
                try upload.data.write(to: file)
                let duration = try #require(try await MediaEngine.shared.probe(file).durationSeconds)
                #expect(duration <= 25.05, "an upload of \(duration) s")
            }

            // One SRT: cues 1…n, strictly increasing and not overlapping, reaching to within 2 s of the end.
            let srt = try await home.outputText(id)
            let cues = srt.components(separatedBy: "\n\n").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
            #expect(cues.count >= 10)
            var times: [(Double, Double)] = []
            for (index, cue) in cues.enumerated() {
                let lines = cue.split(separator: "\n")
                #expect(Int(lines[0]) == index + 1)
                let span = lines[1].components(separatedBy: " --> ").map(srtSeconds)
                times.append((span[0], span[1]))
            }
            for (previous, next) in zip(times, times.dropFirst()) {
                #expect(next.0 > previous.0)
                #expect(next.0 >= previous.1)
            }
            #expect(seconds - (times.last?.1 ?? 0) < 2, "the last cue ends at \(times.last?.1 ?? 0) of \(seconds) s")

            // Each part was billed once, and the job's cost is theirs.
            let costs = try await home.store.costs(id)
            #expect(costs.isEmpty)
            for part in parts { #expect(try await home.store.costs(part.id).count == 1) }
            let view = try await JobView.load(job, store: home.store, artifacts: home.artifacts, withEvents: false)
            #expect(view.cost.records.count == parts.count)
            #expect(view.cost.usd != nil && view.cost.usd! > .zero)
            // The ledger is what the provider billed, part by part: nothing bought twice, nothing left out.
            Self.expectLedgerMatchesBilling(try #require(view.cost.usd), simulator)
        }
    }

    @Test("parts transcribed by pocketsphinx and merged hear the words at least as well as the same parts read one by one, and close to one pass")
    func mergedWordsMatchOnePass() async throws {
        let home = try LocalLimitsHome(catalog: catalog("local", "pocketsphinx") { $0.maxAudioSeconds = 25 })
        let whole = try LocalLimitsHome(catalog: .builtIn)
        defer { home.remove(); whole.remove() }
        let text = script(9)
        let recording = home.root.appendingPathComponent("speech.wav")
        try await MediaEngine.shared.synthesizeSpeech(text: text, voice: "slt", to: recording)
        let spec = JobSpec(kind: .transcribe, input: JobInput(audio: recording.path), output: OutputSettings(format: "txt"))
        let split = try await home.runUntilFinal(try await home.submitter.submit(spec).job.id)
        let onePass = try await whole.runUntilFinal(try await whole.submitter.submit(spec).job.id)
        #expect(split.state == .succeeded && onePass.state == .succeeded)
        let parts = try await home.store.parts(of: split.id)
        #expect(parts.count >= 2)
        #expect(try await whole.store.parts(of: onePass.id).isEmpty)
        func output(_ home: LocalLimitsHome, _ id: JobID) async throws -> String {
            let output = try #require(try await home.store.artifacts(id).first { $0.role == .output })
            return try String(contentsOf: try home.artifacts.url(for: output.sha256), encoding: .utf8)
        }
        // Without a byte limit the pieces are lossless (FLAC): a recogniser hears them as it hears the source.
        for part in parts {
            #expect(try await home.store.artifacts(part.id).first { $0.role == .input }?.format == "flac")
        }
        // The parts one by one, each whole transcript after the other (overlaps heard twice).
        var oneByOne = ""
        for part in parts {
            let json = try await output(home, part.id)
            oneByOne += " " + (try JSONDecoder().decode(Transcript.self, from: Data(json.utf8))).text
        }
        let splitRate = wordErrorRate(try await output(home, split.id), text)
        let oneByOneRate = wordErrorRate(oneByOne, text)
        let onePassRate = wordErrorRate(try await output(whole, onePass.id), text)
        #expect(splitRate <= oneByOneRate, "merged \(splitRate), one by one \(oneByOneRate)")
        #expect(splitRate <= onePassRate + 0.1, "merged \(splitRate), in one pass \(onePassRate)")
    }

    @Test("a part that fails is retried alone; canceling the job cancels its parts")
    func partRetriedAlone() async throws {
        let limited = catalog("openai", "tts-1") { $0.maxCharacters = 200 }
        try await withSimulator(catalog: limited) { simulator, home in
            simulator.inject(.status(500), count: 1, provider: .openai, path: "/audio/speech")
            let spec = JobSpec(kind: .tts, provider: "openai", model: "tts-1",
                               input: JobInput(text: script(6), voice: "alloy"), output: OutputSettings(format: "mp3"))
            let id = try await home.submitter.submit(spec).job.id
            let job = try await home.runUntilFinal(id)
            #expect(job.state == .succeeded, "\(job.error?.description ?? "")")
            let parts = try await home.store.parts(of: id)
            #expect(parts.map(\.attempts).sorted() == Array(repeating: 1, count: parts.count - 1) + [2])
            // One speech request per part, and one more for the part that failed once (a 500: not billed).
            #expect(simulator.requests(.openai, path: "/audio/speech").count == parts.count + 1)
            let view = try await JobView.load(job, store: home.store, artifacts: home.artifacts, withEvents: false)
            #expect(view.cost.records.filter(\.charged).count == parts.count)
            Self.expectLedgerMatchesBilling(try #require(view.cost.usd), simulator)

            // A second long job, canceled while its parts wait: they are canceled with it.
            let second = try await home.submitter.submit(JobSpec(
                kind: .tts, provider: "openai", model: "tts-1", input: JobInput(text: script(5), voice: "nova"))).job
            let claimed = try #require(try await home.store.claim(worker: "w", now: Date(), leaseExpiry: Date() + 60))
            #expect(claimed.id == second.id)
            guard case .waiting(let handle, let pollAt) = try await home.pipeline.run(claimed, worker: "w") else {
                Issue.record("the long job did not wait on its parts")
                return
            }
            try await home.store.wait(second.id, worker: "w", handle: handle, pollAt: pollAt, now: Date())
            _ = try await home.store.cancel(second.id, now: Date())
            let canceled = try await home.store.parts(of: second.id)
            #expect(!canceled.isEmpty && canceled.allSatisfy { $0.state == .canceled })
        }
    }
}

/// "00:01:02,500" → 62.5.
private func srtSeconds(_ text: String) -> Double {
    let parts = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".").split(separator: ":")
    return parts.reduce(0) { $0 * 60 + (Double($1) ?? 0) }
}
