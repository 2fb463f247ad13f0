import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsStore

/// What `mediajobs batch` was asked to do: one kind of job over a folder, a prompt file or a manifest.
public struct BatchRequest: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Every media file of a folder becomes a transcript.
        case transcribe
        /// Every .txt or .md file of a folder becomes speech.
        case tts
        /// Every line of a prompt file becomes an image.
        case image
        /// Every line of a prompt file becomes a video.
        case video
        /// Every line of a JSONL file is a whole job spec, of any kind.
        case manifest
        /// Every media file of a folder converted to one format, here, without a provider or a job.
        case convert

        /// Whether `source` is a folder to scan (else a file read line by line).
        public var scansFolder: Bool { self == .transcribe || self == .tts || self == .convert }
    }

    public var kind: Kind
    /// The folder scanned, or the prompt or manifest file read, absolute.
    public var source: String
    /// Where outputs are written, mirroring the source tree, absolute.
    public var out: String
    public var format: String?
    public var recursive: Bool
    public var include: [String]
    public var exclude: [String]
    public var provider: String?
    public var model: String?
    public var voice: String?
    /// The most the whole batch may cost.
    public var maxCostUSD: Money?
    /// For `convert`: the format and settings every file is converted to.
    public var conversion: MediaConversion?
    /// Overrides each job's use of the result cache (`--cache`, `--no-cache`); nil leaves the kind's default.
    public var cache: Bool?

    public init(
        kind: Kind, source: String, out: String, format: String? = nil, recursive: Bool = false,
        include: [String] = [], exclude: [String] = [], provider: String? = nil, model: String? = nil,
        voice: String? = nil, maxCostUSD: Money? = nil, conversion: MediaConversion? = nil
    ) {
        self.kind = kind
        self.source = source
        self.out = out
        self.format = format
        self.recursive = recursive
        self.include = include
        self.exclude = exclude
        self.provider = provider
        self.model = model
        self.voice = voice
        self.maxCostUSD = maxCostUSD
        self.conversion = conversion
    }

    /// The job kind each input becomes; nil for a manifest, whose lines say.
    public var jobKind: JobKind? {
        switch kind {
        case .transcribe: .transcribe
        case .tts: .tts
        case .image: .image
        case .video: .video
        case .manifest, .convert: nil
        }
    }

    /// The output format of a job of `kind`: the one asked for, else the kind's default.
    public func outputFormat(for kind: JobKind) -> String { format ?? kind.defaultFormat }

    /// Which files of the folder are candidates, before `include`/`exclude`: text files for speech;
    /// every file for transcription (what is not media is then rejected with its reason).
    func isCandidate(_ path: String) -> Bool {
        switch kind {
        case .tts: ["txt", "md"].contains((path as NSString).pathExtension.lowercased())
        case .transcribe, .convert: true
        case .image, .video, .manifest: false
        }
    }

    /// A stable id: the same command over the same folder is the same batch.
    public var id: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data(source.utf8)
        return "B" + String(ArtifactStore.sha256(of: data).prefix(25)).uppercased()
    }
}

extension BatchRequest {
    /// Records this batch (created on its first run) with `entries`, sorted by input, replacing earlier ones.
    func save(entries: [BatchEntry], to store: any JobStore, now: Date) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let request = String(decoding: try encoder.encode(self), as: UTF8.self)
        let existing = try await store.batch(id)
        try await store.saveBatch(BatchRecord(
            id: id, kind: kind.rawValue, source: source, out: out, request: request,
            createdAt: existing?.createdAt ?? now, updatedAt: now), entries: entries.sorted { $0.input < $1.input })
    }
}
