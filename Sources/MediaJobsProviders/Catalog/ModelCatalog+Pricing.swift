import Foundation
import MediaJobsCore

/// Prices: one function makes the price lines of a job, before the request (`estimate`) and after it (`price`);
/// only the quantities differ, from the request before, from what the provider reported or what was measured after.
extension ModelCatalog {
    /// Characters of speech a second at speed 1 (about 150 English words a minute): how long the audio of a text
    /// will be, until the audio exists and is measured.
    public static let speechCharactersPerSecond: Decimal = 15
    /// Characters of English text a token: a prompt's tokens, until the provider counts them.
    public static let charactersPerToken = 4

    /// What `spec` will cost on `provider`/`model` before anything is sent: one line per unit the model bills, its
    /// quantity from the request (or the model's typical quantity, said so in the line), priced by the line whose
    /// `when` matches the job. A unit without a price, or whose quantity cannot be known yet, makes the estimate
    /// unknown (`usd` nil), never zero. A model the catalog does not know is priced by nothing.
    public func estimate(_ spec: JobSpec, provider: String, model id: String, audioSeconds: Double? = nil) -> CostEstimate {
        lines(spec, provider: provider, model: id, audioSeconds: audioSeconds, reported: [:], measured: [:], answered: [:])
    }

    /// What an attempt cost, by the same lines as `estimate`: quantities the provider `reported` (Replicate
    /// `predict_time`, OpenAI usage tokens, OpenRouter's STT seconds) first, then those `measured` here (seconds of
    /// the returned audio), then the request's. `answered` holds variant values the provider said it used
    /// (OpenAI's `quality` and `size`), which win over the job's and the defaults.
    public func price(_ reported: [String: Decimal], spec: JobSpec, provider: String, model id: String,
                      audioSeconds: Double? = nil, measured: [String: Decimal] = [:],
                      answered: [String: String] = [:]) -> CostEstimate {
        lines(spec, provider: provider, model: id, audioSeconds: audioSeconds, reported: reported, measured: measured,
              answered: answered)
    }

    /// The job's value for each variant dimension: what the provider `answered`, else what the job asked, else
    /// the model's defaults (the provider's own: fal veo3 makes sound unless told not to).
    public func variant(of spec: JobSpec, model: CatalogModel?, answered: [String: String] = [:]) -> [String: String] {
        var variant = model?.defaults ?? [:]
        let input = spec.input
        let asked: [String: String?] = [
            "resolution": input.resolution,
            "audio": input.generateAudio.map { $0 ? "on" : "off" },
            "quality": input.quality,
            "size": input.size,
            "aspect_ratio": input.aspectRatio,
        ]
        for case let (dimension, value?) in asked { variant[dimension] = value }
        for (dimension, value) in answered where !value.isEmpty { variant[dimension] = value }
        return variant
    }

    private func lines(_ spec: JobSpec, provider: String, model id: String, audioSeconds: Double?,
                       reported: [String: Decimal], measured: [String: Decimal], answered: [String: String]) -> CostEstimate {
        guard let model = model(provider: provider, id: id) else {
            // No price: the kind's usual unit, with what is known of its quantity, unpriced.
            let unit = ModelCatalog.usualUnit(spec.kind)
            let quantity = reported[unit] ?? measured[unit]
                ?? ModelCatalog.requestQuantity(unit, spec: spec, model: nil, audioSeconds: audioSeconds)?.quantity
            return CostEstimate(lines: [PriceLine(unit: unit, quantity: quantity ?? 0, usdPerUnit: nil,
                                                  source: "\(provider)/\(id)\(ModelCatalog.notInCatalog)")])
        }
        let variant = variant(of: spec, model: model, answered: answered)
        var lines: [PriceLine] = []
        for unit in model.billedUnits {
            let known: (quantity: Decimal, note: String)? =
                if let value = reported[unit] { (value, "reported by \(provider)") }
                else if let value = measured[unit] { (value, "measured from the output") }
                else { ModelCatalog.requestQuantity(unit, spec: spec, model: model, audioSeconds: audioSeconds) }
            guard let price = model.price(unit: unit, variant: variant) else {
                let dimensions = Set(model.prices.filter { $0.unit == unit }.flatMap(\.when.keys)).sorted()
                let asked = dimensions.map { "\($0)=\(variant[$0] ?? "unset")" }.joined(separator: ", ")
                lines.append(PriceLine(unit: unit, quantity: known?.quantity ?? 0, usdPerUnit: nil, variant: asked,
                                       source: "\(provider)/\(id) has no \(unit) price for \(asked)"))
                continue
            }
            guard let known else {
                var line = price.line(0)
                line.usdPerUnit = nil
                line.source = (line.source ?? "") + "; \(ModelCatalog.quantityUnknown) until \(provider) reports it"
                lines.append(line)
                continue
            }
            lines.append(price.line(known.quantity, quantityNote: known.note))
        }
        return CostEstimate(lines: lines)
    }

