// Long inputs split into parts, at full size: what `make test` runs scaled down.
//
//   swift build -c release --product LongInputBenchmark
//   .build/release/LongInputBenchmark [--speech-characters 20000] [--openai-minutes 60] [--local-minutes 10]
//                                     [--only speech|openai|local]
//
// speech  A text of N characters spoken through the simulator's OpenAI endpoint (4,096 characters a request):
//         parts, the joined file's duration against its parts' plus the pauses, and whether every boundary falls
//         between words.
// openai  An N-minute recording made here with flite, transcribed through the simulator's OpenAI endpoint (25 MB an
//         upload, real recognition): every upload's size, the merged SRT (cues numbered 1…n, strictly increasing,
//         reaching the end), and the word error rate of the merged transcript against the same parts read one by
//         one (each part's whole transcript after the other).
// local   An N-minute recording transcribed by the local provider: one pass by one recogniser (an engine of one
//         thread), one job on the whole machine (the recogniser already runs a piece per core), and the job split
//         into parts of at most 120 s run on a worker of two slots. Seconds of each and the ratios.
//
// Each scenario runs in a home of its own in a temporary folder, removed at the end.
import Foundation
import Logging
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsHTTP
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker

struct Options {
    var speechCharacters = 20_000
    var openAIMinutes = 60.0
    var localMinutes = 10.0
    var only: String?

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            let value = rest.popFirst() ?? ""
            switch flag {
            case "--speech-characters": speechCharacters = Int(value) ?? speechCharacters
            case "--openai-minutes": openAIMinutes = Double(value) ?? openAIMinutes
            case "--local-minutes": localMinutes = Double(value) ?? localMinutes
            case "--only": only = value
            default:
                print("usage: LongInputBenchmark [--speech-characters N] [--openai-minutes N] [--local-minutes N] "
                      + "[--only speech|openai|local]")
                exit(2)
            }
        }
    }
}

/// A script of about `characters` characters: numbered sentences, three to a paragraph.
func script(characters: Int) -> String {
    var paragraphs: [String] = []
    var sentences: [String] = []
    var count = 0
    var n = 0
    let subjects = ["The river", "A quiet town", "The old library", "Every morning", "The last train", "A small boat"]
    let endings = ["turned slowly toward the hills.", "was full of people reading in silence.",
                   "carried the news across the valley.", "began with a cup of strong coffee.",
                   "left the station a little after nine.", "waited for the tide to come back in."]
    while count < characters {
        n += 1
        let sentence = "Sentence \(n). \(subjects[n % subjects.count]) \(endings[(n * 5) % endings.count])"
        sentences.append(sentence)
        count += sentence.count + 1
        if sentences.count == 3 {
            paragraphs.append(sentences.joined(separator: " "))
            sentences.removeAll()
        }
    }
    if !sentences.isEmpty { paragraphs.append(sentences.joined(separator: " ")) }
    return paragraphs.joined(separator: "\n\n")
}

/// A home: SQLite, artifacts and providers reaching `environment`, with `catalog`'s limits.
struct Home {
    let root: URL
    let store: SQLiteJobStore
    let artifacts: ArtifactStore
    let providers: ProviderRegistry
    let engine: MediaEngine

    init(environment: [String: String] = [:], catalog: ModelCatalog = .builtIn, engine: MediaEngine = .shared) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("long-input-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        store = try SQLiteJobStore(path: root.appendingPathComponent("mediajobs.sqlite").path)
        artifacts = try ArtifactStore(root: root.appendingPathComponent("artifacts"))
        let patient = RemoteProviderSettings(
            timeouts: ProviderTimeouts(
                submit: HTTPTimeouts(connect: 10, total: 3600, lowSpeedBytesPerSecond: 1, lowSpeedSeconds: 1800),
                download: HTTPTimeouts(connect: 10, total: 3600, lowSpeedBytesPerSecond: 1, lowSpeedSeconds: 1800)),
            pollIntervalSeconds: 0.2)
        let configuration = ProvidersConfiguration(openrouter: OpenRouterSettings(common: patient), openai: patient,
                                                   fal: patient, replicate: patient)
        providers = try ProviderRegistry.configured(engine: engine, configuration: configuration,
                                                    environment: environment, catalog: catalog)
        self.engine = engine
    }

    var pipeline: Pipeline { Pipeline(store: store, artifacts: artifacts, engine: engine, providers: providers) }
    var submitter: Submitter { Submitter(store: store, artifacts: artifacts, engine: engine, providers: providers) }

