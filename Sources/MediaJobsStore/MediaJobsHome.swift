import Foundation
import MediaJobsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder that holds everything MediaJobs keeps: the database, the artifacts and the configuration.
public struct MediaJobsHome: Sendable, Equatable, CustomStringConvertible {
    public let url: URL

    public init(url: URL) {
        self.url = url.standardizedFileURL
    }

    /// `mediajobs.sqlite`
    public var databaseURL: URL { url.appendingPathComponent("mediajobs.sqlite", isDirectory: false) }
    /// `artifacts/`
    public var artifactsURL: URL { url.appendingPathComponent("artifacts", isDirectory: true) }
    /// `config.json` (optional)
    public var configURL: URL { url.appendingPathComponent("config.json", isDirectory: false) }

    public var description: String { url.path }

    /// Picks the home folder: `explicit` (the `--home` flag), else `MEDIAJOBS_HOME`, else
    /// `$XDG_DATA_HOME/mediajobs`, else `~/.local/share/mediajobs`. A leading `~` is expanded and a
    /// relative path is taken from the current folder.
    public static func resolve(explicit: String?, environment: [String: String]) -> MediaJobsHome {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        func path(_ text: String) -> URL {
            var text = text
            if text == "~" {
                text = home
            } else if text.hasPrefix("~/") {
                text = home + text.dropFirst(1)
            }
            if text.hasPrefix("/") { return URL(fileURLWithPath: text, isDirectory: true) }
            return URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
                .appendingPathComponent(text, isDirectory: true)
        }
        if let explicit, !explicit.isEmpty { return MediaJobsHome(url: path(explicit)) }
        if let variable = environment["MEDIAJOBS_HOME"], !variable.isEmpty { return MediaJobsHome(url: path(variable)) }
        // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return MediaJobsHome(url: path(data).appendingPathComponent("mediajobs", isDirectory: true))
        }
        return MediaJobsHome(url: path(home).appendingPathComponent(".local/share/mediajobs", isDirectory: true))
    }

    /// Creates the home folder and the artifact store's folders, and checks they can be written.
    public func prepare() throws {
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
        _ = try ArtifactStore(root: artifactsURL)
    }
}
