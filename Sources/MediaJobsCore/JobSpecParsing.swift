import Foundation

extension JobSpec {
    /// Decodes and checks a job document. Every error names the JSON path and the reason
    /// (`input.voice: expected a string, found a number`), prefixed by `source` when given.
    public static func parse(json data: Data, source: String? = nil) throws -> JobSpec {
        let prefix = source.map { "\($0): " } ?? ""
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw MediaJobsError(.invalidJSON, "\(prefix)not valid JSON (\(JobSpec.describeJSONError(error)))")
        }
        guard let document = object as? [String: Any] else {
            throw MediaJobsError(.invalidInput, "\(prefix)a job must be a JSON object")
        }
        try checkKnownFields(document, prefix: prefix)
        let spec: JobSpec
        do {
            spec = try JSONDecoder().decode(JobSpec.self, from: data)
        } catch let error as DecodingError {
            throw MediaJobsError(.invalidInput, prefix + JobSpec.describe(error), underlying: error)
        }
        do {
            try spec.validate()
        } catch var error as MediaJobsError {
            error.message = prefix + error.message
            throw error
        }
        return spec
    }

    /// Checks the rules that do not depend on files, providers or the store.
    public func validate() throws {
        func require(_ ok: Bool, _ field: String, _ reason: String) throws {
            if !ok { throw MediaJobsError.invalidInput(field, reason) }
        }
        try require(!provider.isEmpty, "provider", "must not be empty")
        for (i, route) in fallbacks.enumerated() {
            try require(!route.provider.isEmpty, "fallbacks[\(i)].provider", "must not be empty")
        }
        switch kind {
        case .tts:
            let hasText = !(input.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            try require(hasText || input.textFile != nil, "input.text", "a tts job needs text or text_file")
            try require(input.text == nil || input.textFile == nil, "input.text_file",
                        "give text or text_file, not both")
            if let text = input.text {
                try require(text.count <= JobSpec.maxTextCharacters, "input.text",
                            "\(text.count) characters is over the limit of \(JobSpec.maxTextCharacters)")
            }
            if let speed = input.speed {
                try require(speed >= 0.25 && speed <= 4, "input.speed", "must be between 0.25 and 4")
            }
        case .transcribe:
            try require(!(input.audio ?? "").isEmpty, "input.audio", "a transcribe job needs an audio file")
        case .image, .video:
            let hasPrompt = !(input.prompt ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            try require(hasPrompt, "input.prompt", "an \(kind) job needs a prompt")
            if let n = input.n { try require((1...10).contains(n), "input.n", "must be between 1 and 10") }
            if let d = input.durationSeconds { try require(d > 0 && d <= 600, "input.duration_s", "must be 0–600 s") }
        }
        // Inputs a kind has no use for are refused, never dropped.
        if kind != .video {
            try require(input.firstFrame == nil, "input.first_frame", "only a video job starts from a first frame")
            try require(input.lastFrame == nil, "input.last_frame", "only a video job ends on a last frame")
        }
        if kind != .image && kind != .video {
            try require(input.referenceImages == nil, "input.reference_images", "only image and video jobs take reference images")
        }
        if kind != .transcribe {
            try require(input.timestamps == nil, "input.timestamps", "only a transcribe job has timestamps")
        }
        for (field, value) in input.images {
            try require(!value.trimmingCharacters(in: .whitespaces).isEmpty, field, "must not be empty")
        }
        if let format = output.format {
            try require(kind.outputFormats.contains(format), "output.format",
                        "'\(format)' is not a \(kind) format (one of \(kind.outputFormats.joined(separator: ", ")))")
        }
        if let b = output.bitrateKbps { try require((6...640).contains(b), "output.bitrate_kbps", "must be 6–640") }
        if let r = output.sampleRate {
            try require((8_000...192_000).contains(r), "output.sample_rate", "must be 8000–192000")
        }
        if let c = output.channels { try require((1...8).contains(c), "output.channels", "must be 1–8") }
        if let w = output.width { try require((16...8192).contains(w), "output.width", "must be 16–8192") }
        if let h = output.height { try require((16...8192).contains(h), "output.height", "must be 16–8192") }
        if let max = maxCostUSD { try require(max >= .zero, "max_cost_usd", "must not be negative") }
        try require((-1000...1000).contains(priority), "priority", "must be between -1000 and 1000")
        if let key = idempotencyKey {
            try require(!key.isEmpty && key.count <= 200, "idempotency_key", "must be 1–200 characters")
        }
        if let attempts = maxAttempts { try require((1...20).contains(attempts), "max_attempts", "must be 1–20") }
        if let deadline = deadlineSeconds {
            try require(deadline > 0 && deadline <= 7 * 86_400, "deadline_seconds", "must be more than 0 and at most 604800 (7 days)")
        }
        for key in labels.keys { try require(!key.isEmpty, "labels", "label names must not be empty") }
        try providerOptions?.openrouter?.validate(field: "provider_options.openrouter")
    }

    private static func checkKnownFields(_ document: [String: Any], prefix: String) throws {
        func check(_ object: [String: Any], allowed: [String], path: String) throws {
            for key in object.keys.sorted() where !allowed.contains(key) {
                let field = path.isEmpty ? key : "\(path).\(key)"
                throw MediaJobsError(.invalidInput, "\(prefix)\(field): unknown field")
            }
        }
        try check(document, allowed: CodingKeys.allCases.map(\.stringValue), path: "")
        if let input = document["input"] as? [String: Any] {
            try check(input, allowed: JobInput.CodingKeys.allCases.map(\.stringValue), path: "input")
        }
        if let output = document["output"] as? [String: Any] {
            try check(output, allowed: OutputSettings.CodingKeys.allCases.map(\.stringValue), path: "output")
        }
        if let options = document["provider_options"] as? [String: Any] {
            try check(options, allowed: ProviderOptions.CodingKeys.allCases.map(\.stringValue), path: "provider_options")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text.isEmpty ? "(document)" : text
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(describe(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(describe(type)), found null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required field is missing"
        case .dataCorrupted(let context):
            if context.codingPath.last?.stringValue == "kind" {
                let kinds = JobKind.allCases.map(\.rawValue).joined(separator: ", ")
                return "kind: unknown kind (one of \(kinds))"
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "a whole number"
        case is Double.Type, is Decimal.Type: "a number"
        case is Bool.Type: "true or false"
        default:
            if "\(type)".hasPrefix("Array") { "a list" } else if "\(type)".hasPrefix("Dictionary") { "an object" } else { "\(type)" }
        }
    }

    private static func describeJSONError(_ error: any Error) -> String {
        let ns = error as NSError
        if let detail = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        return ns.localizedDescription
    }
}
