/// What a job makes.
public enum JobKind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Speech from text.
    case tts
    /// Text from a recording.
    case transcribe
    /// Images from a prompt.
    case image
    /// Video from a prompt.
    case video

    public var description: String { rawValue }

    /// The output formats this kind can be delivered in; the first is the default.
    public var outputFormats: [String] {
        switch self {
        case .tts: ["mp3", "opus", "aac", "flac", "wav", "m4a"]
        case .transcribe: ["txt", "json", "srt", "vtt"]
        case .image: ["png", "jpeg", "webp"]
        case .video: ["mp4", "webm"]
        }
    }

    public var defaultFormat: String { outputFormats[0] }
}

/// Where a job is in its life. See DESIGN.md for the transitions.
public enum JobState: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case queued
    case running
    case waiting
    case succeeded
    case failed
    case canceled

    public var description: String { rawValue }

    /// A final state never changes again (except by an explicit retry).
    public var isFinal: Bool {
        switch self {
        case .succeeded, .failed, .canceled: true
        case .queued, .running, .waiting: false
        }
    }
}
