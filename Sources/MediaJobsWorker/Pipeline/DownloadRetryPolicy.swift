import Foundation

/// How often, and how soon, a paid result that arrived broken is fetched again.
///
/// A download that broke off (reset, cut short), an error status that may pass, or bytes that are not the media
/// asked for (corrupt, an HTML page) is a failed download of a generation the provider still holds: it is fetched
/// again after `delays[n - 1]` (the last delay repeats), up to `maxAttempts` downloads in all, and never bought
/// again. The count lives on the job's stored handle, so it holds across workers and crashes.
public struct DownloadRetryPolicy: Sendable, Equatable {
    /// Downloads in all, the first included.
    public var maxAttempts: Int
    /// Seconds before the second, third, … download.
    public var delays: [TimeInterval]

    public init(maxAttempts: Int, delays: [TimeInterval]) {
        self.maxAttempts = max(1, maxAttempts)
        self.delays = delays.isEmpty ? [0] : delays.map { max(0, $0) }
    }

    /// Four downloads, 2 s, 10 s and 30 s apart: a blip passes, and a result that stays broken ends the job within
    /// a minute, well before the provider's copy expires (Replicate: an hour).
    public static let standard = DownloadRetryPolicy(maxAttempts: 4, delays: [2, 10, 30])

    /// Seconds until the next download after `failures` failed ones (and at least what the provider asked for with
    /// `Retry-After`); nil when the downloads are spent.
    public func delay(afterFailures failures: Int, retryAfter: TimeInterval? = nil) -> TimeInterval? {
        guard failures >= 1, failures < maxAttempts else { return nil }
        return max(retryAfter ?? 0, delays[min(failures, delays.count) - 1])
    }
}
