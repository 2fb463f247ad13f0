import ArgumentParser
import Foundation
import Logging
import MediaJobsCore
import MediaJobsProviders
import MediaJobsStore

struct Providers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the providers: the kinds each makes, where each is reached, its key, and whether it is paused.",
        discussion: """
            Keys come from the environment only (OPENROUTER_API_KEY, OPENAI_API_KEY, FAL_KEY, \
            REPLICATE_API_TOKEN) and are never printed: a key is shown by its fingerprint (sha256: and 8 hex \
            digits of its SHA-256). Base URLs come from OPENROUTER_BASE_URL, OPENAI_BASE_URL, FAL_BASE_URL, \
            REPLICATE_BASE_URL, else from config.json ("providers").

            A provider that refused its key (HTTP 401, 403) or has no credit (402) is paused for every worker: \
            jobs skip it and go to their next route. The pause ends when the key changes, when \
            providers.NAME.credit_recheck_s (default 600) has passed after a 402, or with `resume`.

              mediajobs providers
              OPENAI_BASE_URL=http://127.0.0.1:8090/openai/v1 mediajobs providers --json
              mediajobs providers resume openrouter
            """,
        subcommands: [List.self, Resume.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List each provider: kinds, base URL, key (by fingerprint), usable or paused and why.")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let home = MediaJobsHome.resolve(explicit: global.home, environment: ProcessInfo.processInfo.environment)
            let configuration = try Configuration.load(from: home.configURL).section(ProvidersConfiguration.self)
            let providers = try ProviderRegistry.describe(
                configuration: configuration, pauses: try await Providers.pauses(database: global.databaseChoice(home: home)))
            if global.json {
                try Terminal.writeJSON(providers)
                return
            }
            for provider in providers {
                let kinds = provider.kinds.map(\.rawValue).joined(separator: ", ")
                let key: String
                if let variable = provider.keyVariable {
                    key = provider.keySet ? "\(variable) set (\(provider.keyFingerprint ?? "?"))" : "\(variable) MISSING"
                } else {
                    key = "no key needed"
                }
                let state = provider.pause == nil ? "usable" : "PAUSED"
                Terminal.write("\(JobText.pad(provider.name, 11)) \(JobText.pad(kinds, 32)) \(JobText.pad(state, 7)) \(key)")
                if let url = provider.baseURL {
                    Terminal.write("            \(url) (from \(provider.baseURLSource ?? "default"))")
                }
                if let pause = provider.pause {
                    Terminal.write("            paused: \(pause.code.rawValue): \(pause.reason)")
                }
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a provider's pause (after fixing its key or adding credit): jobs are sent to it again.",
            discussion: """
                  mediajobs providers resume openrouter
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The provider: openrouter, openai, fal or replicate.")
        var name: String

        func run() async throws {
            guard ProviderRegistry.knownNames.contains(name) else {
                throw MediaJobsError(.providerUnknown,
                                     "NAME: unknown provider '\(name)' (one of \(ProviderRegistry.knownNames.joined(separator: ", ")))")
            }
            let home = MediaJobsHome.resolve(explicit: global.home, environment: ProcessInfo.processInfo.environment)
            try home.prepareFolder()
            let opened = try await global.databaseChoice(home: home).open(logger: Logger(label: "mediajobs"))
            let ended: ProviderAccountPause?
            do {
                ended = try await opened.store.resumeAccount(provider: name)
                await opened.close()
            } catch {
                await opened.close()
                throw error
            }
            if global.json {
                try Terminal.writeJSON(ResumeResult(provider: name, resumed: ended != nil, pause: ended))
                return
            }
            if let ended {
                Terminal.write("\(name) resumed: jobs are sent to it again (it was paused: \(ended.code.rawValue): \(ended.reason))")
            } else {
                Terminal.write("\(name) was not paused")
            }
        }

        struct ResumeResult: Encodable {
            var provider: String
            var resumed: Bool
            var pause: ProviderAccountPause?
        }
    }

    /// The account pauses kept in `database` (none when it is a SQLite file not made yet).
    static func pauses(database: DatabaseChoice) async throws -> [ProviderAccountPause] {
        if case .sqlite(let path) = database.location, !FileManager.default.fileExists(atPath: path) { return [] }
        let opened = try await database.open(logger: Logger(label: "mediajobs"))
        do {
            let pauses = try await opened.store.accountPauses()
            await opened.close()
            return pauses
        } catch {
            await opened.close()
            throw error
        }
    }
}

struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the model catalog: kinds, price lines (with source and date), defaults and limits per model.",
        discussion: """
            The catalog is a source of defaults, prices and checks, not a whitelist: a model it does not know
            still runs, with an unknown price. It is the built-in table, overlaid by the listings
            `--refresh` reads into catalog.json in the home folder, overlaid by config.json's
            "catalog": {"models": [...]} (see docs/config.example.json).

              mediajobs models
              mediajobs models --provider openrouter --kind video
              OPENROUTER_API_KEY=… mediajobs models --refresh     (OpenRouter's audio, image and video models)
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this provider's models.")
    var provider: String?

    @Option(help: "Only models of this kind: tts, transcribe, image, video.")
    var kind: String?

    @Flag(help: """
        Read OpenRouter's /models?output_modalities=audio,image, /images/models (with each model's endpoints) and \
        /videos/models (needs OPENROUTER_API_KEY) into catalog.json in the home folder.
        """)
    var refresh = false

    func run() async throws {
        let home = MediaJobsHome.resolve(explicit: global.home, environment: ProcessInfo.processInfo.environment)
        var jobKind: JobKind?
        if let kind {
            guard let parsed = JobKind(rawValue: kind) else {
                throw MediaJobsError.invalidInput("--kind", "'\(kind)' is not a kind (tts, transcribe, image, video)")
            }
            jobKind = parsed
        }
        if let provider, !ProviderRegistry.knownNames.contains(provider) {
            throw MediaJobsError(.providerUnknown,
                                 "--provider: unknown provider '\(provider)' (one of \(ProviderRegistry.knownNames.joined(separator: ", ")))")
        }
        let configuration = try Configuration.load(from: home.configURL)
        if refresh {
            let refreshed = try await CatalogRefresh.openRouter(configuration: try configuration.section(ProvidersConfiguration.self))
            try home.prepareFolder()
            let file = home.url.appendingPathComponent(ModelCatalog.refreshedFileName)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(refreshed).write(to: file, options: .atomic)
            if !global.json {
                let priced = refreshed.models.filter { !$0.prices.isEmpty }.count
                Terminal.write("read \(refreshed.models.count) OpenRouter models (\(priced) with prices MediaJobs can use) "
                               + "at \(refreshed.readAt) into \(file.path)")
            }
        }
        let catalog = try ModelCatalog.load(home: home.url, configuration: configuration)
        let models = catalog.models(provider: provider, kind: jobKind)
        if global.json {
            try Terminal.writeJSON(models)
            return
        }
        for model in models {
            Terminal.write("\(model.provider)/\(model.id)  [\(model.kinds.map(\.rawValue).joined(separator: ", "))]"
                           + "  (\(model.origin ?? "built-in"))")
            if model.prices.isEmpty { Terminal.write("    price unknown (give one in \(ModelCatalog.priceField))") }
            for price in model.prices {
                let when = price.condition.map { " when \($0)" } ?? ""
                let date = price.date.isEmpty ? "" : ", \(price.date)"
                let note = price.note.map { "; \($0)" } ?? ""
                Terminal.write("    $\(price.usdPerUnit) per \(price.unit)\(when)  — \(price.source)\(date)\(note)")
            }
            if !model.defaults.isEmpty {
                Terminal.write("    defaults: \(model.defaults.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
            }
            if !model.typical.isEmpty {
                let typical = model.typical.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
                Terminal.write("    typical, for estimates until reported: \(typical)")
            }
            if !model.unrecognizedPrices.isEmpty {
                let raw = model.unrecognizedPrices.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                Terminal.write("    listed but not priced (shape not understood): \(raw)")
            }
            let limits = Models.describe(model.limits)
            if !limits.isEmpty { Terminal.write("    limits: \(limits)") }
        }
    }

    static func describe(_ limits: ModelLimits) -> String {
        var parts: [String] = []
        if let d = limits.durations { parts.append("durations \(d.map { $0 == $0.rounded() ? String(Int($0)) : String($0) }.joined(separator: "/")) s") }
        if let r = limits.resolutions { parts.append("resolutions \(r.joined(separator: "/"))") }
        if let a = limits.aspectRatios { parts.append("aspect ratios \(a.joined(separator: "/"))") }
        if let s = limits.sizes { parts.append("sizes \(s.joined(separator: "/"))") }
        if let v = limits.voices { parts.append("voices \(v.joined(separator: "/"))") }
        if let u = limits.maxUploadBytes { parts.append("upload ≤ \(u / 1024 / 1024) MB") }
        if let c = limits.maxCharacters { parts.append("≤ \(c) characters") }
        if let n = limits.maxImages { parts.append("≤ \(n) images") }
        return parts.joined(separator: "; ")
    }
}
