import Foundation
import MediaJobsCore

/// A service that makes media: the in-process `local` engine or a remote API.
///
/// Two shapes of call: `start` answers `.done` for a synchronous provider, or `.pending` with a
/// handle that the worker stores (moving the job to `waiting`) and later hands to `poll`.
public protocol Provider: Sendable {
    /// The name used in job specs (`local`, `openrouter`, …).
    var name: String { get }
    /// The model used when a job names none, per kind; nil when the provider does not serve the kind.
    func defaultModel(for kind: JobKind) -> String?
    /// Checks a job against what the model can do, before anything is paid. Throws `input.invalid`
    /// or `provider.unsupported` naming the field.
    func check(_ spec: JobSpec, model: String) throws
    /// What the job would cost on this model, before it is sent.
    func estimate(_ request: ProviderRequest) -> CostEstimate
    /// What one request to `model` may carry (upload bytes, audio seconds, characters); nil when nothing is known.
    /// A job over them is split into parts that fit.
    func limits(model: String) -> ModelLimits?
    func start(_ request: ProviderRequest) async throws -> ProviderStart
    func poll(_ handle: String, request: ProviderRequest) async throws -> ProviderPoll
    /// Asks the provider to stop the generation `handle` names (a canceled or timed-out job), so it stops running
    /// and billing. Returns false when the provider has no way to cancel (the default).
    func cancel(_ handle: String) async throws -> Bool
    /// Looks at the provider for a generation that `request` already started (a create request whose answer was
    /// lost, or sent by a worker that died before storing it), among those created at or after `since` (less a
    /// small allowance for clock skew). A match is the same model and exactly the input this adapter would send for
    /// `request`; its handle is one `poll` takes. `.unsupported` when the provider cannot list what was submitted
    /// (the default).
    func findSubmission(_ request: ProviderRequest, since: Date) async throws -> SubmissionLookup
    /// The account requests are sent as (a key's fingerprint), for pauses after a refused key or missing credit;
    /// nil when the provider needs no key or none is set (the default).
    var account: ProviderAccount? { get }
}

extension Provider {
    /// No cancel endpoint: the generation runs to its end at the provider.
    public func cancel(_ handle: String) async throws -> Bool { false }

    /// No limits known.
    public func limits(model: String) -> ModelLimits? { nil }

    /// No way to list submissions: a lost create request cannot be found again.
    public func findSubmission(_ request: ProviderRequest, since: Date) async throws -> SubmissionLookup { .unsupported }

    /// No key, no account to pause.
    public var account: ProviderAccount? { nil }
}

/// What a look-up of a possibly lost submission found (`Provider.findSubmission`).
public enum SubmissionLookup: Sendable, Equatable {
    /// The provider offers no way to list what was submitted.
    case unsupported
    /// No generation of this request since then; `examined` generations created in that time were compared.
    case notFound(examined: Int)
    case found(SubmissionMatch)
}

/// A generation the provider already holds for a request.
public struct SubmissionMatch: Sendable, Equatable {
    /// What `Provider.poll` takes.
    public var handle: String
    /// The provider's own id of the generation (a Replicate prediction id).
    public var id: String
    /// When the provider says it was created.
    public var createdAt: Date
    /// How many generations matched; when more than one, this is the newest.
    public var matches: Int

    public init(handle: String, id: String, createdAt: Date, matches: Int) {
        self.handle = handle
        self.id = id
        self.createdAt = createdAt
        self.matches = matches
    }
}

/// Everything a provider needs for one attempt, with input files already resolved to local paths.
public struct ProviderRequest: Sendable {
    public var jobID: JobID
    public var attempt: Int
    public var spec: JobSpec
    public var model: String
    /// The input audio (transcribe), resolved from the artifact store.
    public var audioFile: URL?
    /// A private folder for this attempt's files; the worker removes it afterwards.
    public var workDirectory: URL
    /// Seconds of the input audio (transcribe), as measured when it was stored: what a price per audio second needs.
    public var audioSeconds: Double?
    /// The input images (`first_frame`, `last_frame`, `reference_images`), resolved from the artifact store.
    public var images: InputImages

    public init(
        jobID: JobID, attempt: Int, spec: JobSpec, model: String, audioFile: URL?, workDirectory: URL,
        audioSeconds: Double? = nil, images: InputImages = InputImages()
    ) {
        self.jobID = jobID
        self.attempt = attempt
        self.spec = spec
        self.model = model
        self.audioFile = audioFile
        self.workDirectory = workDirectory
        self.audioSeconds = audioSeconds
        self.images = images
    }
}

