import Foundation
import MediaJobsCore
import MediaJobsFFmpeg

/// Makes a finished job's outputs once and keeps them in the file store.
struct JobOutputs: Sendable {
    let media: MediaFactory
    let state: SimulatorState

    /// The stored output files of `job` (for a transcript: one JSON file of `{"text","segments","duration"}`),
    /// generated on first call.
    func files(of job: SimJob) async throws(ProviderError) -> [(id: String, file: StoredFile)] {
        if !job.outputs.isEmpty {
            return job.outputs.compactMap { id in state.file(id).map { (id, $0) } }
        }
        var file: StoredFile
        let request = job.request
        do {
            switch request.kind {
            case .video:
                file = try await media.video(
                    durationSeconds: request.durationSeconds, width: request.width, height: request.height,
                    prompt: request.prompt, frameRate: request.frameRate, sound: request.sound)
            case .image:
                let format: ImageFormat = job.deliversPNG ? .png : request.imageFormat ?? .png
                file = try await media.image(
                    width: request.width, height: request.height, prompt: request.prompt, format: format)
                if job.deliversPNG, let asked = request.imageFormat, asked != .png {
                    // Labelled as asked, PNG inside.
                    file.contentType = "image/\(asked.rawValue)"
                    file.name = "image." + (asked == .jpeg ? "jpg" : asked.rawValue)
                }
            case .speech:
                let audio = try await media.speech(text: request.prompt ?? "", voice: request.voice, format: .mp3)
                file = StoredFile(data: audio.data, contentType: "audio/mpeg", name: "output.mp3")
            case .transcript:
                let (audio, ext) = try fetchAudio(request.audio ?? "")
                let (transcript, seconds) = try await media.transcribe(audio, fileExtension: ext)
                let object: [String: Any] = [
                    "text": transcript.text, "duration": seconds,
                    "segments": transcript.segments.map { ["start": $0.start, "end": $0.end, "text": $0.text] },
                ]
                file = StoredFile(
                    data: try JSONSerialization.data(withJSONObject: object), contentType: "application/json",
                    name: "transcript.json")
            }
        } catch let error as ProviderError {
            throw error
        } catch {
            throw ProviderError(500, "generation failed: \(error)")
        }
        if job.corruptMedia, request.kind != .transcript { file.data = MediaFactory.corrupt(file.data) }
        // An image request for several images gets that many (the same picture each time).
        let copies = request.kind == .image ? max(1, min(request.count, 4)) : 1
        let stored = Array(repeating: file, count: copies).map { (id: state.store($0), file: $0) }
        state.setOutputs(stored.map(\.id), of: job.id)
        return stored
    }

    /// The audio a job names: a `data:` URI, or a URL of a file this simulator serves.
    private func fetchAudio(_ reference: String) throws -> (Data, String) {
        if reference.hasPrefix("data:"), let comma = reference.firstIndex(of: ",") {
            let header = reference[..<comma]
            guard let data = Data(base64Encoded: String(reference[reference.index(after: comma)...])) else {
                throw ProviderError(422, "audio data URI is not base64")
            }
            let subtype = header.split(separator: "/").last?.split(separator: ";").first.map(String.init) ?? "wav"
            return (data, subtype == "mpeg" ? "mp3" : subtype)
        }
        if let url = URL(string: reference), url.path.contains("/files/"),
            let file = state.file(url.lastPathComponent) ?? state.file(url.deletingLastPathComponent().lastPathComponent)
        {
            return (file.data, URL(fileURLWithPath: file.name).pathExtension)
        }
        throw ProviderError(422, "could not download the audio at \(reference.prefix(80)) (the simulator reads data: URIs and its own file URLs)")
    }

    /// A file's public URL on this simulator, under `provider`'s prefix.
    static func url(_ exchange: Exchange, id: String, file: StoredFile) -> String {
        "\(exchange.baseURL)/files/\(id)/\(file.name)"
    }
}

/// Guesses what a fal or Replicate model makes from its name and input.
func mediaKind(model: String, input: [String: Any]) -> MediaKind {
    let name = model.lowercased()
    let transcription = ["whisper", "wizper", "speech-to-text", "transcri", "stt"]
    let speech = ["tts", "kokoro", "dia", "text-to-speech", "speech", "voice"]
    let video = ["video", "veo", "kling", "wan", "hailuo", "seedance", "sora", "ltx", "luma", "pika"]
    if transcription.contains(where: name.contains) || input["audio_url"] != nil || input["audio"] != nil {
        return .transcript
    }
    if speech.contains(where: name.contains) { return .speech }
    if video.contains(where: name.contains) { return .video }
    return .image
}

/// Width and height from fal's and Replicate's usual size fields.
func requestedSize(_ input: [String: Any]) -> (Int?, Int?) {
    if let size = input["image_size"] as? [String: Any] {
        return ((size["width"] as? NSNumber)?.intValue, (size["height"] as? NSNumber)?.intValue)
    }
    if let width = (input["width"] as? NSNumber)?.intValue, let height = (input["height"] as? NSNumber)?.intValue {
        return (width, height)
    }
    let aspect = input.string("aspect_ratio") ?? (input.string("image_size").flatMap(presetAspect) ?? "1:1")
    let resolution = input.string("resolution") ?? "720p"
    let (width, height) = OpenRouterCatalog.dimensions(resolution: resolution, aspectRatio: aspect)
    return (Optional(width), Optional(height))
}

private func presetAspect(_ preset: String) -> String? {
    switch preset {
    case "square", "square_hd": "1:1"
    case "portrait_4_3": "3:4"
    case "portrait_16_9": "9:16"
    case "landscape_4_3": "4:3"
    case "landscape_16_9": "16:9"
    default: nil
    }
}

/// Seconds from fal's and Replicate's duration fields ("5", 5, "5s").
func requestedDuration(_ input: [String: Any]) -> Double? {
    if let number = input.number("duration") { return number }
    if let text = input.string("duration") { return Double(text.trimmingCharacters(in: CharacterSet(charactersIn: "s"))) }
    return nil
}
