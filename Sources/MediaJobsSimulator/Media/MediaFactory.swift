import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import Synchronization

/// Makes the real, decodable media the simulator answers with: flite speech, transcripts of the
/// uploaded audio by pocketsphinx, images and video.
struct MediaFactory: Sendable {
    let engine: MediaEngine
    /// Whether transcripts are pocketsphinx's real reading (the default) or stand-ins timed to the audio.
    let recognition = RecognitionSwitch()

    /// Speech formats the providers name, and what the simulator writes for each.
    enum SpeechFormat: String, Sendable {
        case mp3, opus, aac, flac, wav, pcm

        var contentType: String {
            switch self {
            case .mp3: "audio/mpeg"
            case .opus: "audio/ogg"
            case .aac: "audio/aac"
            case .flac: "audio/flac"
            case .wav: "audio/wav"
            case .pcm: "audio/pcm"
            }
        }
    }

    /// Sample rate of raw PCM answers (OpenAI and OpenRouter both document 24 kHz, 16-bit LE, mono).
    static let pcmRate = 24_000

    /// Speech audio and how long it plays.
    struct Speech: Sendable {
        var data: Data
        /// The audio's length in whole milliseconds, rounded up (samples at 24 kHz).
        var milliseconds: Int
    }

    /// Speaks `text` in a flite voice chosen from the provider's `voice` name: flite writes 24 kHz mono WAV,
    /// which is then transcoded to the asked format.
    func speech(text: String, voice: String?, format: SpeechFormat) async throws -> Speech {
        let wav = temporaryFile("wav")
        defer { try? FileManager.default.removeItem(at: wav) }
        try await engine.synthesizeSpeech(
            text: text, voice: Self.fliteVoice(for: voice), to: wav,
            options: AudioOutputOptions(format: .wav, sampleRate: Self.pcmRate, channels: 1))
        let samples = try Data(contentsOf: wav)
        let pcm = Self.pcmSamples(ofWAV: samples)
        // 16-bit mono: two bytes a sample.
        let milliseconds = (pcm.count / 2 * 1000 + Self.pcmRate - 1) / Self.pcmRate
        let target: AudioFormat
        switch format {
        case .pcm: return Speech(data: pcm, milliseconds: milliseconds)
        case .wav: return Speech(data: samples, milliseconds: milliseconds)
        case .mp3: target = .mp3
        case .opus: target = .opus
        case .aac: target = .aac
        case .flac: target = .flac
        }
        let output = temporaryFile(Self.fileExtension(format))
        defer { try? FileManager.default.removeItem(at: output) }
        try await engine.transcodeAudio(wav, to: output, options: AudioOutputOptions(format: target))
        return Speech(data: try Data(contentsOf: output), milliseconds: milliseconds)
    }

    /// A transcript of the uploaded audio, and the audio's duration in seconds.
    func transcribe(_ audio: Data, fileExtension: String) async throws -> (Transcript, Double) {
        let file = temporaryFile(fileExtension.isEmpty ? "bin" : fileExtension)
        defer { try? FileManager.default.removeItem(at: file) }
        try audio.write(to: file)
        let info = try await engine.probe(file)
        guard recognition.isOn else {
            let seconds = info.durationSeconds ?? 0
            return (MediaFactory.standInTranscript(seconds: seconds), seconds)
        }
        let transcript = try await engine.recognizeSpeech(in: file)
        return (transcript, info.durationSeconds ?? transcript.segments.last?.end ?? 0)
    }

    /// What the simulator answers when recognition is off: a segment every 5 s of the audio, each naming its own time
    /// ("words from 10 to 15 seconds"), ending just before the audio does.
    static func standInTranscript(seconds: Double) -> Transcript {
        var segments: [Transcript.Segment] = []
        var start = 0.0
        while start + 0.5 < seconds {
            let end = min(start + 4.8, seconds - 0.1)
            segments.append(Transcript.Segment(
                start: start + 0.2, end: end, text: "words from \(Int(start)) to \(Int(start + 5)) seconds"))
            start += 5
        }
        return Transcript(segments: segments, language: "en")
    }

    /// Largest side the simulator draws (a 4K request is answered at a quarter of its size on each
    /// side, same aspect, to keep tests fast); smallest side 16.
    static let maxSide = 1024

    /// Clamps a requested size to what the simulator draws, keeping the aspect ratio and even sides.
    static func drawnSize(width: Int?, height: Int?, fallback: (Int, Int)) -> (Int, Int) {
        var w = Double(max(16, width ?? fallback.0))
        var h = Double(max(16, height ?? fallback.1))
        let scale = min(1, Double(maxSide) / max(w, h))
        w *= scale
        h *= scale
        return (max(16, Int(w / 2) * 2), max(16, Int(h / 2) * 2))
    }