/// One input image of a job, resolved for sending: a stored file on this machine or a URL the provider fetches.
public struct InputImage: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// The copy stored at submit (proven an image by FFmpeg then), with its media type (`image/png`).
        case file(URL, mime: String)
        /// An `https://` (or `http://`) URL the job gave, sent as is to a provider that fetches it.
        case url(String)
    }

    /// The job's field it came from, for messages: `input.first_frame`, `input.reference_images[1]`.
    public var field: String
    public var source: Source

    public init(field: String, source: Source) {
        self.field = field
        self.source = source
    }

    /// Whether `value` (a job's image field) is a URL rather than a path or an artifact sha256.
    public static func isURL(_ value: String) -> Bool {
        value.hasPrefix("https://") || value.hasPrefix("http://")
    }
}

/// The images a job gives, by role.
public struct InputImages: Sendable, Equatable {
    public var firstFrame: InputImage?
    public var lastFrame: InputImage?
    public var references: [InputImage]

    public init(firstFrame: InputImage? = nil, lastFrame: InputImage? = nil, references: [InputImage] = []) {
        self.firstFrame = firstFrame
        self.lastFrame = lastFrame
        self.references = references
    }

    public var isEmpty: Bool { firstFrame == nil && lastFrame == nil && references.isEmpty }
}

/// What a provider made.
public struct ProviderResult: Sendable {
    /// A media file the provider produced, in `workDirectory`, with its container format (`wav`, `mp4`).
    public struct File: Sendable {
        public var url: URL
        public var format: String

        public init(url: URL, format: String) {
            self.url = url
            self.format = format
        }
    }

    public var files: [File]
    /// For transcription: what was heard.
    public var transcript: Transcript?
    /// Billed quantities by unit (`characters`, `audio_seconds`, …).
    public var units: [String: Decimal]
    /// The amount the provider reported, when it did (OpenRouter `usage.cost`): only the provider's own statement.
    public var reportedUSD: Money?
    /// The catalog's price lines for the units actually billed (also kept beside a reported amount, to explain it).
    public var estimate: CostEstimate?
    /// The provider's own usage report, verbatim.
    public var rawUsage: String?

    public init(
        files: [File] = [], transcript: Transcript? = nil, units: [String: Decimal] = [:],
        reportedUSD: Money? = nil, estimate: CostEstimate? = nil, rawUsage: String? = nil
    ) {
        self.estimate = estimate
        self.files = files
        self.transcript = transcript
        self.units = units
        self.reportedUSD = reportedUSD
        self.rawUsage = rawUsage
    }
}

public enum ProviderStart: Sendable {
    case done(ProviderResult)
    /// Accepted for asynchronous generation; poll `handle` no earlier than `pollAfter` seconds.
    case pending(handle: String, pollAfter: TimeInterval)
}

public enum ProviderPoll: Sendable {
    case pending(pollAfter: TimeInterval)
    case done(ProviderResult)
    case failed(ProviderError)
}

/// What a request costs, or will cost: price lines that add up.
public struct CostEstimate: Sendable, Equatable, Codable {
    /// One line per billed unit (input characters, audio out, video seconds with audio, …).
    public var lines: [PriceLine]

    public init(lines: [PriceLine]) {
        self.lines = lines
    }

    /// Billed quantities by unit.
    public var units: [String: Decimal] {
        lines.reduce(into: [:]) { $0[$1.unit, default: 0] += $1.quantity }
    }

    /// The sum of the lines; nil when there are none or any line's price is unknown (never a silent zero).
    public var usd: Money? { PriceLine.total(lines) }

    /// The units whose price is unknown.
    public var unpricedUnits: [String] { lines.filter { $0.usdPerUnit == nil }.map(\.unit) }
}

/// A provider failure, classified once, where it is understood.
public struct ProviderError: Error, Sendable {
    public enum Class: String, Sendable {
        /// Try the same route again later (429, 5xx, timeouts).
        case retryable
        /// Try the next route (model not found, unsupported parameter, content policy, a refused key or missing
        /// credit: the provider's account, which the worker then pauses for every job).
        case fallback
        /// Give up (bad input, budget).
        case fatal
    }

    public var classification: Class
    public var error: MediaJobsError
    /// Seconds the provider asked us to wait.
    public var retryAfter: TimeInterval?

    public init(_ classification: Class, _ error: MediaJobsError, retryAfter: TimeInterval? = nil) {
        self.classification = classification
        self.error = error
        self.retryAfter = retryAfter
    }
}
