import Foundation
import MediaJobsCore
import MediaJobsStore

/// Batches read line by line: a prompt file (one image or video per line) or a JSONL manifest
/// (one whole job spec per line, any kind). Blank lines and lines starting with `#` are skipped;
/// each input is named `FILE:LINE` in plans and reports.
extension BatchPlanner {
    func checkLines(_ request: BatchRequest) async throws -> [(String, Checked)] {
        let file = URL(fileURLWithPath: request.source)
        let argument = request.kind == .manifest ? "--file" : "PROMPTS"
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw MediaJobsError(.fileNotFound, "\(argument): \(file.path): cannot be read (no such file, or a folder)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MediaJobsError.invalidInput(argument, "\(file.path) is not UTF-8 text")
        }
        try checkRoute(request)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap {
            (index, line) -> (number: Int, text: String)? in
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty || trimmed.hasPrefix("#") ? nil : (index + 1, trimmed)
        }
        guard !lines.isEmpty else {
            throw MediaJobsError.invalidInput(argument, "\(file.path) has no \(request.kind == .manifest ? "job" : "prompt") lines")
        }
        let name = file.lastPathComponent
        return try await inParallel(lines.count) { index in
            let (number, line) = lines[index]
            let input = "\(name):\(number)"
            let result = request.kind == .manifest
                ? await self.manifestItem(line, number: number, input: input, request: request)
                : self.promptItem(line, number: number, input: input, request: request)
            return (input, result)
        }
    }

    private func promptItem(_ prompt: String, number: Int, input: String, request: BatchRequest) -> Checked {
        let kind = request.jobKind ?? .image
        var spec = JobSpec(
            kind: kind, provider: request.provider ?? JobSpec.defaultProvider, model: request.model,
            input: JobInput(prompt: prompt), output: OutputSettings(format: request.outputFormat(for: kind)),
            labels: ["batch": request.id])
        do {
            try spec.validate()
            try providers.check(spec)
        } catch {
            return .failure(BatchPlan.Rejection(path: input, reason: MediaJobsError.wrapping(error).message))
        }
        let identity = [kind.rawValue, spec.provider, request.model ?? "", spec.outputFormat, prompt]
        spec.idempotencyKey = BatchPlanner.idempotencyKey(identity.joined(separator: "\u{1F}"))
        spec.input.sourceName = input
        let output = BatchPlanner.numbered(number, prompt) + "." + spec.outputFormat
        return .success((spec: spec, file: URL(fileURLWithPath: request.source), output: output))
    }

    /// A manifest line: parsed as a job spec (errors name `FILE:LINE` and the field), its input
    /// files resolved against the manifest's folder and checked like a folder batch's.
    private func manifestItem(_ line: String, number: Int, input: String, request: BatchRequest) async -> Checked {
        func reject(_ error: any Error) -> Checked {
            var message = MediaJobsError.wrapping(error).message
            if message.hasPrefix(input + ": ") { message.removeFirst(input.count + 2) }
            return .failure(BatchPlan.Rejection(path: input, reason: message))
        }
        var spec: JobSpec
        do {
            spec = try JobSpec.parse(json: Data(line.utf8), source: input)
        } catch {
            return reject(error)
        }
        let folder = URL(fileURLWithPath: request.source).deletingLastPathComponent()
        func local(_ path: String) -> URL? {
            if ArtifactRef.isValidSHA256(path) || path.contains("://") { return nil }
            let expanded = (path as NSString).expandingTildeInPath
            return expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded) : folder.appendingPathComponent(expanded)
        }
        var content = ""
        var name: String?
        if spec.kind == .transcribe, let audio = spec.input.audio, let url = local(audio) {
            switch await check(url, named: input, asMedia: true) {
            case .failure(let rejection): return .failure(rejection)
            case .success(let checked): content = checked.sha
            }
            spec.input.audio = url.path
            name = url.deletingPathExtension().lastPathComponent
        }
        if spec.kind == .tts, let textFile = spec.input.textFile, let url = local(textFile) {
            switch await check(url, named: input, asMedia: false) {
            case .failure(let rejection): return .failure(rejection)
            case .success(let checked): content = checked.sha
            }
            spec.input.textFile = url.path
            name = url.deletingPathExtension().lastPathComponent
        }
        if spec.output.format == nil, let format = request.format, spec.kind.outputFormats.contains(format) {
            spec.output.format = format
        }
        do {
            try providers.check(spec)
        } catch {
            return reject(error)
        }
        if spec.idempotencyKey == nil {
            // The whole spec and the content of its input files: the same line over the same files is
            // the same job, whatever the line's number.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let canonical = (try? encoder.encode(spec)).map { String(decoding: $0, as: UTF8.self) } ?? line
            spec.idempotencyKey = BatchPlanner.idempotencyKey(canonical + "\u{1F}" + content)
        }
        spec.labels["batch"] = request.id
        let base = name ?? BatchPlanner.numbered(number, spec.input.prompt ?? spec.input.text ?? spec.kind.rawValue)
        return .success((spec: spec, file: URL(fileURLWithPath: request.source), output: base + "." + spec.outputFormat))
    }

    /// `0007-a-red-fox-at-dawn`: the line number, then the first words of its text, for an output name.
    static func numbered(_ number: Int, _ text: String) -> String {
        var slug = ""
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            if slug.count + word.count + 1 > 40 { break }
            slug += (slug.isEmpty ? "" : "-") + word
        }
        let padded = String(repeating: "0", count: max(0, 4 - String(number).count)) + String(number)
        return slug.isEmpty ? padded : padded + "-" + slug
    }
}
