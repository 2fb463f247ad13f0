import Foundation

/// Something going wrong the way it does with a real provider, answered in that provider's own shape.
public enum Fault: Sendable, Equatable, CustomStringConvertible {
    /// An error status (429, 500, 502, 503, 524, 529, 401, 402, …) in the provider's error envelope,
    /// with `Retry-After` in seconds when given. Nothing is created or charged.
    case status(Int, retryAfter: Int? = nil)
    /// The normal answer, its body sent in 16 pieces spread over `seconds`.
    case slowBody(seconds: Double)
    /// The normal status and headers, half the body (no Content-Length), then a TCP reset.
    case connectionReset
    /// The normal status, a Content-Length for the whole body, half of it, then the connection closes.
    case truncatedBody
    /// The media the answer carries (bytes, base64 or a file URL's download) keeps its first 16 bytes
    /// and the rest is noise: no decoder accepts it.
    case corruptMedia
    /// A 200 with `Content-Type: text/html` and an HTML page instead of the expected body.
    case wrongContentType
    /// The normal answer, body untouched, under another `Content-Type` (a CDN or proxy that labels media as
    /// `text/html`): valid media the client must judge by its bytes.
    case mislabelled(contentType: String)
    /// A refusal on content-policy grounds in the provider's shape (OpenRouter 403
    /// `content_policy_violation`, OpenAI 400 `content_policy_violation`, fal 422, a failed Replicate prediction).
    case contentPolicy
    /// The provider's answer to a model it does not know (OpenRouter 400, OpenAI 404 `model_not_found`,
    /// fal 404, Replicate 404).
    case unknownModel
    /// An asynchronous job that is accepted, then ends `failed` with `message` at its last poll. fal, whose status has
    /// no failed state, says `COMPLETED` and answers the result with the model's error (500, a `detail` list).
    case jobFailure(String)
    /// An asynchronous job that is accepted, then cancelled at the provider (as from its dashboard) before it ends:
    /// OpenRouter `cancelled`, Replicate `canceled`; fal says `COMPLETED` and answers the result 499
    /// `client_cancelled`. Nothing is billed.
    case canceledAtProvider
    /// A fal request that completes (and is billed) but whose result has expired by the time it is fetched: the result
    /// answers 410 with a `detail`. Other providers ignore it.
    case resultExpired
    /// An image answer whose bytes are PNG although the request asked for another format (OpenAI
    /// `output_format: webp` or `jpeg`, Replicate or fal `output_format`), still labelled as asked: valid media the
    /// client must convert itself. Billed once, as the normal answer.
    case pngInsteadOfAskedFormat

    /// The spec form, as `--faults` takes it.
    public var description: String {
        switch self {
        case .status(let code, let retryAfter): retryAfter.map { "\(code):\($0)" } ?? "\(code)"
        case .slowBody(let seconds): "slow:\(seconds)"
        case .connectionReset: "reset"
        case .truncatedBody: "truncate"
        case .corruptMedia: "corrupt"
        case .wrongContentType: "content-type"
        case .mislabelled(let contentType): "mislabel:\(contentType)"
        case .contentPolicy: "policy"
        case .unknownModel: "unknown-model"
        case .jobFailure: "job-fail"
        case .canceledAtProvider: "provider-cancel"
        case .resultExpired: "expired"
        case .pngInsteadOfAskedFormat: "png-instead"
        }
    }

    /// Faults answered instead of the handler (nothing happens on the server side).
    var replacesAnswer: Bool {
        switch self {
        case .status, .contentPolicy, .unknownModel: true
        default: false
        }
    }

    /// Parses one fault: "429", "429:2" (Retry-After 2), "slow", "slow:3", "reset", "truncate",
    /// "corrupt", "content-type", "mislabel", "mislabel:TYPE", "policy", "unknown-model", "job-fail",
    /// "job-fail:MESSAGE", "provider-cancel", "expired", "png-instead".
    public init(spec: String) throws {
        let head = spec.split(separator: ":", maxSplits: 1).first.map(String.init) ?? spec
        let argument = spec.split(separator: ":", maxSplits: 1).dropFirst().first.map(String.init)
        if let code = Int(head) {
            guard (400...599).contains(code) else { throw SimulatorSpecError("fault '\(spec)': status must be 400–599") }
            var retryAfter: Int?
            if let argument {
                guard let seconds = Int(argument), seconds >= 0 else {
                    throw SimulatorSpecError("fault '\(spec)': Retry-After is whole seconds")
                }
                retryAfter = seconds
            }
            self = .status(code, retryAfter: retryAfter)
            return
        }
        switch head {
        case "slow":
            let seconds = try argument.map {
                guard let value = Double($0), value >= 0 else { throw SimulatorSpecError("fault '\(spec)': seconds ≥ 0") }
                return value
            } ?? 2
            self = .slowBody(seconds: seconds)
        case "reset": self = .connectionReset
        case "truncate": self = .truncatedBody
        case "corrupt": self = .corruptMedia
        case "content-type": self = .wrongContentType
        case "mislabel": self = .mislabelled(contentType: argument ?? "text/html; charset=utf-8")
        case "policy": self = .contentPolicy
        case "unknown-model": self = .unknownModel
        case "job-fail": self = .jobFailure(argument ?? "The model failed to generate the output")
        case "provider-cancel": self = .canceledAtProvider
        case "expired": self = .resultExpired
        case "png-instead": self = .pngInsteadOfAskedFormat
        default:
            throw SimulatorSpecError(
                "fault '\(spec)': expected a status (429, 429:RETRY_AFTER, 500, 502, 503, 524, 529, 401, 402), "
                    + "slow[:SECONDS], reset, truncate, corrupt, content-type, mislabel[:TYPE], policy, unknown-model, "
                    + "job-fail[:MESSAGE], provider-cancel, expired or png-instead")
        }
    }
}

