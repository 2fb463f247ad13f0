import Foundation
import MediaJobsCore

/// Which local paths a job body sent over HTTP may name: only files under the configured input folders.
///
/// A client of the HTTP API is not the user at the terminal; without this rule it could make the
/// server read any file the server can read (`/etc/shadow` as "audio") and copy it into the store.
struct InputPathPolicy: Sendable {
    /// Resolved (absolute, symlinks followed) folder paths, each ending in "/".
    let folders: [String]

    init(folders: [String]) {
        self.folders = folders.map { InputPathPolicy.resolve($0) }.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
    }

    /// Throws `input.invalid` naming the field when a path in `spec` lies outside every input folder.
    func check(_ spec: JobSpec) throws {
        var paths: [(String, String)] = []
        if let text = spec.input.textFile { paths.append(("input.text_file", text)) }
        if let audio = spec.input.audio, !ArtifactRef.isValidSHA256(audio), !InputPathPolicy.isURL(audio) {
            paths.append(("input.audio", audio))
        }
        for (i, image) in (spec.input.referenceImages ?? []).enumerated() where !InputPathPolicy.isURL(image) && !ArtifactRef.isValidSHA256(image) {
            paths.append(("input.reference_images[\(i)]", image))
        }
        for (field, value) in [("input.first_frame", spec.input.firstFrame), ("input.last_frame", spec.input.lastFrame)] {
            if let value, !InputPathPolicy.isURL(value), !ArtifactRef.isValidSHA256(value) { paths.append((field, value)) }
        }
        for (field, path) in paths { try check(path, field: field) }
    }

    func check(_ path: String, field: String) throws {
        guard path.hasPrefix("/") else {
            throw MediaJobsError.invalidInput(field, "over HTTP a file must be an absolute path under an input folder "
                + "(server.input_folders in config.json), an uploaded file, or an artifact sha256")
        }
        let resolved = InputPathPolicy.resolve(path)
        guard folders.contains(where: { resolved.hasPrefix($0) }) else {
            let allowed = folders.isEmpty ? "none is configured (server.input_folders in config.json)"
                : folders.joined(separator: ", ")
            throw MediaJobsError.invalidInput(field, "\(path) is not under an input folder of this server; allowed: \(allowed)")
        }
    }

    private static func isURL(_ text: String) -> Bool {
        text.hasPrefix("http://") || text.hasPrefix("https://")
    }

    /// The real path: `..` removed and symlinks followed (for the longest part that exists).
    static func resolve(_ path: String) -> String {
        let standardized = (path as NSString).standardizingPath
        if let real = realpath(standardized, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let parent = (standardized as NSString).deletingLastPathComponent
        guard parent != standardized, !parent.isEmpty else { return standardized }
        return (resolve(parent) as NSString).appendingPathComponent((standardized as NSString).lastPathComponent)
    }
}
