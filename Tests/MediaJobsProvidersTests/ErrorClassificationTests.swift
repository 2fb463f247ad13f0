import Foundation
import MediaJobsCore
import MediaJobsHTTP
@testable import MediaJobsProviders
import Testing

@Suite("error classification from status codes, envelopes and Retry-After")
struct ErrorClassificationTests {
    private func response(_ status: Int, _ body: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders(headers + [("Content-Type", "application/json")]), body: Data(body.utf8))
    }

    private func classify(_ status: Int, _ body: String, headers: [(name: String, value: String)] = [],
                          key: String? = nil) -> ProviderError {
        ProviderErrorClassifier.classify(response(status, body, headers: headers), provider: "openrouter", action: "speech", key: key)
    }

    @Test("429 is retryable, keeps Retry-After and says what the provider said")
    func rateLimited() {
        let error = classify(429, #"{"error":{"code":429,"message":"Rate limit exceeded: free-models-per-min"}}"#,
                             headers: [("Retry-After", "7")])
        #expect(error.classification == .retryable)
        #expect(error.retryAfter == 7)
        #expect(error.error.code == .rateLimited)
        #expect(error.error.message == "openrouter speech: HTTP 429: Rate limit exceeded: free-models-per-min")
    }

    @Test("5xx, 408, 524 and 529 are retryable")
    func serverErrors() {
        for status in [500, 502, 503, 408, 524, 529] {
            #expect(classify(status, #"{"error":{"message":"upstream"}}"#).classification == .retryable, "status \(status)")
        }
    }

    @Test("401, 403, 402 and OpenAI's insufficient_quota 429 fail the route, not the job, each with its own code")
    func accountRefusals() {
        let unauthorized = classify(401, #"{"error":{"code":401,"message":"No auth credentials found"}}"#)
        #expect(unauthorized.classification == .fallback)
        #expect(unauthorized.error.code == .providerUnauthorized)
        #expect(unauthorized.isAccountRefusal)
        let forbidden = classify(403, #"{"error":{"code":403,"message":"This key is disabled"}}"#)
        #expect(forbidden.classification == .fallback && forbidden.error.code == .providerUnauthorized)
        let credits = classify(402, #"{"error":{"code":402,"message":"Insufficient credits. Add more using https://openrouter.ai/credits"}}"#)
        #expect(credits.classification == .fallback)
        #expect(credits.error.code == .providerInsufficientCredits)
        #expect(credits.error.message.contains("Insufficient credits"))
        let quota = classify(429, #"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#)
        #expect(quota.classification == .fallback && quota.error.code == .providerInsufficientCredits)
        // A 403 that is a content-policy refusal is about the request, not the account.
        let policy = classify(403, #"{"error":{"code":403,"message":"Input flagged by moderation"}}"#)
        #expect(!policy.isAccountRefusal)
    }

    @Test("a key's fingerprint is 8 hex digits of its SHA-256, never the key")
    func keyFingerprint() {
        // SHA-256("sk-test") = f3abf2a6cc4f…
        let fingerprint = ProviderAccount.fingerprint(of: "sk-test")
        #expect(fingerprint == "sha256:f3abf2a6", "\(fingerprint)")
        #expect(fingerprint != ProviderAccount.fingerprint(of: "sk-test2"))
        #expect(!fingerprint.contains("sk-test"))
    }

    @Test("unknown model, unsupported parameter and content policy move to the next route")
    func fallback() {
        #expect(classify(404, #"{"error":{"message":"Model foo/bar does not exist"}}"#).classification == .fallback)
        #expect(classify(400, #"{"error":{"message":"voice 'x' is not supported by this model"}}"#).classification == .fallback)
        let policy = classify(400, #"{"error":{"message":"Your request was rejected by our safety system","code":"content_policy_violation"}}"#)
        #expect(policy.classification == .fallback)
    }

    @Test("a plain bad request is fatal bad input")
    func badInput() {
        let error = classify(400, #"{"success":false,"error":{"name":"ZodError","message":"input: Required"}}"#)
        #expect(error.classification == .fatal)
        #expect(error.error.code == .invalidInput)
        #expect(error.error.message.hasSuffix("input: Required"))
    }

    @Test("fal's 422 detail list and Replicate's detail string are quoted")
    func otherEnvelopes() {
        let fal = ProviderErrorClassifier.classify(
            response(422, #"{"detail":[{"loc":["body","prompt"],"msg":"field required","type":"value_error.missing"}]}"#),
            provider: "fal", action: "submit", key: nil)
        #expect(fal.error.message == "fal submit: HTTP 422: body.prompt: field required")
        let replicate = ProviderErrorClassifier.classify(
            response(429, #"{"detail":"Request was throttled. Your rate limit resets in ~30s."}"#, headers: [("Retry-After", "30")]),
            provider: "replicate", action: "create prediction", key: nil)
        #expect(replicate.classification == .retryable)
        #expect(replicate.retryAfter == 30)
        #expect(replicate.error.message.contains("Request was throttled"))
    }

    @Test("a key echoed by the provider never reaches the message")
    func redactsKey() {
        let key = "sk-or-v1-PLANTED-0123456789"
        let error = classify(401, #"{"error":{"message":"Invalid key sk-or-v1-PLANTED-0123456789"}}"#, key: key)
        #expect(!error.error.message.contains(key))
        #expect(error.error.message.contains("[redacted]"))
    }

    @Test("a sent create request without an answer is an unknown outcome, not retried")
    func unknownOutcome() {
        let timeout = HTTPClientError(kind: .timeout, message: "POST http://x/videos: timed out", curlCode: 28, requestSent: true)
        let create = ProviderErrorClassifier.classify(timeout, provider: "openrouter", action: "video submit", creates: true, key: nil)
        #expect(create.classification == .fatal)
        #expect(create.error.code == .providerOutcomeUnknown)
        let poll = ProviderErrorClassifier.classify(timeout, provider: "openrouter", action: "video poll", creates: false, key: nil)
        #expect(poll.classification == .retryable)
        let refused = HTTPClientError(kind: .connect, message: "refused", curlCode: 7, requestSent: false)
        #expect(ProviderErrorClassifier.classify(refused, provider: "fal", action: "submit", creates: true, key: nil)
            .classification == .retryable)
    }

    @Test("Retry-After as an HTTP date and OpenRouter's X-RateLimit-Reset in milliseconds")
    func retryAfterForms() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let date = HTTPHeaders([("Retry-After", "Fri, 15 Jan 2027 08:00:10 GMT")])
        let base = ISO8601DateFormatter().date(from: "2027-01-15T08:00:00Z")!
        #expect(ProviderErrorClassifier.retryAfterSeconds(date, now: base) == 10)
        let reset = HTTPHeaders([("X-RateLimit-Reset", "\(Int64((now.timeIntervalSince1970 + 12) * 1000))")])
        #expect(ProviderErrorClassifier.retryAfterSeconds(reset, now: now) == 12)
    }
}
