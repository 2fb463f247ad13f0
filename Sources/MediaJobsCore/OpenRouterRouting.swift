import Foundation

/// OpenRouter's routing preferences, its `provider` object: which upstream providers may serve a request and
/// in what order, plus options passed through to one provider (`options: {"openai": {"instructions": …}}`).
///
/// Set in `config.json` (`providers.openrouter.routing`) and per job (`provider_options.openrouter`); the job's
/// fields win over the configuration's, and per-provider `options` are merged key by key.
public struct OpenRouterRouting: Sendable, Equatable, Codable {
    /// The preferences as they are sent, field by field.
    public var fields: [String: JSONValue]

    /// The fields MediaJobs accepts, as OpenRouter's OpenAPI document names them.
    public static let fieldNames: [String] = [
        "allow_fallbacks", "data_collection", "ignore", "only", "options", "order", "sort", "zdr",
    ]
    public static let sortStrategies = ["price", "throughput", "latency", "exacto"]

    public init(_ fields: [String: JSONValue] = [:]) {
        self.fields = fields
    }

    public init(from decoder: any Decoder) throws {
        fields = try decoder.singleValueContainer().decode([String: JSONValue].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(fields)
    }

    public var isEmpty: Bool { fields.isEmpty }

    /// Checks each field's type and values; errors name `field` + the key and the reason
    /// (`provider_options.openrouter.sort: 'cheap' is not one of price, throughput, latency, exacto`).
    public func validate(field: String) throws {
        func fail(_ key: String, _ reason: String) -> MediaJobsError {
            MediaJobsError.invalidInput("\(field).\(key)", reason)
        }
        for key in fields.keys.sorted() {
            guard let value = fields[key] else { continue }
            switch key {
            case "order", "only", "ignore":
                guard case .array(let items) = value else { throw fail(key, "expected a list of provider slugs") }
                for (index, item) in items.enumerated() {
                    guard case .string(let slug) = item, !slug.trimmingCharacters(in: .whitespaces).isEmpty else {
                        throw MediaJobsError.invalidInput("\(field).\(key)[\(index)]", "expected a provider slug (a non-empty string)")
                    }
                }
            case "allow_fallbacks", "zdr":
                guard case .bool = value else { throw fail(key, "expected true or false") }
            case "data_collection":
                guard case .string(let text) = value, ["allow", "deny"].contains(text) else {
                    throw fail(key, "expected \"allow\" or \"deny\"")
                }
            case "sort":
                try Self.validateSort(value, field: "\(field).sort")
            case "options":
                guard case .object(let slugs) = value else {
                    throw fail(key, "expected an object of provider slug → options object")
                }
                for slug in slugs.keys.sorted() {
                    guard case .object = slugs[slug] else {
                        throw MediaJobsError.invalidInput("\(field).options.\(slug)", "expected an object of options for that provider")
                    }
                }
            default:
                throw fail(key, "unknown field (known: \(Self.fieldNames.joined(separator: ", ")))")
            }
        }
    }

    private static func validateSort(_ value: JSONValue, field: String) throws {
        let known = sortStrategies.joined(separator: ", ")
        switch value {
        case .string(let text):
            guard sortStrategies.contains(text) else { throw MediaJobsError.invalidInput(field, "'\(text)' is not one of \(known)") }
        case .object(let object):
            for key in object.keys.sorted() {
                switch (key, object[key]) {
                case ("by", .string(let by)?) where sortStrategies.contains(by): continue
                case ("by", _): throw MediaJobsError.invalidInput("\(field).by", "expected one of \(known)")
                case ("partition", .string(let partition)?) where ["model", "none"].contains(partition): continue
                case ("partition", _): throw MediaJobsError.invalidInput("\(field).partition", "expected \"model\" or \"none\"")
                default: throw MediaJobsError.invalidInput("\(field).\(key)", "unknown field (known: by, partition)")
                }
            }
        default:
            throw MediaJobsError.invalidInput(field, "expected one of \(known), or an object with by and partition")
        }
    }

    /// These preferences with `override`'s fields put over them: a field `override` sets replaces this one,
    /// except `options`, which is merged per provider slug and then per option (the override's value wins).
    public func merged(with override: OpenRouterRouting?) -> OpenRouterRouting {
        guard let override else { return self }
        var result = fields
        for (key, value) in override.fields {
            if key == "options", case .object(let base)? = result[key], case .object(let top) = value {
                var slugs = base
                for (slug, options) in top {
                    if case .object(let baseOptions)? = slugs[slug], case .object(let topOptions) = options {
                        slugs[slug] = .object(baseOptions.merging(topOptions) { $1 })
                    } else {
                        slugs[slug] = options
                    }
                }
                result[key] = .object(slugs)
            } else {
                result[key] = value
            }
        }
        return OpenRouterRouting(result)
    }
}

/// Per-provider settings a job carries (`provider_options` in the job document); only OpenRouter has any.
public struct ProviderOptions: Sendable, Equatable, Codable {
    /// OpenRouter's routing preferences for this job.
    public var openrouter: OpenRouterRouting?

    public init(openrouter: OpenRouterRouting? = nil) {
        self.openrouter = openrouter
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case openrouter
    }
}
