import Foundation

// The input documents of the fal models MediaJobs drives, as their model API pages name the fields.
// Optional fields are left out when nil.

/// One model's input: the body of `POST https://queue.fal.run/{model_id}`.
enum FalInput: Encodable {
    case speech(FalSpeechInput)
    case image(FalImageInput)
    case video(FalVideoInput)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .speech(let input): try input.encode(to: encoder)
        case .image(let input): try input.encode(to: encoder)
        case .video(let input): try input.encode(to: encoder)
        }
    }
}

/// Text to speech (`fal-ai/kokoro/…`).
struct FalSpeechInput: Encodable {
    var prompt: String
    var voice: String?
    var speed: Double?
}

/// Text to image (`fal-ai/flux/schnell`).
struct FalImageInput: Encodable {
    var prompt: String
    var numImages: Int?
    var imageSize: FalImageSize?
    var outputFormat: String?

    enum CodingKeys: String, CodingKey {
        case prompt
        case numImages = "num_images"
        case imageSize = "image_size"
        case outputFormat = "output_format"
    }
}

/// fal's `image_size`: a preset name, or `{"width": W, "height": H}` (never a "WxH" string).
enum FalImageSize: Encodable, Equatable {
    case preset(String)
    case custom(width: Int, height: Int)

    /// "1024x768" as `{"width": 1024, "height": 768}`; nil when `size` is not WIDTHxHEIGHT.
    init?(size: String) {
        let sides = size.lowercased().split(separator: "x").map { Int($0) }
        guard sides.count == 2, let width = sides[0], let height = sides[1], width > 0, height > 0 else { return nil }
        self = .custom(width: width, height: height)
    }

    /// The preset for an aspect ratio: 1:1 `square_hd`, 4:3 `landscape_4_3`, 3:4 `portrait_4_3`, 16:9
    /// `landscape_16_9`, 9:16 `portrait_16_9`; nil for a ratio fal has no preset for.
    init?(aspectRatio: String) {
        let presets = ["1:1": "square_hd", "4:3": "landscape_4_3", "3:4": "portrait_4_3", "16:9": "landscape_16_9",
                       "9:16": "portrait_16_9"]
        guard let preset = presets[aspectRatio] else { return nil }
        self = .preset(preset)
    }

    private enum CodingKeys: String, CodingKey { case width, height }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .preset(let name):
            var container = encoder.singleValueContainer()
            try container.encode(name)
        case .custom(let width, let height):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(width, forKey: .width)
            try container.encode(height, forKey: .height)
        }
    }
}

/// Text or image to video (`fal-ai/veo3/fast`, and `fal-ai/veo3/fast/image-to-video` with `image_url`).
struct FalVideoInput: Encodable {
    var prompt: String
    /// The first frame, a URL or a `data:` URI; only for an image-to-video endpoint.
    var imageURL: String?
    /// "8s".
    var duration: String?
    var resolution: String?
    var aspectRatio: String?
    var generateAudio: Bool?

    enum CodingKeys: String, CodingKey {
        case prompt, duration, resolution
        case imageURL = "image_url"
        case aspectRatio = "aspect_ratio"
        case generateAudio = "generate_audio"
    }
}
