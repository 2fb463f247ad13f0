import Foundation

/// The prices the simulated providers bill with, as exact decimals, from `reference/providers.md` §5 unless a line
/// says otherwise. Each function returns the lines of one bill, or nil when the simulator has no price for the
/// model (it then bills an unpriced entry: the real provider would charge something we do not know).
enum Prices {
    static func decimal(_ text: String) -> Decimal {
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            preconditionFailure("not a decimal: \(text)")
        }
        return value
    }

    typealias Line = BillingEntry.Line

    // MARK: OpenAI

    /// `tts-1` $15 and `tts-1-hd` $30 per 1M input characters; `gpt-4o-mini-tts` $0.60 per 1M input characters
    /// plus $12 per 1M audio output tokens. §5 turns the audio part into ≈ $0.015 per minute of audio out, that is
    /// $0.00025 a second: the simulator bills it by the length of the audio it returned, in whole milliseconds
    /// rounded up, at $0.00000025 a millisecond.
    static func openAISpeech(model: String, characters: Int, audioMilliseconds: Int) -> [Line]? {
        let chars = Decimal(characters)
        switch model {
        case "tts-1":
            return [Line(item: "input characters", quantity: chars, unit: "character", unitPrice: decimal("0.000015"))]
        case "tts-1-hd":
            return [Line(item: "input characters", quantity: chars, unit: "character", unitPrice: decimal("0.00003"))]
        case "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15":
            return miniTTS(characters: characters, audioMilliseconds: audioMilliseconds)
        default:
            return nil
        }
    }

    /// gpt-4o-mini-tts's two parts (see `openAISpeech`).
    static func miniTTS(characters: Int, audioMilliseconds: Int) -> [Line] {
        [
            Line(item: "input characters", quantity: Decimal(characters), unit: "character",
                 unitPrice: decimal("0.0000006")),
            Line(item: "audio output (≈ $0.015/min)", quantity: Decimal(audioMilliseconds), unit: "millisecond",
                 unitPrice: decimal("0.00000025")),
        ]
    }

    /// `whisper-1` $0.006 per minute of input audio, billed on the whole seconds its `usage.seconds` reports.
    /// `gpt-4o-transcribe` ($0.006/min) and `gpt-4o-mini-transcribe` ($0.003/min) are not in §5: OpenAI's own
    /// per-minute estimates for them, billed the same way.
    static func openAITranscription(model: String, seconds: Int) -> [Line]? {
        let perSecond: Decimal
        switch model {
        case "whisper-1", "gpt-4o-transcribe", "gpt-transcribe", "gpt-4o-transcribe-diarize": perSecond = decimal("0.0001")
        case "gpt-4o-mini-transcribe", "gpt-4o-mini-transcribe-2025-12-15": perSecond = decimal("0.00005")
        default: return nil
        }
        return [Line(item: "input audio", quantity: Decimal(seconds), unit: "second", unitPrice: perSecond)]
    }

    /// `gpt-image-1` per image by quality and size: low $0.011, medium $0.042, high $0.167 at 1024×1024;
    /// $0.016, $0.063, $0.25 at the other sizes. Quality `auto` lets OpenAI choose; the simulator bills it as
    /// `medium` (and answers `"quality":"medium"`), size `auto` as 1024×1024. `dall-e-2` ($0.02 at 1024²) and
    /// `dall-e-3` ($0.04 standard, $0.08 hd at 1024²) are not in §5: OpenAI's list prices, 1024² for every size.
    /// gpt-image-1's text input: $0.002 per 1K input text tokens (§5, beside the per-image price).
    static func openAIImageText(model: String, tokens: Int) -> [Line] {
        guard model.hasPrefix("gpt-image") else { return [] }
        return [Line(item: "input text tokens", quantity: Decimal(tokens), unit: "token", unitPrice: decimal("0.000002"))]
    }

    static func openAIImage(model: String, quality: String, size: String, count: Int) -> [Line]? {
        let square = size == "1024x1024"
        let price: String
        switch (model, quality) {
        case ("gpt-image-1", "low"): price = square ? "0.011" : "0.016"
        case ("gpt-image-1", "medium"): price = square ? "0.042" : "0.063"
        case ("gpt-image-1", "high"): price = square ? "0.167" : "0.25"
        case ("dall-e-2", _): price = "0.02"
        case ("dall-e-3", "hd"): price = "0.08"
        case ("dall-e-3", _): price = "0.04"
        default: return nil
        }
        return [Line(item: "image \(size) \(quality)", quantity: Decimal(count), unit: "image", unitPrice: decimal(price))]
    }

    // MARK: fal

    /// `fal-ai/veo3/fast` (and its image-to-video endpoint): $0.10 a second of video with audio off, $0.15 with
    /// audio on; audio is on unless the request says `generate_audio: false`.
    static func falVeo3Fast(seconds: Int, audio: Bool) -> [Line] {
        [Line(item: audio ? "video seconds (audio on)" : "video seconds (audio off)", quantity: Decimal(seconds),
              unit: "second", unitPrice: decimal(audio ? "0.15" : "0.10"))]
    }

    /// `fal-ai/flux/schnell`: $0.003 per megapixel, rounded up to whole megapixels per image (fal's model page,
    /// "$0.003 per megapixels"; 1 MP = 1024×1024 px, so every preset size is one megapixel: $0.003 an image).
    static func falFluxSchnell(width: Int, height: Int, images: Int) -> [Line] {
        let pixels = max(1, width) * max(1, height)
        let megapixels = (pixels + 1_048_575) / 1_048_576
        return [Line(item: "image \(width)x\(height) (\(megapixels) MP)", quantity: Decimal(megapixels * images),
                     unit: "megapixel", unitPrice: decimal("0.003"))]
    }

    /// `fal-ai/kokoro/*`: $0.02 per 1,000 characters, prorated per character.
    static func falKokoro(characters: Int) -> [Line] {
        [Line(item: "input characters", quantity: Decimal(characters), unit: "character", unitPrice: decimal("0.00002"))]
    }

    // MARK: Replicate

    /// Hardware Replicate runs a model on, and its price per second of `predict_time`.
    enum Hardware: String, Sendable {
        case cpu = "CPU", t4 = "T4", a40 = "A40", a100 = "A100-80GB"

        var perSecond: Decimal {
            switch self {
            case .cpu: Prices.decimal("0.000100")
            case .t4: Prices.decimal("0.000225")
            case .a40: Prices.decimal("0.000575")
            case .a100: Prices.decimal("0.001400")
            }
        }
    }

    /// How a Replicate model is billed: per output (official image models) or per second of hardware.
    enum ReplicateRate: Sendable {
        case perImage(Decimal)
        case perSecond(Hardware)
    }

    /// `black-forest-labs/flux-schnell` $3 per 1,000 images, `flux-1.1-pro` $0.04 an image; `wan-video/wan-2.2-*-fast`
    /// on A100 (80GB) and `openai/whisper` on T4 by `predict_time`.
    static func replicateRate(model: String) -> ReplicateRate? {
        switch model {
        case "black-forest-labs/flux-schnell": .perImage(decimal("0.003"))
        case "black-forest-labs/flux-1.1-pro": .perImage(decimal("0.04"))
        case "wan-video/wan-2.2-t2v-fast", "wan-video/wan-2.2-i2v-fast": .perSecond(.a100)
        case "openai/whisper": .perSecond(.t4)
        default: nil
        }
    }

    static func replicate(_ rate: ReplicateRate, images: Int, predictTime: Decimal) -> [Line] {
        switch rate {
        case .perImage(let price):
            [Line(item: "output images", quantity: Decimal(images), unit: "image", unitPrice: price)]
        case .perSecond(let hardware):
            [Line(item: "predict_time on \(hardware.rawValue)", quantity: predictTime, unit: "second",
                  unitPrice: hardware.perSecond)]
        }
    }
}