    /// Runs a worker of `slots` work slots until `id` ends; returns the job and the seconds it took.
    func run(_ id: JobID, slots: Int = 2) async throws -> (Job, Double) {
        let store = self.store
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let worker = Worker(store: store, pipeline: pipeline,
                            configuration: WorkerConfiguration(id: "bench", concurrency: slots, leaseDuration: 120),
                            logger: logger)
        let start = Date()
        try await worker.run(until: { (try? await store.job(id))?.state.isFinal ?? true })
        return (try await store.job(id)!, Date().timeIntervalSince(start))
    }

    func output(_ id: JobID) async throws -> (ArtifactRef, URL) {
        let output = try await store.artifacts(id).first { $0.role == .output }!
        return (output, try artifacts.url(for: output.sha256))
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// Word error rate of `heard` against `said`: edit distance over words, divided by the words said.
func wordErrorRate(_ heard: String, _ said: String) -> Double {
    func words(_ text: String) -> [Substring] { text.lowercased().split { !$0.isLetter && !$0.isNumber } }
    let (a, b) = (words(said), words(heard))
    guard !a.isEmpty, !b.isEmpty else { return a.isEmpty && b.isEmpty ? 0 : 1 }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return Double(previous[b.count]) / Double(a.count)
}

/// A recording of about `minutes` of flite speech, and its script.
func recording(minutes: Double, in folder: URL) async throws -> (URL, String) {
    // flite reads about 15 characters a second.
    let text = script(characters: Int(minutes * 60 * 15))
    let file = folder.appendingPathComponent("recording-\(Int(minutes))min.wav")
    try await MediaEngine.shared.synthesizeSpeech(text: text, voice: "slt", to: file)
    return (file, text)
}

func simulatorKeys(_ simulator: Simulator) -> [String: String] {
    let key = "sk-bench-000"
    return simulator.environment.merging(["OPENROUTER_API_KEY": key, "OPENAI_API_KEY": key, "FAL_KEY": key,
                                          "REPLICATE_API_TOKEN": key]) { $1 }
}

func speech(_ options: Options) async throws {
    let simulator = try await Simulator.start()
    let home = try Home(environment: simulatorKeys(simulator))
    defer { home.remove() }
    let text = script(characters: options.speechCharacters)
    let spec = JobSpec(kind: .tts, provider: "openai", model: "tts-1", input: JobInput(text: text, voice: "alloy"),
                       output: OutputSettings(format: "mp3"))
    let id = try await home.submitter.submit(spec).job.id
    let (job, seconds) = try await home.run(id)
    let parts = try await home.store.parts(of: id)
    var partSeconds = 0.0
    for part in parts { partSeconds += try await home.engine.probe(try await home.output(part.id).1).durationSeconds ?? 0 }
    let expected = partSeconds + PartsPlan.pauseSeconds * Double(max(0, parts.count - 1))
    let duration = try await home.output(id).0.durationSeconds ?? 0
    let pieces = parts.map { $0.spec.input.text ?? "" }
    let wordsKept = pieces.flatMap { $0.split(whereSeparator: \.isWhitespace) } == text.split(whereSeparator: \.isWhitespace)
    print(String(format: "speech: %d characters, %@ in %.1f s: %d parts (longest %d characters, limit 4096)",
                 text.count, "\(job.state)", seconds, parts.count, pieces.map(\.count).max() ?? 0))
    print(String(format: "  joined mp3 %.2f s; parts %.2f s + %d pauses of %.2f s = %.2f s; off by %.2f %%",
                 duration, partSeconds, max(0, parts.count - 1), PartsPlan.pauseSeconds, expected,
                 abs(duration - expected) / expected * 100))
    print("  every boundary between words: \(wordsKept ? "yes" : "NO")")
    print("  speech requests at the simulator: \(simulator.requests(.openai, path: "/audio/speech").count)")
    await simulator.stop()
}

func openAI(_ options: Options) async throws {
    let simulator = try await Simulator.start()
    let home = try Home(environment: simulatorKeys(simulator))
    defer { home.remove() }
    let (file, text) = try await recording(minutes: options.openAIMinutes, in: home.root)
    let info = try await home.engine.probe(file)
    let bytes = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0
    print(String(format: "openai: a %.1f-minute recording, %lld bytes, %d characters of script",
                 (info.durationSeconds ?? 0) / 60, bytes, text.count))
    let spec = JobSpec(kind: .transcribe, provider: "openai", model: "whisper-1", input: JobInput(audio: file.path),
                       output: OutputSettings(format: "srt"))
    let id = try await home.submitter.submit(spec).job.id
    let (job, seconds) = try await home.run(id)
    let parts = try await home.store.parts(of: id)
    let uploads = simulator.requests(.openai, path: "/audio/transcriptions").compactMap(\.uploads.first)
    let limit = 25 * 1024 * 1024
    print(String(format: "  %@ in %.1f s: %d parts, %d uploads, largest %d bytes (limit %d), all under: %@",
                 "\(job.state)", seconds, parts.count, uploads.count, uploads.map(\.bytes).max() ?? 0, limit,
                 uploads.allSatisfy { $0.bytes <= limit } ? "yes" : "NO"))
    let srt = String(decoding: try Data(contentsOf: try await home.output(id).1), as: UTF8.self)
    var times: [(Double, Double)] = []
    var numbered = true
    for (index, cue) in srt.components(separatedBy: "\n\n").filter({ !$0.isEmpty }).enumerated() {
        let lines = cue.split(separator: "\n")
        numbered = numbered && Int(lines[0]) == index + 1
        let span = lines[1].components(separatedBy: " --> ").map { stamp in
            stamp.replacingOccurrences(of: ",", with: ".").split(separator: ":").reduce(0) { $0 * 60 + (Double($1) ?? 0) }
        }
        times.append((span[0], span[1]))
    }
    let increasing = zip(times, times.dropFirst()).allSatisfy { $1.0 > $0.0 && $1.0 >= $0.1 }
    print(String(format: "  SRT: %d cues, numbered 1..n: %@, strictly increasing and not overlapping: %@, last ends %.2f s before the end",
                 times.count, numbered ? "yes" : "NO", increasing ? "yes" : "NO",
                 (info.durationSeconds ?? 0) - (times.last?.1 ?? 0)))
    var oneByOne = ""
    for part in parts {
        let json = try Data(contentsOf: try await home.output(part.id).1)
        oneByOne += " " + (try JSONDecoder().decode(Transcript.self, from: json)).text
    }
    var mergedText = ""
    for cue in srt.components(separatedBy: "\n\n") { mergedText += " " + cue.split(separator: "\n").dropFirst(2).joined(separator: " ") }
    print(String(format: "  word error rate: merged %.4f, the same parts one by one %.4f",
                 wordErrorRate(mergedText, text), wordErrorRate(oneByOne, text)))
    await simulator.stop()
}

func local(_ options: Options) async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("long-input-local-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let (file, text) = try await recording(minutes: options.localMinutes, in: folder)
    let seconds = try await MediaEngine.shared.probe(file).durationSeconds ?? 0
    print(String(format: "local: a %.1f-minute recording, pocketsphinx on %d cores", seconds / 60, MediaEngine.shared.threads))
    var catalog = ModelCatalog.builtIn
    let index = catalog.models.firstIndex { $0.provider == "local" && $0.id == "pocketsphinx" }!
    catalog.models[index].limits.maxAudioSeconds = 120
    let spec = JobSpec(kind: .transcribe, input: JobInput(audio: file.path), output: OutputSettings(format: "txt"))
    var results: [(String, Double, Double, Int)] = []
    for (name, engine, limits, slots) in [("one pass, one recogniser", MediaEngine.lane(threads: 1), ModelCatalog.builtIn, 1),
                                          ("one job, a recogniser per core", MediaEngine.shared, ModelCatalog.builtIn, 2),
                                          ("parts of at most 120 s on 2 slots", MediaEngine.shared, catalog, 2)] {
        let home = try Home(catalog: limits, engine: engine)
        defer { home.remove() }
        let id = try await home.submitter.submit(spec).job.id
        let (job, took) = try await home.run(id, slots: slots)
        let heard = job.state == .succeeded
            ? String(decoding: try Data(contentsOf: try await home.output(id).1), as: UTF8.self) : ""
        let parts = try await home.store.parts(of: id).count
        results.append((name, took, wordErrorRate(heard, text), parts))
        print(String(format: "  %-36@ %@ in %7.1f s, %d parts, word error rate %.4f", name as NSString, "\(job.state)",
                     took, parts, wordErrorRate(heard, text)))
    }
    print(String(format: "  parts vs one pass: %.2fx faster; parts vs one job: %.2fx", results[0].1 / results[2].1,
                 results[1].1 / results[2].1))
}

let options = Options(CommandLine.arguments)
if options.only == nil || options.only == "speech" { try await speech(options) }
if options.only == nil || options.only == "local" { try await local(options) }
if options.only == nil || options.only == "openai" { try await openAI(options) }
