import Foundation
import Yams

/// OpenRouter's OpenAPI document (`Resources/openrouter-openapi.yaml`, as published in OpenRouterTeam/docs),
/// read once per process, and the request and response checks made from it.
public struct OpenRouterSchema: @unchecked Sendable {
    let validator: JSONSchemaValidator
    private var paths: [String: Any] { validator.document["paths"] as? [String: Any] ?? [:] }

    /// The document bundled with the simulator, parsed on first use.
    public static func bundled() throws -> OpenRouterSchema { try loaded.get() }

    private static let loaded: Result<OpenRouterSchema, any Error> = Result {
        guard let url = Bundle.module.url(forResource: "openrouter-openapi", withExtension: "yaml") else {
            throw SimulatorSpecError("openrouter-openapi.yaml is missing from the simulator's resources")
        }
        return try OpenRouterSchema(yaml: String(contentsOf: url, encoding: .utf8))
    }

    public init(yaml: String) throws {
        guard let document = try Yams.load(yaml: yaml) as? [String: Any] else {
            throw SimulatorSpecError("the OpenAPI document is not a mapping")
        }
        validator = JSONSchemaValidator(document: document)
    }

    /// The operation's schema for a JSON request body, nil when the path has none.
    func requestSchema(path: String, method: String) -> Any? {
        guard let operation = operation(path: path, method: method),
            let body = resolved(operation["requestBody"]),
            let content = body["content"] as? [String: Any],
            let json = content["application/json"] as? [String: Any]
        else { return nil }
        return json["schema"]
    }

    /// The operation's schema for a `multipart/form-data` request body, nil when the path takes none.
    func multipartSchema(path: String, method: String) -> [String: Any]? {
        guard let operation = operation(path: path, method: method),
            let body = resolved(operation["requestBody"]),
            let content = body["content"] as? [String: Any],
            let form = content["multipart/form-data"] as? [String: Any]
        else { return nil }
        return resolved(form["schema"])
    }

    /// Problems with `form` as a multipart request to `path`, its fields read the way the schema describes them:
    /// repeated `name[]` parts as one list, a file part as a string, numbers where the schema has numbers.
    /// Empty when it conforms or the path takes no multipart body.
    func validateMultipart(path: String, method: String, form: MultipartForm) -> [String] {
        guard let schema = multipartSchema(path: path, method: method) else { return [] }
        let properties = schema["properties"] as? [String: Any] ?? [:]
        var fields: [String: Any] = [:]
        for part in form.parts {
            let declared = (properties[part.name] as? [String: Any])?["type"] as? String
            if declared == "array" {
                fields[part.name] = (fields[part.name] as? [Any] ?? []) + [part.text]
            } else if part.filename != nil {
                fields[part.name] = "(\(part.data.count) bytes)"
            } else if declared == "number" || declared == "integer", let number = Double(part.text) {
                fields[part.name] = number
            } else {
                fields[part.name] = part.text
            }
        }
        return validator.validate(fields, against: schema)
    }

    /// The operation's schema for a JSON response with `status`.
    func responseSchema(path: String, method: String, status: Int) -> Any? {
        guard let operation = operation(path: path, method: method),
            let responses = operation["responses"] as? [String: Any],
            let response = resolved(responses[String(status)] ?? responses["default"]),
            let content = response["content"] as? [String: Any],
            let json = content["application/json"] as? [String: Any]
        else { return nil }
        return json["schema"]
    }

    /// Problems with `body` as a request to `path` (after `/api/v1`); empty when it conforms or the path
    /// takes no JSON body.
    public func validateRequest(path: String, method: String, body: Any) -> [String] {
        guard let schema = requestSchema(path: path, method: method) else { return [] }
        return validator.validate(body, against: schema)
    }

    /// Problems with a JSON response; nil when the document describes no JSON answer for that status.
    public func validateResponse(path: String, method: String, status: Int, body: Any) -> [String]? {
        guard let schema = responseSchema(path: path, method: method, status: status) else { return nil }
        return validator.validate(body, against: schema)
    }

    /// The operation for a concrete path, matching templates such as `/videos/{jobId}`.
    private func operation(path: String, method: String) -> [String: Any]? {
        if let exact = paths[path] as? [String: Any] { return exact[method.lowercased()] as? [String: Any] }
        let wanted = path.split(separator: "/")
        for (template, item) in paths {
            let parts = template.split(separator: "/")
            guard parts.count == wanted.count else { continue }
            let matches = zip(parts, wanted).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
            if matches, let operations = item as? [String: Any], let operation = operations[method.lowercased()] {
                return operation as? [String: Any]
            }
        }
        return nil
    }

    private func resolved(_ raw: Any?) -> [String: Any]? {
        guard let object = raw as? [String: Any] else { return nil }
        if let ref = object["$ref"] as? String { return validator.lookup(ref) }
        return object
    }
}

extension RecordedRequest {
    /// For a JSON or multipart request to the simulated OpenRouter: what breaks `openrouter-openapi.yaml` (empty
    /// when it conforms); nil for other providers, other bodies and bodiless requests. Lets a client's tests
    /// prove every OpenRouter request they sent was valid, including ones a fault answered.
    public var openRouterSchemaProblems: [String]? {
        guard provider == .openrouter, !body.isEmpty, let schema = try? OpenRouterSchema.bundled() else { return nil }
        let path = String(self.path.dropFirst(SimulatedProvider.openrouter.pathPrefix.count))
        let contentType = header("Content-Type") ?? ""
        if let form = MultipartForm(body: body, contentType: contentType) {
            return schema.validateMultipart(path: path, method: method, form: form)
        }
        guard contentType.lowercased().hasPrefix("application/json") else { return nil }
        guard let document = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            return ["body: not JSON"]
        }
        return schema.validateRequest(path: path, method: method, body: document)
    }
}