/// When a fault applies: to which requests, and how often.
public struct FaultRule: Sendable, Equatable, CustomStringConvertible {
    public enum Frequency: Sendable, Equatable {
        /// The next `n` matching requests.
        case next(Int)
        /// Each matching request with this probability (0…1).
        case rate(Double)
    }

    public var fault: Fault
    /// nil: every provider.
    public var provider: SimulatedProvider?
    /// A path prefix after the provider's prefix ("/audio/speech", "/videos"), in which `*` stands for one whole
    /// segment ("/videos/*/content": a video's download, not its status); nil: every path.
    public var path: String?
    /// An HTTP method ("POST"); nil: every method.
    public var method: String?
    public var frequency: Frequency

    public init(
        _ fault: Fault, provider: SimulatedProvider? = nil, path: String? = nil, method: String? = nil,
        frequency: Frequency = .next(1)
    ) {
        self.fault = fault
        self.provider = provider
        self.path = path
        self.method = method
        self.frequency = frequency
    }

    public var description: String {
        var text = fault.description
        if let provider { text += "@\(provider.rawValue)\(path ?? "")" }
        if let method { text += "^\(method)" }
        switch frequency {
        case .next(let count): text += "*\(count)"
        case .rate(let rate): text += "~\(rate)"
        }
        return text
    }

    func matches(provider: SimulatedProvider?, path: String, method: String) -> Bool {
        if let wanted = self.provider, wanted != provider { return false }
        if let prefix = self.path, !FaultRule.path(path, startsWith: prefix) { return false }
        if let wanted = self.method, wanted.uppercased() != method.uppercased() { return false }
        return true
    }

    /// Whether `path` starts with `prefix`, a `*` in `prefix` matching any one segment.
    public static func path(_ path: String, startsWith prefix: String) -> Bool {
        guard prefix.contains("*") else { return path.hasPrefix(prefix) }
        let wanted = prefix.split(separator: "/", omittingEmptySubsequences: false)
        let given = path.split(separator: "/", omittingEmptySubsequences: false)
        guard given.count >= wanted.count else { return false }
        for (index, (want, have)) in zip(wanted, given).enumerated() where want != "*" {
            let last = index == wanted.count - 1
            if last ? !have.hasPrefix(want) : want != have { return false }
        }
        return true
    }

    /// Parses a comma-separated list of rules, each `FAULT[@PROVIDER[/PATH]][^METHOD][*COUNT|~RATE]`:
    /// `429:2@openai/audio/speech*3,503~0.1,reset@fal^GET`. Without `*` or `~` a rule applies once.
    public static func parseList(_ spec: String) throws -> [FaultRule] {
        try spec.split(separator: ",").map { try FaultRule(spec: String($0).trimmingCharacters(in: .whitespaces)) }
    }

    public init(spec: String) throws {
        var rest = Substring(spec)
        var frequency = Frequency.next(1)
        // A `*` followed by more path or a method is a path segment ("/videos/*/content"), not a count.
        if let star = rest.lastIndex(of: "*"), !rest[star...].contains("/"), !rest[star...].contains("^") {
            guard let count = Int(rest[rest.index(after: star)...]), count > 0 else {
                throw SimulatorSpecError("fault rule '\(spec)': *COUNT is a whole number > 0")
            }
            frequency = .next(count)
            rest = rest[..<star]
        } else if let tilde = rest.lastIndex(of: "~") {
            guard let rate = Double(rest[rest.index(after: tilde)...]), rate >= 0, rate <= 1 else {
                throw SimulatorSpecError("fault rule '\(spec)': ~RATE is a number from 0 to 1")
            }
            frequency = .rate(rate)
            rest = rest[..<tilde]
        }
        var method: String?
        if let caret = rest.lastIndex(of: "^") {
            method = String(rest[rest.index(after: caret)...]).uppercased()
            rest = rest[..<caret]
        }
        var provider: SimulatedProvider?
        var path: String?
        if let at = rest.firstIndex(of: "@") {
            let scope = rest[rest.index(after: at)...]
            let name = scope.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            guard let known = SimulatedProvider(rawValue: name) else {
                throw SimulatorSpecError(
                    "fault rule '\(spec)': unknown provider '\(name)' (openrouter, openai, fal, replicate)")
            }
            provider = known
            if let slash = scope.firstIndex(of: "/") { path = String(scope[slash...]) }
            rest = rest[..<at]
        }
        guard !rest.isEmpty else { throw SimulatorSpecError("fault rule '\(spec)': no fault named") }
        self.init(try Fault(spec: String(rest)), provider: provider, path: path, method: method, frequency: frequency)
    }
}
