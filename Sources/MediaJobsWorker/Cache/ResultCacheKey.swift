import Foundation
import MediaJobsCore
import MediaJobsStore

/// The identity of a request for the result cache: the kind, the route (provider and model), the normalised input
/// and the output settings, as a SHA-256 of canonical JSON. Labels, priority, budgets and names of input files are
/// not part of it: they do not change what a provider makes.
public enum ResultCacheKey {
    /// Bumped when the normalisation changes, so old keys never match new ones.
    static let version = 1

    private struct Identity: Encodable {
        var version: Int
        var kind: JobKind
        var provider: String
        var model: String
        var input: JobInput
        var output: OutputSettings
    }

    /// The key of `spec` served by `provider`/`model`. Text is compared with its runs of white space collapsed (the
    /// same words make the same speech); input files by their artifact sha256 (set at submit); the output format is
    /// the one that will be delivered, default included.
    public static func make(_ spec: JobSpec, provider: String, model: String) -> String {
        var input = spec.input
        input.text = input.text.map(normalized)
        input.prompt = input.prompt.map(normalized)
        input.instructions = input.instructions.map(normalized)
        input.textFile = nil
        input.sourceName = nil
        var output = spec.output
        output.format = spec.outputFormat
        let identity = Identity(version: version, kind: spec.kind, provider: provider, model: model, input: input,
                                output: output)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(identity)) ?? Data("\(identity)".utf8)
        return ArtifactStore.sha256(of: data)
    }

    static func normalized(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
