import Foundation

import Hummingbird
import MediaJobsCore
import NIOCore

/// The one shape of every error answer: `{"error": {"code": "...", "message": "..."}}`.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// Maps any error to its answer. Messages of unexpected errors are not shown (they may name
    /// internals); they are logged by the middleware instead.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as MediaJobsError:
            self.init(APIError.status(for: error.code), error.code.rawValue, error.message)
        case let error as HTTPError:
            let code = switch error.status.code {
            case 404: "http.not_found"
            case 405: "http.method_not_allowed"
            case 413: "http.body_too_large"
            case 400: "http.bad_request"
            default: "http.\(error.status.code)"
            }
            self.init(error.status, code, error.body ?? error.status.reasonPhrase)
        default:
            self.init(.internalServerError, MediaJobsError.Code.internalError.rawValue, "the server failed to answer; see its log")
        }
    }

    static func status(for code: MediaJobsError.Code) -> HTTPResponse.Status {
        switch code {
        case .jobNotFound, .artifactNotFound: .notFound
        case .invalidTransition: .conflict
        case .budgetExceeded: HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")
        case .storeFailure, .internalError: .internalServerError
        default:
            code.rawValue.hasPrefix("input.") || code.rawValue.hasPrefix("provider.") ? .badRequest : .internalServerError
        }
    }

    var response: Response {
        struct Body: Encodable {
            struct Detail: Encodable { var code: String; var message: String }
            var error: Detail
        }
        let data = (try? JSONEncoder().encode(Body(error: .init(code: code, message: message)))) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ field: String, _ reason: String) -> APIError {
        APIError(.badRequest, MediaJobsError.Code.invalidInput.rawValue, "\(field): \(reason)")
    }
}

/// Turns every thrown error, including the router's own 404, into the JSON error shape.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            if let methods = RouteTable.server.methods(for: request.uri.path), !methods.contains(request.method.rawValue) {
                var answer = APIError(.methodNotAllowed, "http.method_not_allowed",
                                      "\(request.method.rawValue) \(request.uri.path): allowed \(methods.joined(separator: ", "))").response
                answer.headers[.allow] = methods.joined(separator: ", ")
                return answer
            }
            return APIError(error).response
        } catch {
            let answer = APIError(error)
            if answer.status.code >= 500 {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            return answer.response
        }
    }
}
