import Foundation
import MediaJobsCore
import MediaJobsHTTP

/// How a fal request that ended without output ended, read from fal's documented fields.
///
/// fal's status has three states (`IN_QUEUE`, `IN_PROGRESS`, `COMPLETED`): a request that failed, was cancelled or
/// whose result expired is `COMPLETED` too, and its result URL answers the stored failure. fal documents two error
/// shapes: a model error (`detail`: a list of `{loc, msg, type, url}`, optionally `X-Fal-Retryable`) and a request
/// error (`detail`: a string, `error_type` in the body and in `X-Fal-Error-Type`). Such an answer is the request's
/// final outcome (fetching it again gives the same), so it ends the attempt at once instead of being fetched again.
/// An answer without these fields (a gateway's HTML page) says nothing about the request and is not judged here.
enum FalOutcome {
    /// Request error types that mean the request was cancelled, not that it failed.
    static let canceledTypes: Set<String> = ["client_cancelled", "client_canceled"]

    /// The failure a `COMPLETED` status states itself (`error`, `error_type`), or nil when it states none.
    static func statusFailure(_ status: [String: Any], requestID: String, key: String?) -> ProviderError? {
        let errorType = status["error_type"] as? String
        let said = (status["error"] as? String).map { ProviderErrorClassifier.redact($0, key: key) }
        guard errorType != nil || said != nil else { return nil }
        if let errorType, canceledTypes.contains(errorType) { return canceled(requestID: requestID, said: said) }
        let type = errorType.map { " (error_type \($0))" } ?? ""
        return ProviderError(.retryable, MediaJobsError(.providerGenerationFailed,
            "fal: request \(requestID) completed without output: \(said ?? "no reason given")\(type); "
                + "fal bills no failed generation, so the next attempt makes a new one"))
    }

    /// The failure the result URL of a `COMPLETED` request answered, or nil when the answer is not one of fal's
    /// documented errors (or is about our access, not the request: 401, 402, 403, 429).
    static func resultFailure(_ response: HTTPResponse, requestID: String, key: String?) -> ProviderError? {
        let status = response.status
        guard !response.isSuccess, ![401, 402, 403, 429].contains(status) else { return nil }
        let body = response.jsonObject ?? [:]
        let errorType = (body["error_type"] as? String) ?? response.headers["X-Fal-Error-Type"]
        let modelErrors = (body["detail"] as? [[String: Any]]) ?? []
        let hasDetail = body["detail"] is String || !modelErrors.isEmpty
        let said = ProviderErrorClassifier.redact(ProviderErrorClassifier.providerMessage(response), key: key)
        if let errorType, canceledTypes.contains(errorType) { return canceled(requestID: requestID, said: said) }
        if status == 404 || status == 410 {
            return ProviderError(.retryable, MediaJobsError(.providerGenerationExpired,
                "fal result: HTTP \(status): \(said): the generation finished (and was billed), but its result has "
                    + "expired at fal before it was fetched"))
        }
        guard errorType != nil || hasDetail else { return nil }
        let types = modelErrors.compactMap { $0["type"] as? String } + (errorType.map { [$0] } ?? [])
        let typeText = types.isEmpty ? "" : " (\(types.joined(separator: ", ")))"
        let message = "fal result: HTTP \(status): request \(requestID) completed without output: \(said)\(typeText)"
        // fal says whether the same request may succeed again (`X-Fal-Retryable`); otherwise a server-side failure
        // may pass, and a refusal of the input will not.
        let retryable = response.headers["X-Fal-Retryable"].map { $0.lowercased() == "true" } ?? (status >= 500)
        if types.contains(where: { $0.contains("content_policy") }) {
            return ProviderError(.fallback, MediaJobsError(.providerGenerationFailed, message))
        }
        return ProviderError(retryable ? .retryable : .fatal, MediaJobsError(.providerGenerationFailed, message))
    }

    /// A request cancelled at fal (its cancel endpoint or its dashboard) rather than by this job: final, and not
    /// submitted again on its own, since someone chose to stop it.
    static func canceled(requestID: String, said: String?) -> ProviderError {
        ProviderError(.fatal, MediaJobsError(.providerCanceled,
            "fal: request \(requestID) was cancelled at the provider (\(said ?? "no reason given")); "
                + "it is not submitted again on its own (retry the job to make a new one)"))
    }
}
