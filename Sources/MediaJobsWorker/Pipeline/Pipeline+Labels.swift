import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders

/// A provider's file is judged by its bytes, not by its label: valid media of another format than its name, its
/// Content-Type or the provider's answer says is renamed for what it is (and then converted to what the job asked
/// for, like any other output), with the mismatch kept as a check note. Never a reason to pay again.
extension Pipeline {
    /// `produced` under the name its bytes call for, and the note on the mismatch; unchanged (no note) when the
    /// label is right or when FFmpeg cannot say what the bytes are (validation then says why).
    func relabeled(_ produced: ProviderResult.File, kind: JobKind, job: Job, worker: String) async throws
        -> (file: ProviderResult.File, note: MediaCheck?)
    {
        guard let info = try? await engine.probe(produced.url),
              let real = kind == .tts ? Pipeline.audioFormat(of: info) : Pipeline.visualFormat(of: info)
        else { return (produced, nil) }
        let label = Pipeline.normalizedFormat(produced.format)
        guard Pipeline.family(of: real) != Pipeline.family(of: label) else { return (produced, nil) }
        let fileExtension = ImageFormat(name: real)?.fileExtension ?? real
        let renamed = produced.url.deletingLastPathComponent()
            .appendingPathComponent(produced.url.deletingPathExtension().lastPathComponent + "-as-\(real).\(fileExtension)")
        // A link, not a move: the provider's file may be a kept answer that a later attempt reads by its name.
        try? FileManager.default.removeItem(at: renamed)
        do {
            try FileManager.default.linkItem(at: produced.url, to: renamed)
        } catch {
            try FileManager.default.copyItem(at: produced.url, to: renamed)
        }
        let detail = "labelled \(label), but the bytes are \(real) (\(info.container)): judged by the bytes, and used as "
            + "\(real) rather than asked for again"
        try await store.addEvent(job.id, kind: .note, worker: worker, detail: "provider output \(detail)", now: Date())
        return (ProviderResult.File(url: renamed, format: real),
                MediaCheck(name: "label", subject: "provider output", passed: false, detail: detail))
    }

    /// The audio format a probed file is, by its container (and codec for Ogg), in the names outputs use.
    static func audioFormat(of info: MediaInfo) -> String? {
        let names = info.container.split(separator: ",").map(String.init)
        let codec = info.audioStreams.first?.codec
        if names.contains("mp3") { return "mp3" }
        if names.contains("wav") { return "wav" }
        if names.contains("flac") { return "flac" }
        if names.contains("ogg") { return codec == "opus" ? "opus" : "ogg" }
        if names.contains("aac") { return "aac" }
        if names.contains("mov") || names.contains("mp4") { return "m4a" }
        if names.contains("webm") || names.contains("matroska") { return "webm" }
        return nil
    }

    /// Formats that share a container are one family (an Opus file is Ogg; m4a and mp4 are both MP4).
    static func family(of format: String) -> String {
        switch format {
        case "opus", "ogg", "oga": "ogg"
        case "m4a", "mp4", "mov", "aac-mp4": "mp4"
        case "webm", "mkv": "matroska"
        case "jpg": "jpeg"
        default: format
        }
    }
}
