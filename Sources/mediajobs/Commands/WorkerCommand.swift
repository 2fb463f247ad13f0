import ArgumentParser
import Foundation
import Logging
import MediaJobsWorker
import ServiceLifecycle

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run jobs from the queue until stopped.",
        discussion: """
            mediajobs worker --concurrency 2
            mediajobs worker --concurrency 2 --poll-slots 8

            --concurrency slots submit jobs and do the heavy work (download, validation,
            transcoding); --poll-slots slots only poll generations waiting at a provider whose
            poll time has come, so a slow transcode never delays a poll (0: one pool for both).

            Several workers can run at once: processes sharing the home, or machines sharing a
            PostgreSQL database (--database postgres://…, or MEDIAJOBS_DATABASE_URL) and the artifact
            folder (--artifacts). SIGTERM or
            Ctrl-C stops claiming and lets running jobs finish (up to --grace seconds); jobs still
            running then are released to the queue without counting the attempt.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Jobs run at once (default: the number of cores).")
    var concurrency = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .long, help: "Slots that only poll waiting jobs (0: the --concurrency slots poll too).")
    var pollSlots = 4
    @Option(name: .long, help: "Seconds a lease lasts without a heartbeat; a dead worker's jobs are rescued after it.")
    var leaseSeconds: Double = 30
    @Option(name: .long, help: "Seconds running jobs get to finish after SIGTERM or SIGINT.")
    var grace: Double = 60

    func run() async throws {
        guard (1...256).contains(concurrency) else {
            throw ValidationError("--concurrency must be 1–256")
        }
        guard (0...256).contains(pollSlots) else { throw ValidationError("--poll-slots must be 0–256") }
        guard leaseSeconds >= 1 else { throw ValidationError("--lease-seconds must be at least 1") }
        // A PostgreSQL pool: a connection per slot, and a few for heartbeats, the registry and waking up.
        try await Context.with(global, defaultLogLevel: .info, connections: concurrency + pollSlots + 4,
                                 keepOpen: true) { context in
            let worker = Worker(
                store: context.store, pipeline: context.pipeline,
                configuration: WorkerConfiguration(concurrency: concurrency, leaseDuration: leaseSeconds, pollConcurrency: pollSlots),
                logger: context.logger)
            var config = ServiceGroupConfiguration(
                services: [.init(service: worker)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: context.logger)
            config.maximumGracefulShutdownDuration = .milliseconds(Int64(grace * 1000))
            config.maximumCancellationDuration = .seconds(10)
            try await ServiceGroup(configuration: config).run()
        }
    }
}
