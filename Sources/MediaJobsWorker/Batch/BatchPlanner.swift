#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsStore

/// What a batch will do: one job per distinct input, the files it refuses and why.
public struct BatchPlan: Sendable {
    /// One job, and every input path (relative to the source) that it answers for.
    public struct Item: Sendable {
        public var inputs: [String]
        /// The absolute path of the first input.
        public var file: URL
        public var spec: JobSpec
        /// Output paths relative to `out`, one per input.
        public var outputs: [String]
        public var estimate: CostEstimate?
    }

    /// An input that will not be submitted.
    public struct Rejection: Error, Sendable, Codable, Equatable {
        public var path: String
        public var reason: String
    }

    public var request: BatchRequest
    public var items: [Item]
    public var rejections: [Rejection]
    /// Inputs with the same content as another, answered by that one's job.
    public var duplicates: Int

    /// The estimated cost of every item; nil when a price is unknown.
    public var estimatedUSD: Money? {
        var total = Money.zero
        for item in items {
            guard let usd = item.estimate?.usd else { return nil }
            total += usd
        }
        return total
    }
}

/// Scans a folder, checks every input with FFmpeg, and plans one job per distinct input.
///
/// Idempotency keys come from the content hash and the spec, so planning the same folder again
/// gives the same keys (and submitting again submits nothing new), while a changed spec gives new ones.
public struct BatchPlanner: Sendable {
    public let engine: MediaEngine
    public let providers: ProviderRegistry

    public init(engine: MediaEngine, providers: ProviderRegistry) {
        self.engine = engine
        self.providers = providers
    }

    /// One input after its check: the job it becomes and where its output goes, or why it is refused.
    typealias Checked = Result<(spec: JobSpec, file: URL, output: String), BatchPlan.Rejection>

    public func plan(_ request: BatchRequest) async throws -> BatchPlan {
        let checked = request.kind.scansFolder ? try await checkFolder(request) : try await checkLines(request)
        var items: [BatchPlan.Item] = []
        var byKey: [String: Int] = [:]
        var rejections: [BatchPlan.Rejection] = []
        var duplicates = 0
        for (input, result) in checked {
            switch result {
            case .failure(let rejection):
                rejections.append(rejection)
            case .success(var planned):
                if let cache = request.cache { planned.spec.cache = cache }
                let key = planned.spec.idempotencyKey ?? input
                if let index = byKey[key] {
                    items[index].inputs.append(input)
                    items[index].outputs.append(planned.output)
                    duplicates += 1
                    continue
                }
                byKey[key] = items.count
                items.append(BatchPlan.Item(
                    inputs: [input], file: planned.file, spec: planned.spec, outputs: [planned.output],
                    estimate: estimate(planned.spec)))
            }
        }
        disambiguateOutputs(&items)
        return BatchPlan(request: request, items: items, rejections: rejections, duplicates: duplicates)
    }

