import Foundation
import MediaJobsCore
import MediaJobsHTTP

/// Turns a provider's error answer into a classified `ProviderError` whose message says what the provider said.
///
/// Classes follow DESIGN.md: 408, 429 (honouring `Retry-After`), 5xx, 524 and 529 are retryable; model not
/// found, unsupported parameter, content policy, a refused key (401, 403) and missing credits (402) move to the
/// next route; bad input is fatal. Secrets never reach the message: the key is cut out of anything quoted.
public enum ProviderErrorClassifier {
    public static func classify(_ response: HTTPResponse, provider: String, action: String, key: String?) -> ProviderError {
        let said = redact(providerMessage(response), key: key)
        let retryAfter = retryAfterSeconds(response.headers)
        let status = response.status
        let text = "\(provider) \(action): HTTP \(status): \(said)"
        let lower = said.lowercased()
        let code = errorCode(response)?.lowercased() ?? ""
        // The account, not the job: this provider cannot serve any job with this key, so the next route is tried
        // (and the worker pauses the provider for every worker, see `ProviderAccount`).
        if status == 402 || code.contains("insufficient_quota") || lower.contains("insufficient credits") {
            return ProviderError(.fallback, MediaJobsError(.providerInsufficientCredits, text))
        }
        if status == 401 || status == 403 && !isPolicy(lower, code) {
            return ProviderError(.fallback, MediaJobsError(.providerUnauthorized, text))
        }
        if status == 429 {
            return ProviderError(.retryable, MediaJobsError(.rateLimited, text), retryAfter: retryAfter)
        }
        if status == 408 || status >= 500 {
            return ProviderError(.retryable, MediaJobsError(.providerFailed, text), retryAfter: retryAfter)
        }
        if isPolicy(lower, code) {
            return ProviderError(.fallback, MediaJobsError(.providerFailed, text))
        }
        if status == 404 || lower.contains("model") && (lower.contains("not found") || lower.contains("not exist")
            || lower.contains("unknown") || lower.contains("not available") || lower.contains("no endpoints")
            || lower.contains("not a valid model")) {
            return ProviderError(.fallback, MediaJobsError(.providerUnsupported, text))
        }
        if lower.contains("unsupported") || lower.contains("not supported") {
            return ProviderError(.fallback, MediaJobsError(.providerUnsupported, text))
        }
        if status == 413 {
            return ProviderError(.fatal, MediaJobsError(.invalidInput, text))
        }
        return ProviderError(.fatal, MediaJobsError(status == 400 || status == 422 ? .invalidInput : .providerFailed, text))
    }

    /// A transfer that produced no response. A create request whose body was sent may have started a paid
    /// generation: its outcome is unknown and it is not retried blindly.
    public static func classify(_ error: HTTPClientError, provider: String, action: String, creates: Bool,
                                key: String?) -> ProviderError {
        let message = redact(error.message, key: key)
        switch error.kind {
        case .canceled:
            return ProviderError(.fatal, MediaJobsError(.canceled, "\(provider) \(action): \(message)"))
        case .tooLarge, .file:
            return ProviderError(.fatal, MediaJobsError(.providerFailed, "\(provider) \(action): \(message)"))
        case .connect:
            return ProviderError(.retryable, MediaJobsError(.providerFailed, "\(provider) \(action): \(message)"))
        case .held:
            // Held by a pause (nothing was sent); the gate waits these out, so one reaching here is a rate limit.
            return ProviderError(.retryable, MediaJobsError(.rateLimited, "\(provider) \(action): \(message)"),
                                 retryAfter: error.heldUntil.map { max(0, $0.timeIntervalSinceNow) })
        case .timeout, .transfer, .other:
            if creates && error.requestSent {
                return ProviderError(.fatal, MediaJobsError(.providerOutcomeUnknown,
                    "\(provider) \(action): the request was sent but no answer came (\(message)); the provider may have "
                        + "started (and billed) it, so it is not sent again blindly"))
            }
            return ProviderError(.retryable, MediaJobsError(.providerFailed, "\(provider) \(action): \(message)"))
        }
    }

    /// The message inside the provider's error envelope, whichever of the known shapes it has.
    static func providerMessage(_ response: HTTPResponse) -> String {
        let body = response.body
        if let object = response.jsonObject {
            if let error = object["error"] as? [String: Any] {
                var message = (error["message"] as? String) ?? ""
                if let metadata = error["metadata"] as? [String: Any], let raw = metadata["raw"] as? String {
                    message += " (\(raw))"
                }
                if let name = error["name"] as? String, message.isEmpty { message = name }
                if !message.isEmpty { return message }
            }
            if let error = object["error"] as? String { return error }
            if let detail = object["detail"] as? String { return detail }
            if let details = object["detail"] as? [[String: Any]] {
                return details.map { item in
                    let location = (item["loc"] as? [Any])?.map { "\($0)" }.joined(separator: ".") ?? ""
                    return location.isEmpty ? "\(item["msg"] ?? "")" : "\(location): \(item["msg"] ?? "")"
                }.joined(separator: "; ")
            }
            if let title = object["title"] as? String { return title }
        }
        let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "(no body)" : text
    }

    static func errorCode(_ response: HTTPResponse) -> String? {
        guard let error = response.jsonObject?["error"] as? [String: Any] else { return nil }
        if let code = error["code"] as? String { return code }
        if let type = error["type"] as? String { return type }
        return nil
    }

    static func isPolicy(_ lower: String, _ code: String) -> Bool {
        code.contains("content_policy") || code.contains("moderation") || lower.contains("content policy")
            || lower.contains("safety system") || lower.contains("moderation") || lower.contains("flagged")
            || lower.contains("nsfw")
    }

    /// Seconds from `Retry-After` (seconds or an HTTP date), `retry-after-ms`, or the rate-limit reset headers.
    public static func retryAfterSeconds(_ headers: HTTPHeaders, now: Date = Date()) -> TimeInterval? {
        if let ms = headers["retry-after-ms"].flatMap(Double.init) { return ms / 1000 }
        if let value = headers["Retry-After"] {
            if let seconds = Double(value.trimmingCharacters(in: .whitespaces)) { return max(0, seconds) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = formatter.date(from: value) { return max(0, date.timeIntervalSince(now)) }
        }
        if let reset = headers["X-RateLimit-Reset"].flatMap(Double.init) {
            // OpenRouter sends a Unix time in milliseconds.
            let seconds = reset > 1e12 ? reset / 1000 : reset
            if seconds > 1e9 { return max(0, seconds - now.timeIntervalSince1970) }
            return seconds
        }
        return nil
    }

    /// `text` with every occurrence of `key` replaced.
    public static func redact(_ text: String, key: String?) -> String {
        guard let key, key.count >= 4 else { return text }
        return text.replacingOccurrences(of: key, with: "[redacted]")
    }
}

extension ProviderError {
    /// The same failure, said of fetching a finished result: one that may pass becomes `provider.download_failed` (the
    /// result is fetched again, not bought again); any other is left as it is.
    public var asDownloadFailure: ProviderError {
        guard classification == .retryable, error.code != .providerResultGone else { return self }
        var failure = self
        failure.error = MediaJobsError(.providerDownloadFailed, error.message, underlying: error)
        return failure
    }
}
