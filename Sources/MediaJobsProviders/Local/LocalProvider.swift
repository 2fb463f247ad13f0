import Foundation
import MediaJobsCore
import MediaJobsFFmpeg

/// The provider that needs no key and no network: speech by flite and recognition by pocketsphinx,
/// both inside libavfilter. It answers at once and costs nothing.
public struct LocalProvider: Provider {
    public let name = "local"
    public static let ttsModel = "flite"
    public static let transcribeModel = "pocketsphinx"
    /// The voice used when a job names none.
    public static let defaultVoice = "slt"

    private let engine: MediaEngine
    /// Where the local models' limits come from (the built-in table, overridden in config.json).
    private let catalog: ModelCatalog

    public init(engine: MediaEngine, catalog: ModelCatalog = .builtIn) {
        self.engine = engine
        self.catalog = catalog
    }

    public func limits(model: String) -> ModelLimits? {
        catalog.model(provider: name, id: model)?.limits
    }

    public func defaultModel(for kind: JobKind) -> String? {
        switch kind {
        case .tts: LocalProvider.ttsModel
        case .transcribe: LocalProvider.transcribeModel
        case .image, .video: nil
        }
    }

    public func check(_ spec: JobSpec, model: String) throws {
        guard let expected = defaultModel(for: spec.kind) else {
            throw MediaJobsError(.providerUnsupported, "provider: 'local' does not make \(spec.kind) jobs")
        }
        guard model == expected else {
            throw MediaJobsError(.providerUnsupported,
                                 "model: 'local' has no \(spec.kind) model '\(model)' (it has '\(expected)')")
        }
        switch spec.kind {
        case .tts:
            if let voice = spec.input.voice, !MediaEngine.fliteVoices.contains(voice) {
                throw MediaJobsError.invalidInput(
                    "input.voice", "'\(voice)' is not a flite voice (one of \(MediaEngine.fliteVoices.joined(separator: ", ")))")
            }
            if spec.input.speed != nil && spec.input.speed != 1 {
                throw MediaJobsError.invalidInput("input.speed", "the local flite voices speak at one speed only")
            }
        case .transcribe:
            if let language = spec.input.language, !["en", "en-us", "en-US", "english"].contains(language) {
                throw MediaJobsError.invalidInput("input.language", "the local pocketsphinx model knows English only")
            }
        case .image, .video:
            break
        }
    }

    public func estimate(_ request: ProviderRequest) -> CostEstimate {
        switch request.spec.kind {
        case .tts:
            LocalProvider.free(["characters": Decimal((request.spec.input.text ?? "").count)])
        case .transcribe:
            LocalProvider.free(["audio_seconds": Decimal(string: String(format: "%.3f", request.audioSeconds ?? 0)) ?? 0])
        default:
            LocalProvider.free([:])
        }
    }

    /// Work done on this machine costs nothing: one line per unit at $0, so the amount is known, not unknown.
    static func free(_ units: [String: Decimal]) -> CostEstimate {
        let lines = units.sorted { $0.key < $1.key }.map {
            PriceLine(unit: $0.key, quantity: $0.value, usdPerUnit: 0, source: "local (runs on this machine)")
        }
        return CostEstimate(lines: lines.isEmpty
            ? [PriceLine(unit: "requests", quantity: 1, usdPerUnit: 0, source: "local (runs on this machine)")] : lines)
    }

    public func start(_ request: ProviderRequest) async throws -> ProviderStart {
        switch request.spec.kind {
        case .tts:
            let text = request.spec.input.text ?? ""
            let voice = request.spec.input.voice ?? LocalProvider.defaultVoice
            let file = request.workDirectory.appendingPathComponent("speech.wav")
            try await engine.synthesizeSpeech(text: text, voice: voice, to: file)
            return .done(ProviderResult(
                files: [.init(url: file, format: "wav")],
                units: ["characters": Decimal(text.count)],
                estimate: LocalProvider.free(["characters": Decimal(text.count)])))
        case .transcribe:
            guard let audio = request.audioFile else {
                throw ProviderError(.fatal, .invalidInput("input.audio", "no audio file to transcribe"))
            }
            let transcript = try await engine.recognizeSpeech(in: audio)
            let info = try await engine.probe(audio)
            let seconds = Decimal(string: String(format: "%.3f", info.durationSeconds ?? 0)) ?? 0
            return .done(ProviderResult(
                transcript: transcript,
                units: ["audio_seconds": seconds],
                estimate: LocalProvider.free(["audio_seconds": seconds])))
        case .image, .video:
            throw ProviderError(.fallback, MediaJobsError(.providerUnsupported,
                                                          "provider: 'local' does not make \(request.spec.kind) jobs"))
        }
    }

    public func poll(_ handle: String, request: ProviderRequest) async throws -> ProviderPoll {
        .failed(ProviderError(.fatal, MediaJobsError(.providerFailed, "provider: 'local' never answers later")))
    }
}
