import Foundation

/// One section of `config.json`: a top-level key whose object a module reads for itself.
///
/// Fields are written in snake_case in the file and decoded into camelCase properties
/// (`max_width` → `maxWidth`). Every field must be optional or have a default, so that an absent
/// section or field means "the built-in default".
public protocol ConfigurationSection: Decodable, Sendable {
    /// The top-level key (`media`, `providers`, `server`, …).
    static var sectionName: String { get }
    /// The snake_case fields this section accepts; any other field is refused, naming it, so that a
    /// typo is never silently ignored.
    static var fieldNames: Set<String> { get }
    /// The value used when the file or the section is absent.
    static var defaults: Self { get }
}

/// The user's configuration: `config.json` in the MediaJobs home, optional, one section per module.
///
/// The file is read once; each module asks for its own section by type, so adding a section never
/// touches this type. Errors name the file, the path and the reason:
/// `config.json: media.max_width: expected a whole number`.
public struct Configuration: Sendable {
    /// The file name used in error messages.
    public let source: String
    private let sections: [String: Data]

    /// No file: every section has its defaults.
    public static let empty = Configuration(source: "config.json", sections: [:])

    private init(source: String, sections: [String: Data]) {
        self.source = source
        self.sections = sections
    }

    /// Parses a configuration document.
    public init(json data: Data, source: String = "config.json") throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw MediaJobsError(.invalidInput, "\(source): not valid JSON (\(detail))")
        }
        guard let document = object as? [String: Any] else {
            throw MediaJobsError(.invalidInput, "\(source): the configuration must be a JSON object")
        }
        var sections: [String: Data] = [:]
        for (name, value) in document {
            guard value is [String: Any] else {
                throw MediaJobsError(.invalidInput, "\(source): \(name): expected an object")
            }
            sections[name] = try JSONSerialization.data(withJSONObject: value)
        }
        self.init(source: source, sections: sections)
    }

    /// Reads `url`; a missing file is the empty configuration.
    public static func load(from url: URL) throws -> Configuration {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch CocoaError.fileReadNoSuchFile {
            return .empty
        } catch {
            throw MediaJobsError(.invalidInput, "\(url.path): cannot read the configuration", underlying: error)
        }
        return try Configuration(json: data, source: url.lastPathComponent)
    }

    /// The names of the sections present in the file.
    public var sectionNames: [String] { sections.keys.sorted() }

    /// The section `T`, or its defaults when the file has none.
    public func section<T: ConfigurationSection>(_ type: T.Type = T.self) throws -> T {
        guard let data = sections[T.sectionName] else { return T.defaults }
        let prefix = "\(source): \(T.sectionName)"
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for key in object.keys.sorted() where !T.fieldNames.contains(key) {
                let known = T.fieldNames.sorted().joined(separator: ", ")
                throw MediaJobsError(.invalidInput, "\(prefix).\(key): unknown field (known: \(known))")
            }
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            // The decoder reports camelCase property names; the file has snake_case ones.
            let text = JobSpec.describe(error)
            let split = text.range(of: ": ") ?? text.endIndex..<text.endIndex
            let path = Configuration.snakeCased(String(text[..<split.lowerBound]))
            throw MediaJobsError(.invalidInput, "\(prefix).\(path)\(text[split.lowerBound...])", underlying: error)
        }
    }

    /// The section `name` decoded as `T` with its field names as written (no snake_case conversion), for a section
    /// whose entries have the shape of another file's (the `catalog` section's models are those of catalog.json);
    /// nil when the file has no such section. Errors name the file, the path and the reason.
    public func section<T: Decodable>(named name: String, as type: T.Type) throws -> T? {
        guard let data = sections[name] else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw MediaJobsError(.invalidInput, "\(source): \(name).\(JobSpec.describe(error))", underlying: error)
        }
    }

    static func snakeCased(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
