import Crypto
import Foundation

import Hummingbird

/// Requires `Authorization: Bearer <token>` (or the dashboard's `mediajobs_token` cookie) on the API.
///
/// `/healthz` and the dashboard's static files stay open: they carry no data. Tokens are compared
/// as SHA-256 digests with a loop that never exits early, so the time taken says nothing about
/// how much of a guess was right.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    private let expected: [UInt8]

    init(token: String) {
        expected = Array(SHA256.hash(data: Data(token.utf8)))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let open = path == "/healthz" || path == "/" || path == "/dashboard.css" || path == "/dashboard.js"
            || path == "/openapi.json"
        if open || matches(presented(request)) {
            return try await next(request, context)
        }
        var answer = APIError(.unauthorized, "auth.unauthorized", "this server needs Authorization: Bearer <token>").response
        answer.headers[.wwwAuthenticate] = "Bearer"
        return answer
    }

    private func presented(_ request: Request) -> String? {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            return String(header.dropFirst("Bearer ".count))
        }
        for cookie in request.headers[values: .cookie].flatMap({ $0.split(separator: ";") }) {
            let pair = cookie.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix("mediajobs_token=") {
                return String(pair.dropFirst("mediajobs_token=".count)).removingPercentEncoding
            }
        }
        return nil
    }

    private func matches(_ token: String?) -> Bool {
        let digest = Array(SHA256.hash(data: Data((token ?? "").utf8)))
        var difference: UInt8 = token == nil ? 1 : 0
        for (a, b) in zip(digest, expected) { difference |= a ^ b }
        return difference == 0
    }
}
