import Foundation
import MediaJobsCore

// The request bodies OpenRouter's endpoints take, field by field as its OpenAPI document names them
// (reference/openrouter-openapi.yaml). Optional fields are left out when nil.

/// An image given to a model: OpenRouter's `ContentPartImage`, `{"type": "image_url", "image_url": {"url": …}}`
/// (the URL is an `https://` address or a `data:` URI).
struct OpenRouterImagePart: Encodable, Equatable {
    struct ImageURL: Encodable, Equatable {
        var url: String
    }

    var type = "image_url"
    var imageURL: ImageURL

    init(url: String) {
        imageURL = ImageURL(url: url)
    }

    enum CodingKeys: String, CodingKey {
        case type
        case imageURL = "image_url"
    }
}

/// `POST /audio/speech` (`SpeechRequest`).
struct OpenRouterSpeechBody: Encodable {
    var model: String
    var input: String
    var voice: String?
    var responseFormat: String
    var speed: Double?
    var provider: JSONValue?

    enum CodingKeys: String, CodingKey {
        case model, input, voice, speed, provider
        case responseFormat = "response_format"
    }
}

/// `POST /audio/transcriptions`, JSON form (`STTRequest`): the audio inline, base64 without a `data:` prefix.
struct OpenRouterTranscriptionBody: Encodable {
    struct InputAudio: Encodable {
        var data: String
        var format: String
    }

    var model: String
    var inputAudio: InputAudio
    var responseFormat: String
    var timestampGranularities: [String]?
    var language: String?
    var provider: JSONValue?

    enum CodingKeys: String, CodingKey {
        case model, language, provider
        case inputAudio = "input_audio"
        case responseFormat = "response_format"
        case timestampGranularities = "timestamp_granularities"
    }
}

/// `POST /images` (`ImageGenerationRequest`).
struct OpenRouterImageBody: Encodable {
    var model: String
    var prompt: String
    var n: Int?
    var aspectRatio: String?
    var size: String?
    var quality: String?
    var outputFormat: String?
    /// Reference images for image-to-image generation (at most 16).
    var inputReferences: [OpenRouterImagePart]?
    var provider: JSONValue?

    enum CodingKeys: String, CodingKey {
        case model, prompt, n, size, quality, provider
        case aspectRatio = "aspect_ratio"
        case outputFormat = "output_format"
        case inputReferences = "input_references"
    }
}

/// `POST /chat/completions` with `modalities: ["image", "text"]`, for chat image models.
struct OpenRouterChatImageBody: Encodable {
    struct Message: Encodable {
        var role = "user"
        var content: Content
    }

    /// A message's content: plain text, or parts (the text, then the images).
    enum Content: Encodable {
        case text(String)
        case parts([Part])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .parts(let parts): try container.encode(parts)
            }
        }
    }

    enum Part: Encodable {
        case text(String)
        case image(OpenRouterImagePart)

        private enum CodingKeys: String, CodingKey { case type, text }

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .text(let text):
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode("text", forKey: .type)
                try container.encode(text, forKey: .text)
            case .image(let image):
                try image.encode(to: encoder)
            }
        }
    }

    struct ImageConfig: Encodable {
        var aspectRatio: String

        enum CodingKeys: String, CodingKey {
            case aspectRatio = "aspect_ratio"
        }
    }

    var model: String
    var messages: [Message]
    var modalities = ["image", "text"]
    var imageConfig: ImageConfig?
    var provider: JSONValue?

    enum CodingKeys: String, CodingKey {
        case model, messages, modalities, provider
        case imageConfig = "image_config"
    }
}

/// `POST /videos` (`VideoGenerationRequest`).
struct OpenRouterVideoBody: Encodable {
    /// `FrameImage`: an image part with the frame it is, `first_frame` or `last_frame`.
    struct FrameImage: Encodable, Equatable {
        var type = "image_url"
        var imageURL: OpenRouterImagePart.ImageURL
        var frameType: String

        init(url: String, frameType: String) {
            imageURL = .init(url: url)
            self.frameType = frameType
        }

        enum CodingKeys: String, CodingKey {
            case type
            case imageURL = "image_url"
            case frameType = "frame_type"
        }
    }

    var model: String
    var prompt: String?
    var duration: Int?
    var resolution: String?
    var aspectRatio: String?
    var size: String?
    var generateAudio: Bool?
    var frameImages: [FrameImage]?
    var inputReferences: [OpenRouterImagePart]?
    var provider: JSONValue?

    enum CodingKeys: String, CodingKey {
        case model, prompt, duration, resolution, size, provider
        case aspectRatio = "aspect_ratio"
        case generateAudio = "generate_audio"
        case frameImages = "frame_images"
        case inputReferences = "input_references"
    }
}
