import ArgumentParser
import Foundation
import MediaJobsSimulator

struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Serve imitations of the OpenRouter, OpenAI, fal and Replicate APIs on one local port.",
        discussion: """
            mediajobs simulator --port 8090
            mediajobs simulator --port 8090 --faults '429:2@openai/audio/speech*2,503~0.1'
            mediajobs simulator --port 8090 --schedule seconds:2:5

            Point MediaJobs at it with the exports it prints, e.g.
              OPENAI_BASE_URL=http://127.0.0.1:8090/openai/v1
            Any non-empty key is accepted. Ctrl-C stops it.

            --faults is a comma-separated list of FAULT[@PROVIDER[/PATH]][^METHOD][*COUNT|~RATE]:
              FAULT    429[:RETRY_AFTER] 500 502 503 524 529 401 402 (any 4xx/5xx), slow[:SECONDS],
                       reset, truncate, corrupt, content-type, policy, unknown-model, job-fail[:MESSAGE],
                       provider-cancel, expired (fal), png-instead
              PROVIDER openrouter, openai, fal, replicate; PATH a prefix after the provider's base URL
              *COUNT   the next COUNT matching requests (default *1); ~RATE each with probability RATE
            --schedule is polls:QUEUED:RUNNING (status reads) or seconds:QUEUED:RUNNING.
            """)

    @Option(name: .long, help: "Port to listen on (0: any free port).")
    var port = 8090
    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"
    @Option(name: .long, help: "Faults to inject (see above).")
    var faults: String?
    @Option(name: .long, help: "How asynchronous jobs advance (see above).")
    var schedule = "seconds:1:3"
    @Option(name: .long, help: "Seed for rate faults, so a run can be repeated.")
    var seed: UInt64 = 1

    func run() async throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0–65535") }
        let rules: [FaultRule]
        let jobSchedule: JobSchedule
        do {
            rules = try faults.map(FaultRule.parseList) ?? []
            jobSchedule = try JobSchedule(spec: schedule)
        } catch let error as SimulatorSpecError {
            throw ValidationError(error.description)
        }
        let simulator = try await Simulator.start(
            host: host, port: port, faults: rules, schedule: jobSchedule, seed: seed,
            shutdownSignals: [.sigint, .sigterm])
        print("MediaJobs simulator on http://\(host):\(simulator.port) (any non-empty key is accepted)")
        for provider in SimulatedProvider.allCases {
            print("export \(provider.baseURLVariable)=\(simulator.baseURL(provider).absoluteString)")
        }
        if !rules.isEmpty { print("faults: \(rules.map(\.description).joined(separator: ","))") }
        print("schedule: \(jobSchedule)")
        fflush(nil)  // a script reading the exports through a pipe sees them now
        try await simulator.waitUntilStopped()
    }
}
