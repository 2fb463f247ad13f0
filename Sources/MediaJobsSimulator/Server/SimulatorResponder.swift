import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The request context: Hummingbird's core storage plus the connection, which a reset fault needs.
struct SimulatorContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Takes every request: records it, checks the credential, injects faults and hands it to its provider.
struct SimulatorResponder: HTTPResponder {
    typealias Context = SimulatorContext

    let state: SimulatorState
    let apis: [SimulatedProvider: any ProviderAPI]
    /// Largest request body accepted (a 25 MB upload plus multipart overhead, or base64 of it).
    static let maxBody = 40 * 1024 * 1024

    func respond(to request: Request, context: SimulatorContext) async throws -> Response {
        var request = request
        let fullPath = request.uri.path
        let arrived = Date()
        let body = Data(try await request.collectBody(upTo: Self.maxBody).readableBytesView)
        let method = request.method.rawValue
        let route = SimulatedProvider.route(fullPath)
        let headerList = request.headers.map { (name: $0.name.canonicalName, value: $0.value) }
        var record = RecordedRequest(
            method: method, path: fullPath, query: request.uri.query, headers: headerList, body: body,
            provider: route?.0, fault: nil, status: 0, receivedAt: arrived)

        guard let route, let api = apis[route.0] else {
            record.status = 404
            state.record(record)
            return Self.response(Answer.json(status: 404, ["error": ["message": "No simulated provider at \(fullPath)"]]))
        }
        let (provider, path) = route
        let host = request.head.authority ?? "127.0.0.1"
        var exchange = Exchange(
            method: method, path: path, query: Self.queryItems(request.uri.query), headers: request.headers,
            body: body, provider: provider, origin: "http://\(host)")

        var answer: Answer
        var fault: Fault?
        if !api.isPublic(exchange) && !api.isAuthorized(exchange) {
            answer = api.render(ProviderError(401, "", code: "unauthorized"))
        } else {
            fault = state.fault(provider: provider, path: path, method: method)
            switch fault {
            case .status(let code, let retryAfter):
                answer = api.render(ProviderError(code, "", retryAfter: retryAfter))
            case .contentPolicy where provider != .replicate:
                answer = api.render(api.policyRefusal())
            case .contentPolicy:
                exchange.jobFailure = api.policyRefusal().message
                answer = await Self.handle(exchange, api)
            case .unknownModel:
                let model = (try? exchange.jsonObject())?.string("model") ?? Self.modelInPath(path)
                answer = api.render(api.unknownModel(model))
            case .corruptMedia:
                exchange.corruptMedia = true
                answer = await Self.handle(exchange, api)
            case .jobFailure(let message):
                exchange.jobFailure = message
                answer = await Self.handle(exchange, api)
            case .canceledAtProvider:
                exchange.canceledAtProvider = true
                answer = await Self.handle(exchange, api)
            case .resultExpired:
                exchange.resultExpired = true
                answer = await Self.handle(exchange, api)
            case .pngInsteadOfAskedFormat:
                exchange.deliversPNG = true
                answer = await Self.handle(exchange, api)
            default:
                answer = await Self.handle(exchange, api)
            }
        }
        if fault == .corruptMedia, answer.isMedia, answer.status == 200 {
            answer.body = MediaFactory.corrupt(answer.body)
        }
        record.status = answer.status
        if method == "POST" || method == "PUT" {
            record.images = ReceivedFile.images(
                in: body, contentType: request.headers[.contentType], file: state.file)
        }
        record.fault = fault?.description
        if !answer.isMedia && answer.body.count <= RecordedRequest.maxAnswerBytes { record.answer = answer.body }
        record.answeredAt = Date()
        state.record(record)
        return Self.deliver(answer, fault: fault, channel: context.channel)
    }

    private static func handle(_ exchange: Exchange, _ api: any ProviderAPI) async -> Answer {
        do {
            return try await api.handle(exchange)
        } catch {
            return api.render(error)
        }
    }

    /// The model named in a path such as fal's `/fal-ai/flux/dev`.
    private static func modelInPath(_ path: String) -> String {
        String(path.drop { $0 == "/" })
    }

    static func queryItems(_ query: String?) -> [String: String] {
        guard let query else { return [:] }
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if let key = parts.first { items[key] = parts.count > 1 ? parts[1] : "" }
        }
        return items
    }

    static func response(_ answer: Answer) -> Response {
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// Sends `answer`, shaped by a body fault.
    static func deliver(_ answer: Answer, fault: Fault?, channel: any Channel) -> Response {
        var answer = answer
        switch fault {
        case .wrongContentType:
            answer.headers.removeAll { $0.0.lowercased() == "content-type" }
            answer.headers.append(("Content-Type", "text/html; charset=utf-8"))
            answer.body = Data(
                "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>\n".utf8)
            return response(answer)
        case .mislabelled(let contentType) where (200..<300).contains(answer.status):
            answer.headers.removeAll { $0.0.lowercased() == "content-type" }
            answer.headers.append(("Content-Type", contentType))
            return response(answer)
        case .slowBody(let seconds):
            var base = response(answer)
            let bytes = answer.body
            base.body = ResponseBody(contentLength: bytes.count) { writer in
                let pieces = 16
                let size = max(1, (bytes.count + pieces - 1) / pieces)
                var offset = 0
                while offset < bytes.count {
                    try await Task.sleep(for: .seconds(seconds / Double(pieces)))
                    let end = min(bytes.count, offset + size)
                    try await writer.write(ByteBuffer(bytes: bytes[offset..<end]))
                    offset = end
                }
                try await writer.finish(nil)
            }
            return base
        case .truncatedBody:
            var base = response(answer)
            let bytes = answer.body
            base.body = ResponseBody(contentLength: bytes.count) { writer in
                try await writer.write(ByteBuffer(bytes: bytes.prefix(bytes.count / 2)))
                throw BodyFault.truncated
            }
            return base
        case .connectionReset:
            var base = response(answer)
            let bytes = answer.body
            base.headers[.contentLength] = nil
            base.body = ResponseBody(contentLength: nil) { writer in
                try await writer.write(ByteBuffer(bytes: bytes.prefix(max(1, bytes.count / 2))))
                // SO_LINGER 0, then a full close at once: the kernel sends RST, not FIN.
                if let socket = channel as? any SocketOptionProvider {
                    try? await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                }
                try? await channel.close(mode: .all)
                throw BodyFault.reset
            }
            return base
        default:
            return response(answer)
        }
    }

    /// Thrown from a body writer to make Hummingbird close the connection mid-body.
    enum BodyFault: Error { case truncated, reset }
}