    /// A test picture of `width`×`height` (clamped by `drawnSize`) with the prompt drawn in, encoded as `format`.
    func image(width: Int?, height: Int?, prompt: String?, format: ImageFormat = .png) async throws -> StoredFile {
        let (w, h) = Self.drawnSize(width: width, height: height, fallback: (1024, 1024))
        let ext = format == .jpeg ? "jpg" : format.rawValue
        let file = temporaryFile(ext)
        defer { try? FileManager.default.removeItem(at: file) }
        let pattern = TestPattern(width: w, height: h, durationSeconds: 1, sound: .none, text: Self.caption(prompt))
        try await engine.renderTestImage(pattern, to: file, options: ImageOutputOptions(format: format))
        return StoredFile(
            data: try Data(contentsOf: file), contentType: "image/\(format.rawValue)", name: "image.\(ext)")
    }

    /// The image format a provider's `output_format` names ("jpg" and "jpeg" alike); nil for others.
    static func imageFormat(_ name: String?) -> ImageFormat? {
        switch name?.lowercased() {
        case "png": .png
        case "jpg", "jpeg": .jpeg
        case "webp": .webp
        default: nil
        }
    }

    /// An MP4 (H.264, with an AAC tone unless `sound` is false) test pattern of `width`×`height` (clamped) with the prompt drawn in. Without a
    /// `frameRate`: `durationSeconds` clamped to 1–20 s, at 12 fps. With one (a model that takes its length as
    /// frames at a rate, such as Wan): exactly `durationSeconds` (up to 60 s) at that rate.
    func video(durationSeconds: Double?, width: Int?, height: Int?, prompt: String?, frameRate: Double? = nil,
               sound: Bool = true) async throws -> StoredFile
    {
        let (w, h) = Self.drawnSize(width: width, height: height, fallback: (1280, 720))
        let seconds = frameRate == nil ? min(20, max(1, durationSeconds ?? 5)) : min(60, max(0.1, durationSeconds ?? 5))
        let file = temporaryFile("mp4")
        defer { try? FileManager.default.removeItem(at: file) }
        let pattern = TestPattern(
            width: w, height: h, frameRate: frameRate ?? 12, durationSeconds: seconds, sound: sound ? .tone : .none,
            text: Self.caption(prompt))
        var options = VideoOutputOptions(format: .mp4)
        options.fast = true
        try await engine.renderTestPattern(pattern, to: file, options: options)
        return StoredFile(data: try Data(contentsOf: file), contentType: "video/mp4", name: "output.mp4")
    }

    /// The prompt as drawn into the picture: one line, at most 60 characters.
    static func caption(_ prompt: String?) -> String? {
        guard let prompt, !prompt.isEmpty else { return nil }
        let line = prompt.replacingOccurrences(of: "\n", with: " ")
        return line.count > 60 ? String(line.prefix(57)) + "..." : line
    }

    static func fileExtension(_ format: SpeechFormat) -> String {
        switch format {
        case .opus: "opus"
        case .aac: "aac"
        default: format.rawValue
        }
    }

    /// Provider voice names map onto flite's voices, the same name always to the same voice.
    static func fliteVoice(for voice: String?) -> String {
        let voices = MediaEngine.fliteVoices.filter { $0 != "kal" }
        guard let voice, !voice.isEmpty else { return "slt" }
        if MediaEngine.fliteVoices.contains(voice) { return voice }
        let sum = voice.unicodeScalars.reduce(0) { $0 + Int($1.value) }
        return voices[sum % voices.count]
    }

    /// The samples of a WAV file's `data` chunk.
    static func pcmSamples(ofWAV wav: Data) -> Data {
        let bytes = [UInt8](wav)
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16
                | Int(bytes[offset + 7]) << 24
            if id == "data" { return Data(bytes[(offset + 8)..<min(bytes.count, offset + 8 + size)]) }
            offset += 8 + size + (size & 1)
        }
        return Data()
    }

    /// Keeps the first 16 bytes and replaces the rest with noise: no decoder accepts it.
    static func corrupt(_ data: Data) -> Data {
        var generator = SplitMix(seed: UInt64(data.count))
        var bytes = [UInt8](data)
        for index in bytes.indices.dropFirst(16) { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
        return Data(bytes)
    }

    private func temporaryFile(_ ext: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("mediajobs-sim-\(UUID().uuidString).\(ext)")
    }
}

/// Turns the simulator's speech recognition on or off (tests where the words themselves are not checked skip its cost).
final class RecognitionSwitch: Sendable {
    private let on = Mutex(true)

    var isOn: Bool { on.withLock { $0 } }

    func set(_ value: Bool) { on.withLock { $0 = value } }
}
