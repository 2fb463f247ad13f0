import Foundation

/// One thing wrong with a model input, in terms both fal (pydantic's `detail` items) and Replicate
/// (`invalid_fields`) can render.
struct SchemaProblem: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case missing
        case unknown
        /// Expected JSON type: "string", "integer", "number", "boolean", "object".
        case type(String)
        /// Not one of the allowed values.
        case choice([String])
        case tooSmall(String)
        case tooLarge(String)
        /// Not a URL or data URI where one is needed.
        case url
    }

    /// The input field, dotted for nested ones: "image_size.width".
    var field: String
    var kind: Kind
    /// The JSON type of the value given, for a type problem.
    var given: String? = nil

    /// pydantic's message and type, as fal's 422 `detail` items carry them.
    var falMessage: (msg: String, type: String) {
        switch kind {
        case .missing: ("Field required", "missing")
        case .unknown: ("Extra inputs are not permitted", "extra_forbidden")
        case .type("string"): ("Input should be a valid string", "string_type")
        case .type("integer"): ("Input should be a valid integer", "int_type")
        case .type("number"): ("Input should be a valid number", "float_type")
        case .type("boolean"): ("Input should be a valid boolean", "bool_type")
        case .type(let other): ("Input should be a valid \(other)", "\(other)_type")
        case .choice(let options): ("Input should be " + Self.orList(options.map { "'\($0)'" }), "literal_error")
        case .tooSmall(let bound): ("Input should be greater than or equal to \(bound)", "greater_than_equal")
        case .tooLarge(let bound): ("Input should be less than or equal to \(bound)", "less_than_equal")
        case .url: ("Input should be a valid URL or data URI", "url_parsing")
        }
    }

    /// Replicate's `invalid_fields` type and description (its JSON-schema validator's wording).
    var replicateMessage: (type: String, description: String) {
        let name = field.split(separator: ".").last.map(String.init) ?? field
        switch kind {
        case .missing: return ("required", "\(name) is required")
        case .unknown: return ("additional_property_not_allowed", "Additional property \(name) is not allowed")
        case .type(let expected): return ("invalid_type", "Invalid type. Expected: \(expected), given: \(given ?? "unknown")")
        case .choice(let options):
            return ("enum", "\(name) must be one of the following: " + options.map { "\"\($0)\"" }.joined(separator: ", "))
        case .tooSmall(let bound): return ("number_gte", "Must be greater than or equal to \(bound)")
        case .tooLarge(let bound): return ("number_lte", "Must be less than or equal to \(bound)")
        case .url: return ("format", "Does not match format 'uri'")
        }
    }

    private static func orList(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " or " + items.last!
    }
}

/// The input fields a model accepts, with their types, as its API page documents them.
///
/// Closed: a field the model does not list is refused, as a wrong type or a value out of range is.
struct ModelInputSchema: Sendable {
    enum FieldType: Sendable {
        case string
        /// An `http(s)://` URL or a `data:` URI (how fal and Replicate take files).
        case url
        case integer(min: Int? = nil, max: Int? = nil)
        case number(min: Double? = nil, max: Double? = nil)
        case boolean
        /// A string from a fixed list.
        case choice([String])
        /// fal's image size: a preset name or `{"width": W, "height": H}`.
        case falImageSize
    }

    /// The model id as the provider names it ("fal-ai/flux/schnell", "openai/whisper").
    var model: String
    var fields: [String: FieldType]
    var required: [String]

    /// Problems with `input`; empty when it conforms. Missing fields first, then the rest in field order.
    func validate(_ input: [String: Any]) -> [SchemaProblem] {
        var problems = required.filter { input[$0] == nil || input[$0] is NSNull }
            .map { SchemaProblem(field: $0, kind: .missing) }
        for (name, value) in input.sorted(by: { $0.key < $1.key }) {
            guard let type = fields[name] else {
                problems.append(SchemaProblem(field: name, kind: .unknown))
                continue
            }
            problems += Self.check(value, type, field: name)
        }
        return problems
    }

    /// For a model without a schema: problems with the fields of `input` that `common` names; others pass.
    static func checkCommon(_ input: [String: Any], _ common: [String: FieldType]) -> [SchemaProblem] {
        input.sorted(by: { $0.key < $1.key }).flatMap { name, value in
            common[name].map { check(value, $0, field: name) } ?? []
        }
    }

    /// Problems with one value of `type`.
    static func check(_ value: Any, _ type: FieldType, field: String) -> [SchemaProblem] {
        let kind = JSONSchemaValidator.kind(of: value)
        return checkKind(value, kind, type, field: field).map { problem in
            var problem = problem
            if case .type = problem.kind { problem.given = kind }
            return problem
        }
    }

    private static func checkKind(_ value: Any, _ kind: String, _ type: FieldType, field: String) -> [SchemaProblem] {
        switch type {
        case .string:
            return kind == "string" ? [] : [SchemaProblem(field: field, kind: .type("string"))]
        case .url:
            guard let text = value as? String else { return [SchemaProblem(field: field, kind: .type("string"))] }
            return ReceivedFile.isURLOrDataURI(text) ? [] : [SchemaProblem(field: field, kind: .url)]
        case .boolean:
            return kind == "boolean" ? [] : [SchemaProblem(field: field, kind: .type("boolean"))]
        case .integer(let min, let max):
            guard kind == "integer", let number = (value as? NSNumber)?.intValue else {
                return [SchemaProblem(field: field, kind: .type("integer"))]
            }
            if let min, number < min { return [SchemaProblem(field: field, kind: .tooSmall(String(min)))] }
            if let max, number > max { return [SchemaProblem(field: field, kind: .tooLarge(String(max)))] }
            return []
        case .number(let min, let max):
            guard kind == "integer" || kind == "number", let number = (value as? NSNumber)?.doubleValue else {
                return [SchemaProblem(field: field, kind: .type("number"))]
            }
            if let min, number < min { return [SchemaProblem(field: field, kind: .tooSmall(format(min)))] }
            if let max, number > max { return [SchemaProblem(field: field, kind: .tooLarge(format(max)))] }
            return []
        case .choice(let options):
            guard let text = value as? String, options.contains(text) else {
                return [SchemaProblem(field: field, kind: .choice(options))]
            }
            return []
        case .falImageSize:
            if let preset = value as? String {
                return falImagePresets.keys.contains(preset)
                    ? [] : [SchemaProblem(field: field, kind: .choice(falImagePresetNames))]
            }
            guard let size = value as? [String: Any] else {
                return [SchemaProblem(field: field, kind: .choice(falImagePresetNames))]
            }
            let sides: [String: FieldType] = [
                "width": .integer(min: 1, max: 14142), "height": .integer(min: 1, max: 14142),
            ]
            var problems: [SchemaProblem] = []
            for (name, side) in sides.sorted(by: { $0.key < $1.key }) {
                if let given = size[name] {
                    problems += check(given, side, field: "\(field).\(name)")
                }
            }
            for name in size.keys.sorted() where sides[name] == nil {
                problems.append(SchemaProblem(field: "\(field).\(name)", kind: .unknown))
            }
            return problems
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// fal's image size presets and the pixels each stands for (flux's API reference).
    static let falImagePresets: [String: (width: Int, height: Int)] = [
        "square_hd": (1024, 1024), "square": (512, 512), "portrait_4_3": (768, 1024), "portrait_16_9": (576, 1024),
        "landscape_4_3": (1024, 768), "landscape_16_9": (1024, 576),
    ]
    static let falImagePresetNames = [
        "square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9",
    ]
}
