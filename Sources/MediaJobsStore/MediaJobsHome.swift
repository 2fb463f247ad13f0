import Foundation
import MediaJobsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder that holds everything MediaJobs keeps: the database, the artifacts and the configuration.
///
/// The artifacts may live elsewhere (a folder every machine of a fleet mounts): see
/// `choosingArtifacts(explicit:environment:)`.
public struct MediaJobsHome: Sendable, Equatable, CustomStringConvertible {
    public let url: URL
    /// The artifact store's folder: `<home>/artifacts` unless another was chosen.
    public let artifactsURL: URL
    /// Who chose `artifactsURL`: `--artifacts`, `MEDIAJOBS_ARTIFACTS`, `config.json storage.artifacts_dir` or `default`.
    public let artifactsSource: String

    public init(url: URL) {
        self.url = url.standardizedFileURL
        self.artifactsURL = self.url.appendingPathComponent("artifacts", isDirectory: true)
        self.artifactsSource = "default"
    }

    /// A home whose artifacts are in `artifactsURL`, chosen by `source`.
    public init(url: URL, artifactsURL: URL, source: String) {
        self.url = url.standardizedFileURL
        self.artifactsURL = artifactsURL.standardizedFileURL
        self.artifactsSource = source
    }

    /// `mediajobs.sqlite`
    public var databaseURL: URL { url.appendingPathComponent("mediajobs.sqlite", isDirectory: false) }
    /// `config.json` (optional)
    public var configURL: URL { url.appendingPathComponent("config.json", isDirectory: false) }

    public var description: String { url.path }

    /// Picks the home folder: `explicit` (the `--home` flag), else `MEDIAJOBS_HOME`, else
    /// `$XDG_DATA_HOME/mediajobs`, else `~/.local/share/mediajobs`. A leading `~` is expanded and a
    /// relative path is taken from the current folder.
    public static func resolve(explicit: String?, environment: [String: String]) -> MediaJobsHome {
        func path(_ text: String) -> URL { folder(text, environment: environment) }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        if let explicit, !explicit.isEmpty { return MediaJobsHome(url: path(explicit)) }
        if let variable = environment["MEDIAJOBS_HOME"], !variable.isEmpty { return MediaJobsHome(url: path(variable)) }
        // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return MediaJobsHome(url: path(data).appendingPathComponent("mediajobs", isDirectory: true))
        }
        return MediaJobsHome(url: path(home).appendingPathComponent(".local/share/mediajobs", isDirectory: true))
    }

    /// The same home with its artifact folder chosen: `explicit` (the `--artifacts` flag), else
    /// `MEDIAJOBS_ARTIFACTS`, else `artifacts_dir` in the `storage` section of the home's `config.json`, else
    /// `<home>/artifacts`. A leading `~` is expanded; a relative flag or variable is taken from the current folder,
    /// a relative `artifacts_dir` from the home folder (so every process reading the file agrees).
    /// Throws `input.invalid` for an empty flag or setting and for a config.json that cannot be read.
    public func choosingArtifacts(explicit: String?, environment: [String: String]) throws -> MediaJobsHome {
        if let explicit {
            guard !explicit.isEmpty else { throw MediaJobsError.invalidInput("--artifacts", "the folder is empty") }
            return MediaJobsHome(url: url, artifactsURL: MediaJobsHome.folder(explicit, environment: environment),
                                 source: "--artifacts")
        }
        if let variable = environment["MEDIAJOBS_ARTIFACTS"], !variable.isEmpty {
            return MediaJobsHome(url: url, artifactsURL: MediaJobsHome.folder(variable, environment: environment),
                                 source: "MEDIAJOBS_ARTIFACTS")
        }
        let configuration = try Configuration.load(from: configURL)
        if let configured = try configuration.section(StorageSettings.self).artifactsDir {
            guard !configured.isEmpty else {
                throw MediaJobsError(.invalidInput, "\(configuration.source): storage.artifacts_dir: the folder is empty")
            }
            return MediaJobsHome(url: url, artifactsURL: MediaJobsHome.folder(configured, from: url, environment: environment),
                                 source: "config.json storage.artifacts_dir")
        }
        return MediaJobsHome(url: url)
    }

    /// `text` as a folder: a leading `~` expanded (from `HOME`), a relative path taken from `base` (the current
    /// folder unless given).
    static func folder(_ text: String, from base: URL? = nil, environment: [String: String]) -> URL {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        var text = text
        if text == "~" {
            text = home
        } else if text.hasPrefix("~/") {
            text = home + text.dropFirst(1)
        }
        if text.hasPrefix("/") { return URL(fileURLWithPath: text, isDirectory: true) }
        let base = base ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        return base.appendingPathComponent(text, isDirectory: true)
    }

    /// Creates the home folder and the artifact store's folders, and checks they can be written.
    public func prepare() throws {
        try prepareFolder()
        _ = try ArtifactStore(root: artifactsURL)
    }

    /// Creates the home folder alone and checks it can be written (for commands that use no artifacts).
    public func prepareFolder() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw MediaJobsError(.storeFailure, "\(url.path): the MediaJobs home exists but is not a folder")
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw MediaJobsError(.storeFailure, "\(url.path): cannot create the MediaJobs home: "
                                 + ArtifactStore.reason(error), underlying: error)
        }
        guard access(url.path, W_OK | X_OK) == 0 else {
            throw MediaJobsError(.storeFailure, "\(url.path): the MediaJobs home is not writable: "
                                 + String(cString: strerror(errno)))
        }
    }
}

/// The `storage` section of `config.json`: `{"storage": {"artifacts_dir": "/mnt/media/artifacts"}}`.
public struct StorageSettings: ConfigurationSection, Equatable {
    public static let sectionName = "storage"
    public static let fieldNames: Set<String> = ["artifacts_dir"]
    public static let defaults = StorageSettings()

    /// The artifact folder, when not `<home>/artifacts`; relative to the home folder.
    public var artifactsDir: String?

    public init(artifactsDir: String? = nil) {
        self.artifactsDir = artifactsDir
    }
}
