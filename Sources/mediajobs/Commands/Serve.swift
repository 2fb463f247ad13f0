import ArgumentParser
import Foundation
import Logging
import MediaJobsCore
import MediaJobsServer
import MediaJobsWorker
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the JSON API, live events, /metrics and the dashboard over HTTP, with workers.",
        discussion: """
            mediajobs serve
            mediajobs serve --port 8787 --workers 2
            mediajobs serve --workers 0          # the API alone, beside `mediajobs worker` processes
            mediajobs serve --host 0.0.0.0 --token "$(openssl rand -hex 24)"

            Then open http://127.0.0.1:8787/ for the dashboard, or:
              curl -s http://127.0.0.1:8787/v1/jobs -H 'Content-Type: application/json' \\
                -d '{"kind": "tts", "provider": "local", "input": {"text": "Hello"}}'

            The server listens on loopback unless --host says otherwise, and then it needs --token:
            every /v1 request and /metrics must carry `Authorization: Bearer <token>`. Job bodies may
            name input files only under the folders listed in config.json ("server": {"input_folders":
            [...]}); otherwise upload the file (multipart) or name an artifact sha256.
            SIGTERM or Ctrl-C stops the workers first (running jobs get --grace seconds), then the API.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Address to listen on (default: loopback only).")
    var host = "127.0.0.1"
    @Option(name: .long, help: "Port to listen on (0 picks a free one).")
    var port = 8787
    @Option(name: .long, help: "Jobs run at once by workers in this process; 0 serves the API alone.")
    var workers = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .long, help: "Slots that only poll waiting jobs, apart from --workers (with --workers > 0).")
    var pollSlots = 4
    @Option(name: .long, help: "Bearer token every API request must carry (needed off loopback; also read from MEDIAJOBS_TOKEN).")
    var token: String?
    @Option(name: .long, help: "Seconds running jobs get to finish after SIGTERM or SIGINT.")
    var grace: Double = 60

    func run() async throws {
        guard (0...256).contains(workers) else { throw ValidationError("--workers must be 0–256") }
        guard (0...256).contains(pollSlots) else { throw ValidationError("--poll-slots must be 0–256") }
        // A PostgreSQL pool: a connection per worker slot, and some for the API's requests.
        try await Context.with(global, defaultLogLevel: .info, connections: workers + pollSlots + 8,
                                 keepOpen: true) { context in
            let section = try Configuration.load(from: context.home.configURL).section(ServerSection.self)
            let options = ServerOptions(host: host, port: port,
                                        token: token ?? ProcessInfo.processInfo.environment["MEDIAJOBS_TOKEN"], limits: section)
            try options.validate()
            let server = MediaJobsServer(store: context.store, artifacts: context.artifacts, submitter: context.submitter,
                                         options: options, logger: context.logger)
            let logger = context.logger
            let host = self.host
            let app = server.makeApplication { port in
                logger.notice("serving", metadata: ["url": "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/"])
                // A line on stdout too, so scripts that start the server can read the port.
                FileHandle.standardOutput.write(Data("listening on http://\(host.contains(":") ? "[\(host)]" : host):\(port)/\n".utf8))
            }
            // The API first, the workers after it: shutdown runs in reverse, so status stays readable
            // while the workers drain.
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app)]
            if workers > 0 {
                services.append(.init(service: Worker(
                    store: context.store, pipeline: context.pipeline,
                    configuration: WorkerConfiguration(concurrency: workers, pollConcurrency: pollSlots), logger: context.logger)))
            }
            var config = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                   logger: context.logger)
            config.maximumGracefulShutdownDuration = .milliseconds(Int64(grace * 1000))
            config.maximumCancellationDuration = .seconds(10)
            try await ServiceGroup(configuration: config).run()
        }
    }
}