    /// Checks every candidate file of a folder, a few at a time on the engine's pool, in the scan's order.
    private func checkFolder(_ request: BatchRequest) async throws -> [(String, Checked)] {
        let source = URL(fileURLWithPath: request.source)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MediaJobsError(.fileNotFound, "DIR: \(request.source) is not a folder")
        }
        try checkRoute(request)
        let paths = try scan(request)
        return try await inParallel(paths.count) { index in
            let path = paths[index]
            let result = await self.check(path, request: request).map { checked in
                let spec = self.makeSpec(request, path: path, contentSHA256: checked.sha, text: checked.text)
                return (spec: spec, file: source.appendingPathComponent(path), output: self.outputPath(path, format: spec.outputFormat))
            }
            return (path, result)
        }
    }

    /// Runs `body` for 0..<count, as many at once as the engine has threads (two at least), keeping the order.
    func inParallel<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) async -> T) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var next = 0
            var results: [Int: T] = [:]
            func add() {
                guard next < count else { return }
                let index = next
                next += 1
                group.addTask { (index, await body(index)) }
            }
            for _ in 0..<max(2, engine.threads) { add() }
            while let (index, result) = try await group.next() {
                results[index] = result
                add()
            }
            return (0..<count).map { results[$0]! }
        }
    }

    /// Checks once, before any input, that the route can serve the batch's kind and format.
    func checkRoute(_ request: BatchRequest) throws {
        guard let kind = request.jobKind else { return }
        var probe = JobSpec(kind: kind, provider: request.provider ?? JobSpec.defaultProvider, model: request.model,
                            output: OutputSettings(format: request.format))
        switch kind {
        case .tts: probe.input = JobInput(text: "x", voice: request.voice)
        case .transcribe: probe.input = JobInput(audio: "x")
        case .image, .video: probe.input = JobInput(prompt: "x")
        }
        try probe.validate()
        try providers.check(probe)
    }

    /// Candidate files, relative to the source, sorted; hidden files and the output folder are skipped.
    func scan(_ request: BatchRequest) throws -> [String] {
        let source = URL(fileURLWithPath: request.source).standardizedFileURL
        let out = URL(fileURLWithPath: request.out).standardizedFileURL.path
        var found: [String] = []
        let manager = FileManager.default
        var stack = [""]
        while let relative = stack.popLast() {
            let folder = relative.isEmpty ? source : source.appendingPathComponent(relative)
            let names: [String]
            do {
                names = try manager.contentsOfDirectory(atPath: folder.path)
            } catch {
                throw MediaJobsError(.invalidInput, "DIR: \(folder.path): cannot be read (\(error.localizedDescription))")
            }
            for name in names where !name.hasPrefix(".") {
                let path = relative.isEmpty ? name : relative + "/" + name
                let url = source.appendingPathComponent(path)
                var isDirectory: ObjCBool = false
                guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    if request.recursive && url.standardizedFileURL.path != out { stack.append(path) }
                    continue
                }
                guard request.isCandidate(path), matches(path, request) else { continue }
                found.append(path)
            }
        }
        return found.sorted()
    }

    private func matches(_ path: String, _ request: BatchRequest) -> Bool {
        func glob(_ pattern: String) -> Bool {
            // A pattern with a slash matches the relative path; one without matches the file name.
            let subject = pattern.contains("/") ? path : (path as NSString).lastPathComponent
            return fnmatch(pattern, subject, 0) == 0
        }
        if !request.include.isEmpty && !request.include.contains(where: glob) { return false }
        return !request.exclude.contains(where: glob)
    }

    private func check(_ path: String, request: BatchRequest) async -> Result<(sha: String, text: String?), BatchPlan.Rejection> {
        await check(URL(fileURLWithPath: request.source).appendingPathComponent(path), named: path,
                    asMedia: request.kind == .transcribe)
    }

    /// Checks one input file: text to speak (read, UTF-8, within the limit) or media (probed with FFmpeg,
    /// with an audio stream). Answers its content hash, and the text for speech.
    func check(_ url: URL, named path: String, asMedia: Bool) async -> Result<(sha: String, text: String?), BatchPlan.Rejection> {
        func reject(_ reason: String) -> Result<(sha: String, text: String?), BatchPlan.Rejection> {
            .failure(BatchPlan.Rejection(path: path, reason: reason))
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else {
            return reject("\(url.path): no such file")
        }
        if (attributes[.size] as? NSNumber)?.int64Value == 0 { return reject("empty file") }
        switch asMedia {
        case false:
            guard let data = try? Data(contentsOf: url) else { return reject("cannot be read") }
            guard let text = String(data: data, encoding: .utf8) else { return reject("not UTF-8 text") }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { return reject("no text to speak") }
            if trimmed.count > JobSpec.maxTextCharacters {
                return reject("\(trimmed.count) characters is over the limit of \(JobSpec.maxTextCharacters)")
            }
            return .success((ArtifactStore.sha256(of: data), trimmed))
        case true:
            do {
                let info = try await engine.probe(url)
                guard info.audioStreams.first != nil else { return reject("no audio stream (\(info.container))") }
                guard (info.durationSeconds ?? 1) > 0 else { return reject("zero duration") }
                let sha = try ArtifactStore.sha256(ofFile: url).sha256
                return .success((sha: sha, text: nil))
            } catch let error as MediaJobsError {
                return reject("not usable media: " + error.message.replacingOccurrences(of: url.path, with: path))
            } catch {
                return reject("not usable media: \(error)")
            }
        }
    }

    private func makeSpec(_ request: BatchRequest, path: String, contentSHA256: String, text: String?) -> JobSpec {
        let kind = request.jobKind ?? .transcribe
        var input = JobInput()
        if kind == .tts {
            input.text = text
            input.voice = request.voice
        } else {
            input.audio = URL(fileURLWithPath: request.source).appendingPathComponent(path).path
        }
        var spec = JobSpec(
            kind: kind, provider: request.provider ?? JobSpec.defaultProvider, model: request.model,
            input: input, output: OutputSettings(format: request.outputFormat(for: kind)), labels: ["batch": request.id])
        // The key names what is made from what: content, route, voice and output, never the path.
        let identity = [kind.rawValue, spec.provider, request.model ?? "", request.voice ?? "",
                        spec.outputFormat, contentSHA256].joined(separator: "\u{1F}")
        spec.idempotencyKey = BatchPlanner.idempotencyKey(identity)
        spec.input.sourceName = path
        return spec
    }

    static func idempotencyKey(_ identity: String) -> String {
        "batch-" + String(ArtifactStore.sha256(of: Data(identity.utf8)).prefix(40))
    }

    /// Two inputs that differ only by extension (`talk.wav`, `talk.mp3`) would write one output:
    /// each of them keeps its extension instead (`talk.wav.srt`, `talk.mp3.srt`).
    private func disambiguateOutputs(_ items: inout [BatchPlan.Item]) {
        var outputs = items.map(\.outputs)
        BatchPlanner.disambiguate(&outputs, inputs: items.map(\.inputs))
        for index in items.indices { items[index].outputs = outputs[index] }
    }

    /// `outputs[i][j]` answers `inputs[i][j]`; outputs named twice become the input's name plus the extension.
    static func disambiguate(_ outputs: inout [[String]], inputs: [[String]]) {
        var count: [String: Int] = [:]
        for list in outputs { for output in list { count[output, default: 0] += 1 } }
        for i in outputs.indices {
            for j in outputs[i].indices where (count[outputs[i][j]] ?? 0) > 1 {
                let format = (outputs[i][j] as NSString).pathExtension
                outputs[i][j] = inputs[i][j] + "." + format
            }
        }
    }

    func outputPath(_ path: String, format: String) -> String {
        ((path as NSString).deletingPathExtension as String) + "." + format
    }

    func estimate(_ spec: JobSpec) -> CostEstimate? {
        guard let (provider, model) = try? providers.resolve(spec.routes[0], for: spec) else { return nil }
        let request = ProviderRequest(jobID: JobID(rawValue: "PLAN"), attempt: 0, spec: spec, model: model,
                                      audioFile: nil, workDirectory: URL(fileURLWithPath: "/nonexistent"))
        return provider.estimate(request)
    }
}
