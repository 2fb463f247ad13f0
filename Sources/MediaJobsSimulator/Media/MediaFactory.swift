import Foundation
import MediaJobsCore
import MediaJobsFFmpeg

/// Makes the real, decodable media the simulator answers with: flite speech, transcripts of the
/// uploaded audio by pocketsphinx, images and video.
struct MediaFactory: Sendable {
    let engine: MediaEngine

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

    /// Speaks `text` in a flite voice chosen from the provider's `voice` name.
    func speech(text: String, voice: String?, format: SpeechFormat) async throws -> Data {
        let file = temporaryFile(format == .pcm ? "wav" : Self.fileExtension(format))
        defer { try? FileManager.default.removeItem(at: file) }
        let options: AudioOutputOptions
        switch format {
        case .pcm, .wav: options = AudioOutputOptions(format: .wav, sampleRate: Self.pcmRate, channels: 1)
        case .mp3: options = AudioOutputOptions(format: .mp3)
        case .opus: options = AudioOutputOptions(format: .opus)
        case .aac: options = AudioOutputOptions(format: .aac)
        case .flac: options = AudioOutputOptions(format: .flac)
        }
        try await engine.synthesizeSpeech(text: text, voice: Self.fliteVoice(for: voice), to: file, options: options)
        let data = try Data(contentsOf: file)
        return format == .pcm ? Self.pcmSamples(ofWAV: data) : data
    }

    /// A transcript of the uploaded audio, and the audio's duration in seconds.
    func transcribe(_ audio: Data, fileExtension: String) async throws -> (Transcript, Double) {
        let file = temporaryFile(fileExtension.isEmpty ? "bin" : fileExtension)
        defer { try? FileManager.default.removeItem(at: file) }
        try audio.write(to: file)
        let info = try await engine.probe(file)
        let transcript = try await engine.recognizeSpeech(in: file)
        return (transcript, info.durationSeconds ?? transcript.segments.last?.end ?? 0)
    }

    /// A PNG picture (`width`×`height` when the test pattern can draw it, the sample picture until then).
    func image(width: Int?, height: Int?, prompt: String?) async throws -> StoredFile {
        StoredFile(data: try Self.resource("image", "png"), contentType: "image/png", name: "image.png")
    }

    /// An MP4 video (of `duration` seconds and `width`×`height` when the test pattern can draw it).
    func video(durationSeconds: Double?, width: Int?, height: Int?, prompt: String?) async throws -> StoredFile {
        StoredFile(data: try Self.resource("clip", "mp4"), contentType: "video/mp4", name: "output.mp4")
    }

    static func resource(_ name: String, _ ext: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext) else {
            throw MediaJobsError(.invalidInput, "simulator resource \(name).\(ext) is missing")
        }
        return try Data(contentsOf: url)
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
