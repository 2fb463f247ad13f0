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

    @Option(name: .long, help: ArgumentHelp(
        "The job database: postgres://USER@HOST/DB (a fleet's shared queue), sqlite:PATH or a path (default: "
            + "$MEDIAJOBS_DATABASE_URL, else database.url in config.json, else <home>/mediajobs.sqlite).",
        valueName: "url"))
    var database: String?

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

    /// The database these options choose for `home` (see `DatabaseChoice.resolve`).
    func databaseChoice(home: MediaJobsHome) throws -> DatabaseChoice {
        try DatabaseChoice.resolve(flag: database, environment: ProcessInfo.processInfo.environment, home: home)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// The opened home folder and database: the store, the artifacts, the media engine and the providers.
struct Context {
    let home: MediaJobsHome
    let database: DatabaseChoice
    let store: any JobStore
    let artifacts: ArtifactStore
    let engine: MediaEngine
    let providers: ProviderRegistry
    let transcripts: TranscriptSettings
    let logger: Logger
    private let opened: OpenedStore

    /// Opens the home and the database `options` choose, runs `body`, and closes the database whether `body` returned
    /// or threw. `connections` caps the pool of a PostgreSQL database (a worker needs one per slot, and a few more);
    /// a long-running command (`worker`, `serve`) passes `keepOpen` to open them all at once and keep them.
    static func with<T>(
        _ options: GlobalOptions, defaultLogLevel: Logger.Level = .warning, connections: Int = 4,
        keepOpen: Bool = false, _ body: (Context) async throws -> T
    ) async throws -> T {
        let context = try await Context(options, defaultLogLevel: defaultLogLevel, connections: connections,
                                        keepOpen: keepOpen)
        do {
            let value = try await body(context)
            await context.opened.close()
            return value
        } catch {
            await context.opened.close()
            throw error
        }
    }

    private init(_ options: GlobalOptions, defaultLogLevel: Logger.Level, connections: Int, keepOpen: Bool)
        async throws {
        Context.bootstrapLogging(level: options.logLevel ?? defaultLogLevel)
        logger = Logger(label: "mediajobs")
        home = try options.resolveHome()
        try home.prepare()
        database = try options.databaseChoice(home: home)
        artifacts = try ArtifactStore(root: home.artifactsURL)
        engine = MediaEngine.shared
        let configuration = try Configuration.load(from: home.configURL)
        transcripts = try configuration.section(TranscriptSettings.self)
        let providersConfiguration = try configuration.section(ProvidersConfiguration.self)
        let catalog = try ModelCatalog.load(home: home.url, configuration: configuration)
        opened = try await database.open(connections: connections, keepOpen: keepOpen, logger: logger)
        store = opened.store
        do {
            providers = try ProviderRegistry.configured(
                engine: engine, configuration: providersConfiguration, catalog: catalog, limiter: store)
        } catch {
            await opened.close()
            throw error
        }
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
            throw MediaJobsError(.jobNotFound, "id: no job \(id) in \(database.shown)")
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
