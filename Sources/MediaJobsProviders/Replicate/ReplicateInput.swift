import Foundation

// The create body of a Replicate prediction and the inputs of the models MediaJobs drives, as their model schemas
// name the fields. Optional fields are left out when nil.

/// `POST /v1/predictions` (`version` set) or `POST /v1/models/{owner}/{name}/predictions` (no `version`).
struct ReplicateCreateBody: Encodable {
    /// The 64-hex version id of a model run by version.
    var version: String?
    var input: ReplicateInput
}

/// One model's `input` object.
enum ReplicateInput: Encodable {
    case image(ReplicateImageInput)
    case video(ReplicateVideoInput)
    case speech(ReplicateSpeechInput)
    case transcription(ReplicateTranscriptionInput)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .image(let input): try input.encode(to: encoder)
        case .video(let input): try input.encode(to: encoder)
        case .speech(let input): try input.encode(to: encoder)
        case .transcription(let input): try input.encode(to: encoder)
        }
    }
}

/// Text to image (`black-forest-labs/flux-schnell`, `flux-1.1-pro`).
struct ReplicateImageInput: Encodable {
    var prompt: String
    var numOutputs: Int?
    var aspectRatio: String?
    /// `png`, `jpg` or `webp`.
    var outputFormat: String?

    /// Replicate's name for the format a job asks: `jpg` for `jpeg`; nil for one it does not make.
    static func outputFormat(_ format: String) -> String? {
        switch format {
        case "jpeg", "jpg": "jpg"
        case "png", "webp": format
        default: nil
        }
    }

    enum CodingKeys: String, CodingKey {
        case prompt
        case numOutputs = "num_outputs"
        case aspectRatio = "aspect_ratio"
        case outputFormat = "output_format"
    }
}

/// Text or image to video (`wan-video/wan-2.2-t2v-fast`, and `wan-video/wan-2.2-i2v-fast` with `image`).
struct ReplicateVideoInput: Encodable {
    var prompt: String
    /// The first frame, a URL or a `data:` URI; only for an image-to-video model.
    var image: String?
    var resolution: String?
    var aspectRatio: String?
    /// Wan takes a length as frames (81–121) at a rate (5–30 per second), not seconds.
    var numFrames: Int?
    var framesPerSecond: Int?

    /// Frames and rate for about `seconds` of video (the model makes `num_frames / frames_per_second` seconds): 16
    /// frames a second from 81 to 121 frames, the rate moved (5–30) where the frame count alone cannot reach the length.
    static func frames(seconds: Double) -> (count: Int, perSecond: Int) {
        let count = min(121, max(81, Int((seconds * 16).rounded())))
        let perSecond = min(30, max(5, Int((Double(count) / max(seconds, 0.1)).rounded())))
        return (count, perSecond)
    }

    enum CodingKeys: String, CodingKey {
        case prompt, image, resolution
        case aspectRatio = "aspect_ratio"
        case numFrames = "num_frames"
        case framesPerSecond = "frames_per_second"
    }
}

/// Text to speech.
struct ReplicateSpeechInput: Encodable {
    var text: String
    var voice: String?
}

/// Speech to text (`openai/whisper`): the audio as a `data:` URI.
struct ReplicateTranscriptionInput: Encodable {
    var audio: String
    var language: String?
    /// Whisper's prompt for the first window (the job's `prompt`).
    var initialPrompt: String?

    enum CodingKeys: String, CodingKey {
        case audio, language
        case initialPrompt = "initial_prompt"
    }
}
