import Foundation

/// Checks a JSON value (as `JSONSerialization` reads it) against a JSON Schema as OpenAPI 3 writes one.
///
/// The subset: `type` (one or a list, `null` included, and OpenAPI's `nullable`), `required`, `properties`,
/// `additionalProperties` (false or a schema), `enum`, `const`, `items`, `allOf`, `anyOf` and `oneOf` (both read
/// as "at least one matches": OpenRouter's unions are discriminated and often overlap), `$ref` to
/// `#/components/…`, `minimum`/`maximum` (with `exclusiveMinimum`/`exclusiveMaximum` as flag or bound),
/// `minLength`/`maxLength` and `minItems`/`maxItems`. Formats and patterns are not checked.
struct JSONSchemaValidator: @unchecked Sendable {
    /// The whole document, for `$ref`. Read-only after init.
    let document: [String: Any]

    /// Problems found, each naming where: "input: expected string, got number".
    func validate(_ value: Any, against schema: Any, at path: String = "") -> [String] {
        var problems: [String] = []
        check(value, schema, path.isEmpty ? "body" : path, &problems, depth: 0)
        return problems
    }

    private func resolve(_ schema: Any) -> [String: Any]? {
        guard var object = schema as? [String: Any] else { return nil }
        var hops = 0
        while let ref = object["$ref"] as? String, hops < 32 {
            guard let target = lookup(ref) else { return nil }
            object = target
            hops += 1
        }
        return object
    }

    func lookup(_ ref: String) -> [String: Any]? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: Any = document
        for key in ref.dropFirst(2).split(separator: "/") {
            let key = key.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let next = (node as? [String: Any])?[key] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    private func check(_ value: Any, _ rawSchema: Any, _ path: String, _ problems: inout [String], depth: Int) {
        guard depth < 64, let schema = resolve(rawSchema) else { return }
        if value is NSNull, schema["nullable"] as? Bool == true { return }

        if let types = Self.types(schema["type"]) {
            let actual = Self.kind(of: value)
            let ok = types.contains(actual) || (actual == "integer" && types.contains("number"))
            if !ok {
                problems.append("\(path): expected \(types.joined(separator: " or ")), got \(actual)")
                return
            }
        }
        if let options = schema["enum"] as? [Any], !options.contains(where: { Self.equal($0, value) }) {
            let shown = options.prefix(12).map { "\($0)" }.joined(separator: ", ")
            problems.append("\(path): '\(value)' is not one of [\(shown)]")
        }
        if let constant = schema["const"], !Self.equal(constant, value) {
            problems.append("\(path): must be \(constant)")
        }
        for part in schema["allOf"] as? [Any] ?? [] {
            check(value, part, path, &problems, depth: depth + 1)
        }
        for key in ["anyOf", "oneOf"] {
            guard let options = schema[key] as? [Any], !options.isEmpty else { continue }
            var best: [String]?
            for option in options {
                var local: [String] = []
                check(value, option, path, &local, depth: depth + 1)
                if local.isEmpty {
                    best = nil
                    break
                }
                if best == nil || local.count < best!.count { best = local }
            }
            if let best {
                problems.append("\(path): matches none of the \(options.count) allowed shapes (closest: \(best.first ?? ""))")
            }
        }
        if let number = value as? NSNumber, !Self.isBool(value) {
            let x = number.doubleValue
            if let min = Self.number(schema["minimum"]) {
                let exclusive = schema["exclusiveMinimum"] as? Bool == true
                if exclusive ? x <= min : x < min { problems.append("\(path): \(x) is below the minimum \(min)") }
            }
            if !(schema["exclusiveMinimum"] is Bool), let min = Self.number(schema["exclusiveMinimum"]), x <= min {
                problems.append("\(path): \(x) must be greater than \(min)")
            }
            if let max = Self.number(schema["maximum"]) {
                let exclusive = schema["exclusiveMaximum"] as? Bool == true
                if exclusive ? x >= max : x > max { problems.append("\(path): \(x) is above the maximum \(max)") }
            }
            if !(schema["exclusiveMaximum"] is Bool), let max = Self.number(schema["exclusiveMaximum"]), x >= max {
                problems.append("\(path): \(x) must be less than \(max)")
            }
        }
        if let text = value as? String {
            if let min = schema["minLength"] as? Int, text.count < min {
                problems.append("\(path): shorter than \(min) characters")
            }
            if let max = schema["maxLength"] as? Int, text.count > max {
                problems.append("\(path): longer than \(max) characters")
            }
        }
        if let array = value as? [Any] {
            if let min = schema["minItems"] as? Int, array.count < min { problems.append("\(path): fewer than \(min) items") }
            if let max = schema["maxItems"] as? Int, array.count > max { problems.append("\(path): more than \(max) items") }
            if let items = schema["items"] {
                for (index, item) in array.enumerated() {
                    check(item, items, "\(path)[\(index)]", &problems, depth: depth + 1)
                }
            }
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(path).\(key): required")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, child) in object.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[key] {
                    check(child, propertySchema, "\(path).\(key)", &problems, depth: depth + 1)
                } else if let additional = schema["additionalProperties"] {
                    if let allowed = additional as? Bool, !allowed {
                        problems.append("\(path).\(key): unknown property")
                    } else if additional is [String: Any] {
                        check(child, additional, "\(path).\(key)", &problems, depth: depth + 1)
                    }
                }
            }
        }
    }

    static func types(_ raw: Any?) -> [String]? {
        if let one = raw as? String { return [one] }
        if let many = raw as? [String] { return many }
        return nil
    }

    /// JSON's name for the value's type; a whole number is "integer".
    static func kind(of value: Any) -> String {
        if value is NSNull { return "null" }
        if isBool(value) { return "boolean" }
        if let number = value as? NSNumber {
            let double = number.doubleValue
            return double == double.rounded() && abs(double) < 1e15 ? "integer" : "number"
        }
        if value is String { return "string" }
        if value is [Any] { return "array" }
        if value is [String: Any] { return "object" }
        return "unknown"
    }

    /// `JSONSerialization` reads true and false as NSNumbers of objCType "c".
    static func isBool(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    /// A number written in the schema (Yams gives Int or Double) or in JSON (NSNumber).
    static func number(_ raw: Any?) -> Double? {
        switch raw {
        case let value as Int: Double(value)
        case let value as Double: value
        case let value as NSNumber where !isBool(value): value.doubleValue
        default: nil
        }
    }

    /// Equality of a schema constant (from YAML) and a JSON value.
    static func equal(_ schemaValue: Any, _ value: Any) -> Bool {
        if let x = schemaValue as? String { return (value as? String) == x }
        if schemaValue is NSNull { return value is NSNull }
        if schemaValue is Bool, let flag = schemaValue as? Bool { return isBool(value) && (value as? Bool) == flag }
        if let x = number(schemaValue), !isBool(value), let y = number(value) { return x == y }
        return false
    }
}
