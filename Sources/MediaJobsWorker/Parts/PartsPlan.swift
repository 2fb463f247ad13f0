import Foundation
import MediaJobsCore
import MediaJobsProviders

/// When a job is too long for one request, and how it is cut: the limits its routes put on a request, and the pieces
/// a long text or recording becomes.
///
/// A job is planned against the strictest limit among its routes, so that every part can fall back along the same
/// routes as the job it is a part of.
public struct RequestLimits: Sendable, Equatable {
    public var characters: Int?
    public var uploadBytes: Int64?
    public var audioSeconds: Double?

    public init(characters: Int? = nil, uploadBytes: Int64? = nil, audioSeconds: Double? = nil) {
        self.characters = characters
        self.uploadBytes = uploadBytes
        self.audioSeconds = audioSeconds
    }

    /// What one model's limits allow a request.
    public init(_ limits: ModelLimits) {
        self.init(characters: limits.maxCharacters, uploadBytes: limits.maxUploadBytes, audioSeconds: limits.maxAudioSeconds)
    }

    /// The strictest limit of each kind among `spec`'s routes (a route that cannot serve the job puts none).
    public init(_ spec: JobSpec, providers: ProviderRegistry) {
        func strictest<T: Comparable>(_ a: T?, _ b: T?) -> T? {
            guard let a else { return b }
            guard let b else { return a }
            return min(a, b)
        }
        for route in spec.routes {
            guard let (provider, model) = try? providers.resolve(route, for: spec),
                  let limits = provider.limits(model: model).map(RequestLimits.init) else { continue }
            characters = strictest(characters, limits.characters)
            uploadBytes = strictest(uploadBytes, limits.uploadBytes)
            audioSeconds = strictest(audioSeconds, limits.audioSeconds)
        }
    }
}

public enum PartsPlan {
    /// Seconds each recording piece reaches into its neighbours, so a word at a cut is heard whole by one of them.
    public static let overlapSeconds = 1.0
    /// How far from an even cut a silence is looked for.
    public static let searchSeconds = 5.0
    /// The longest piece of a recording, whatever the limits: pieces this long run side by side.
    public static let longestPieceSeconds = 600.0
    /// The shortest piece limit a recording can be cut for (its overlaps and the search for a silence, and 10 s).
    public static let shortestPieceSeconds = 2 * overlapSeconds + 2 * searchSeconds + 10
    /// Bytes a second of the compact upload form (16 kHz mono Opus at 24 kb/s) takes, with a tenth for the container.
    public static let compactBytesPerSecond = 3_300.0
    /// Silence between consecutive pieces of speech when they are joined.
    public static let pauseSeconds = 0.4

    /// The longest piece (overlaps included) a recording of `seconds` and `bytes` is cut into, or nil when it goes in
    /// one request (re-encoded compactly by the provider's adapter if it must be). Throws `input.invalid` naming the
    /// limit (and `route`, when given) when the limits are too small to cut it for.
    public static func pieceSeconds(recordingSeconds seconds: Double, bytes: Int64, limits: RequestLimits,
                                    route: String? = nil) throws -> Double? {
        let overBytes = limits.uploadBytes.map { bytes > $0 } ?? false
        let overSeconds = limits.audioSeconds.map { seconds > $0 } ?? false
        guard overBytes || overSeconds else { return nil }
        let fitBytes = limits.uploadBytes.map { Double($0 - 8_192) / compactBytesPerSecond }
        let longest = min(limits.audioSeconds ?? .infinity, fitBytes ?? .infinity, longestPieceSeconds)
        if seconds <= longest { return nil }
        guard longest >= shortestPieceSeconds else {
            let owner = route.map { "\($0)'s" } ?? "a route's"
            let limit = (limits.audioSeconds ?? .infinity) < (fitBytes ?? .infinity)
                ? String(format: "%@ limit of %.0f seconds", owner, limits.audioSeconds ?? 0)
                : "\(owner) upload limit of \(limits.uploadBytes ?? 0) bytes"
            throw MediaJobsError.invalidInput("input.audio", String(
                format: "%lld bytes (%.1f s) is over %@ a request, too small to cut the recording for (pieces of at "
                    + "least %.0f s are needed)", bytes, seconds, limit, shortestPieceSeconds))
        }
        return longest
    }

    /// How many characters one speech request may carry for `spec`, when its text is over it; nil when it fits.
    public static func characterLimit(_ spec: JobSpec, limits: RequestLimits) -> Int? {
        guard spec.kind == .tts, let text = spec.input.text, let limit = limits.characters,
              text.unicodeScalars.count > limit else { return nil }
        return limit
    }
}