    static let notInCatalog = " is not in the model catalog"
    static let quantityUnknown = "quantity unknown"

    /// Why `estimate` has no amount and how to give it one, for a refusal: "<first field>: the price of <route> for
    /// this job is unknown (<why>), so it cannot be checked against <fields>; … Give the model a price in
    /// config.json: catalog.models[].prices".
    public static func unknownPriceMessage(_ estimate: CostEstimate, route: String, checkedAgainst fields: [String]) -> String {
        let first = fields.first.map { String($0.prefix { $0 != " " }) } ?? "price"
        var reasons: [String] = []
        var quantities = false
        for line in estimate.lines where line.usdPerUnit == nil {
            let source = line.source ?? ""
            if source.hasSuffix(notInCatalog) {
                reasons.append("the model catalog does not know \(route)")
            } else if source.contains(quantityUnknown) {
                reasons.append("its \(line.unit) cannot be known before the request")
                quantities = true
            } else {
                reasons.append("the catalog has no \(line.unit) price for \(line.variant ?? "this job")")
            }
        }
        if reasons.isEmpty { reasons.append("the catalog has no price lines for it") }
        let fix = quantities ? "\(priceField), or a typical quantity in catalog.models[].typical" : priceField
        return "\(first): the price of \(route) for this job is unknown (\(reasons.joined(separator: "; "))), so it cannot be "
            + "checked against \(fields.joined(separator: ", ")); a price we lack is never taken as 0. Give the model a price in \(fix)"
    }

    /// The unit a kind is usually billed in, for a model without prices.
    static func usualUnit(_ kind: JobKind) -> String {
        switch kind {
        case .tts: "characters"
        case .transcribe: "audio_seconds"
        case .image: "images"
        case .video: "video_seconds"
        }
    }

    /// How much of `unit` the request asks for, and how that was worked out; nil when it cannot be known before
    /// the provider reports it (tokens of a generated answer) and the model names no typical quantity.
    static func requestQuantity(_ unit: String, spec: JobSpec, model: CatalogModel?,
                                audioSeconds: Double?) -> (quantity: Decimal, note: String)? {
        let input = spec.input
        let text = input.text ?? ""
        switch unit {
        case "characters":
            return (Decimal(text.count), "from the request's text")
        case "output_audio_seconds":
            let speed = Decimal(string: ModelCatalog.format(input.speed ?? 1)) ?? 1
            let seconds = Decimal(text.count) / speechCharactersPerSecond / (speed > 0 ? speed : 1)
            return (rounded(seconds, places: 3),
                    "estimated at \(speechCharactersPerSecond) characters a second until the audio is measured")
        case "audio_seconds":
            if let audioSeconds, let seconds = Decimal(string: String(format: "%.3f", audioSeconds)) {
                return (seconds, "from the input audio's duration")
            }
        case "images":
            return (Decimal(input.n ?? 1), "from the request")
        case "input_images", "reference_images":
            return (Decimal(input.referenceImages?.count ?? 0), "the request's reference images")
        case "requests":
            return (1, "one request")
        case "video_seconds":
            let requested = input.durationSeconds.map { ($0, "from the request") }
                ?? model?.defaults["duration_s"].flatMap(Double.init).map { ($0, "the model's default duration") }
                ?? model?.limits.durations?.first.map { ($0, "the model's first duration") }
            if let (seconds, note) = requested, let value = Decimal(string: ModelCatalog.format(seconds)) { return (value, note) }
        case "input_text_tokens", "input_tokens":
            let prompt = spec.kind == .tts ? text : (input.prompt ?? text)
            let tokens = (prompt.count + charactersPerToken - 1) / charactersPerToken
            return (Decimal(tokens), "estimated at \(charactersPerToken) characters a token until \(unit) are reported")
        default:
            break
        }
        if let typical = model?.typical[unit], let value = ModelPrice.decimal(typical) {
            return (value, "typical for this model, an estimate until the provider reports it")
        }
        return nil
    }

    static func rounded(_ value: Decimal, places: Int) -> Decimal {
        var value = value
        var result = Decimal()
        NSDecimalRound(&result, &value, places, .plain)
        return result
    }
}
