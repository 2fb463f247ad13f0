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

    public func plan(_ request: BatchRequest) async throws -> BatchPlan {
        let source = URL(fileURLWithPath: request.source)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MediaJobsError(.fileNotFound, "DIR: \(request.source) is not a folder")
        }
        try checkRoute(request)
        let paths = try scan(request)
        // Check inputs two at a time on the engine's pool; results keep the scan's order.
        var checked: [(String, Result<(sha: String, text: String?), BatchPlan.Rejection>)] = []
        try await withThrowingTaskGroup(of: (Int, Result<(sha: String, text: String?), BatchPlan.Rejection>).self) { group in
            var next = 0
            var results: [Int: Result<(sha: String, text: String?), BatchPlan.Rejection>] = [:]
            func add() {
                guard next < paths.count else { return }
                let index = next
                next += 1
                group.addTask { (index, await self.check(paths[index], request: request)) }
            }
            for _ in 0..<max(2, engine.threads) { add() }
            while let (index, result) = try await group.next() {
                results[index] = result
                add()
            }
            checked = paths.indices.map { (paths[$0], results[$0]!) }
        }

        var items: [BatchPlan.Item] = []
        var byKey: [String: Int] = [:]
        var rejections: [BatchPlan.Rejection] = []
        var duplicates = 0
        for (path, result) in checked {
            switch result {
            case .failure(let rejection):
                rejections.append(rejection)
            case .success(let checked):
                let spec = makeSpec(request, path: path, contentSHA256: checked.sha, text: checked.text)
                let output = outputPath(path, format: request.outputFormat)
                let key = spec.idempotencyKey ?? path
                if let index = byKey[key] {
                    items[index].inputs.append(path)
                    items[index].outputs.append(output)
                    duplicates += 1
                    continue
                }
                byKey[key] = items.count
                items.append(BatchPlan.Item(
                    inputs: [path], file: source.appendingPathComponent(path), spec: spec, outputs: [output],
                    estimate: estimate(spec)))
            }
        }
        disambiguateOutputs(&items)
        return BatchPlan(request: request, items: items, rejections: rejections, duplicates: duplicates)
    }

    private func checkRoute(_ request: BatchRequest) throws {
        var probe = JobSpec(kind: request.jobKind, provider: request.provider ?? JobSpec.defaultProvider, model: request.model,
                            output: OutputSettings(format: request.format))
        probe.input = request.kind == .tts ? JobInput(text: "x", voice: request.voice) : JobInput(audio: "x")
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
        let url = URL(fileURLWithPath: request.source).appendingPathComponent(path)
        func reject(_ reason: String) -> Result<(sha: String, text: String?), BatchPlan.Rejection> {
            .failure(BatchPlan.Rejection(path: path, reason: reason))
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        if (attributes?[.size] as? NSNumber)?.int64Value == 0 { return reject("empty file") }
        switch request.kind {
        case .tts:
            guard let data = try? Data(contentsOf: url) else { return reject("cannot be read") }
            guard let text = String(data: data, encoding: .utf8) else { return reject("not UTF-8 text") }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { return reject("no text to speak") }
            if trimmed.count > JobSpec.maxTextCharacters {
                return reject("\(trimmed.count) characters is over the limit of \(JobSpec.maxTextCharacters)")
            }
            return .success((ArtifactStore.sha256(of: data), trimmed))
        case .transcribe:
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
        var input = JobInput()
        switch request.kind {
        case .tts:
            input.text = text
            input.voice = request.voice
        case .transcribe:
            input.audio = URL(fileURLWithPath: request.source).appendingPathComponent(path).path
        }
        var spec = JobSpec(
            kind: request.jobKind, provider: request.provider ?? JobSpec.defaultProvider, model: request.model,
            input: input, output: OutputSettings(format: request.outputFormat), labels: ["batch": request.id])
        // The key names what is made from what: content, route, voice and output, never the path.
        let identity = [request.jobKind.rawValue, spec.provider, request.model ?? "", request.voice ?? "",
                        request.outputFormat, contentSHA256].joined(separator: "\u{1F}")
        spec.idempotencyKey = "batch-" + String(ArtifactStore.sha256(of: Data(identity.utf8)).prefix(40))
        spec.input.sourceName = path
        return spec
    }

    /// Two inputs that differ only by extension (`talk.wav`, `talk.mp3`) would write one output:
    /// each of them keeps its extension instead (`talk.wav.srt`, `talk.mp3.srt`).
    private func disambiguateOutputs(_ items: inout [BatchPlan.Item]) {
        var count: [String: Int] = [:]
        for item in items { for output in item.outputs { count[output, default: 0] += 1 } }
        for i in items.indices {
            for j in items[i].outputs.indices where (count[items[i].outputs[j]] ?? 0) > 1 {
                let format = (items[i].outputs[j] as NSString).pathExtension
                items[i].outputs[j] = items[i].inputs[j] + "." + format
            }
        }
    }

    private func outputPath(_ path: String, format: String) -> String {
        ((path as NSString).deletingPathExtension as String) + "." + format
    }

    private func estimate(_ spec: JobSpec) -> CostEstimate? {
        guard let (provider, model) = try? providers.resolve(spec.routes[0], for: spec) else { return nil }
        let request = ProviderRequest(jobID: JobID(rawValue: "PLAN"), attempt: 0, spec: spec, model: model,
                                      audioFile: nil, workDirectory: URL(fileURLWithPath: "/nonexistent"))
        return provider.estimate(request)
    }
}
