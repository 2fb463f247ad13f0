import ArgumentParser
import Foundation
import Logging
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsStore
import MediaJobsWorker

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The home folder (default: $MEDIAJOBS_HOME, else $XDG_DATA_HOME/mediajobs).")
    var home: String?

    @Option(name: .long, help: ArgumentHelp(
        "The artifact folder, which the machines of a fleet share (default: $MEDIAJOBS_ARTIFACTS, else "
            + "storage.artifacts_dir in config.json, else <home>/artifacts).", valueName: "dir"))
    var artifacts: String?

    @Flag(name: .long, help: "Print one JSON object (or array) instead of text.")
    var json = false

    @Option(name: .long, help: "Log level on stderr: trace, debug, info, notice, warning, error.")
    var logLevel: Logger.Level?
}

extension GlobalOptions {
    /// The home folder these options name, with its artifact folder chosen (see `MediaJobsHome.choosingArtifacts`).
    func resolveHome() throws -> MediaJobsHome {
        let environment = ProcessInfo.processInfo.environment
        return try MediaJobsHome.resolve(explicit: home, environment: environment)
            .choosingArtifacts(explicit: artifacts, environment: environment)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// The opened home folder: the store, the artifacts, the media engine and the providers.
struct Context {
    let home: MediaJobsHome
    let store: any JobStore
    let artifacts: ArtifactStore
    let engine: MediaEngine
    let providers: ProviderRegistry
    let transcripts: TranscriptSettings
    let logger: Logger

    init(_ options: GlobalOptions, defaultLogLevel: Logger.Level = .warning) throws {
        Context.bootstrapLogging(level: options.logLevel ?? defaultLogLevel)
        home = try options.resolveHome()
        try home.prepare()
        store = try SQLiteJobStore(path: home.databaseURL.path)
        artifacts = try ArtifactStore(root: home.artifactsURL)
        engine = MediaEngine.shared
        let configuration = try Configuration.load(from: home.configURL)
        transcripts = try configuration.section(TranscriptSettings.self)
        providers = try ProviderRegistry.configured(
            engine: engine, configuration: try configuration.section(ProvidersConfiguration.self),
            catalog: try ModelCatalog.load(home: home.url, configuration: configuration),
            limiter: store)
        logger = Logger(label: "mediajobs")
    }

    var pipeline: Pipeline {
        var pipeline = Pipeline(store: store, artifacts: artifacts, engine: engine, providers: providers)
        pipeline.transcripts = transcripts
        pipeline.configurationURL = home.configURL
        return pipeline
    }

    var submitter: Submitter {
        var submitter = Submitter(store: store, artifacts: artifacts, engine: engine, providers: providers)
        submitter.configurationURL = home.configURL
        return submitter
    }

    func view(_ job: Job, events: Bool = false) async throws -> JobView {
        try await JobView.load(job, store: store, artifacts: artifacts, withEvents: events)
    }

    func job(_ text: String) async throws -> Job {
        let id = try JobID(parsing: text)
        guard let job = try await store.job(id) else {
            throw MediaJobsError(.jobNotFound, "id: no job \(id) in \(home.url.path)")
        }
        return job
    }

    /// Sets up logging on stderr; called once per process, by the one `Context` a command opens.
    static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
