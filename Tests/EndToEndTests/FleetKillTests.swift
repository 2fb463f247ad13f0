#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MediaJobsCore
import MediaJobsPostgres
import MediaJobsSimulator
import MediaJobsStore
import Testing

/// Worker processes of the built binary on several "machines" (here: processes) sharing one PostgreSQL database, one
/// of them killed with SIGKILL in the middle of the run and started again.
@Suite("fleet: worker processes sharing one PostgreSQL database", .serialized,
       .enabled(if: TestPostgres.enabled, TestPostgres.skipReason))
struct FleetKillTests {
    static let jobCount = 2_000

    @Test("three workers run 2,000 jobs on one PostgreSQL, one killed with SIGKILL mid-run and restarted: none lost, none done twice, each bill in the ledger once")
    func killedWorkerInAFleet() async throws {
        let simulator = try await Simulator.start()
        var cli = try CLI()
        defer { cli.remove() }
        cli.environment = simulator.environment
        cli.environment["OPENAI_API_KEY"] = "fleet-key"
        try cli.writeSimulatorConfig()
        try await TestPostgres.withDatabase { url in
            cli.environment["MEDIAJOBS_DATABASE_URL"] = url
            let store = try await PostgresJobStore.connect(url: url)
            // Paid speech at the simulated OpenAI, and local speech; each text carries its job's marker, which the
            // simulator's bills name. One word each: the run is about the queue, not the synthesiser.
            let specs = (0..<Self.jobCount).map { index -> JobSpec in
                var spec = JobSpec(kind: .tts, provider: index % 4 == 3 ? "local" : "openai",
                                   input: JobInput(text: "Go job-\(index)."))
                spec.maxAttempts = 10
                // The run is about the fleet, not deadlines: on 2 busy cores it can outlast speech's default 10 minutes.
                spec.deadlineSeconds = 3_600
                return spec
            }
            let ids = try await store.enqueue(specs, now: Date()).map(\.job.id)
            #expect(Set(ids).count == Self.jobCount)

            func startWorker(_ slot: Int) throws -> Process {
                let log = cli.home.appendingPathComponent("worker-\(slot).log")
                if !FileManager.default.fileExists(atPath: log.path) {
                    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
                }
                let handle = try FileHandle(forWritingTo: log)
                handle.seekToEndOfFile()
                return try cli.start(["worker", "--concurrency", "2", "--poll-slots", "0", "--lease-seconds", "3",
                                      "--grace", "2"], stderr: handle)
            }
            func finished() async throws -> Int {
                let counts = try await store.countsByState()
                return (counts[.succeeded] ?? 0) + (counts[.failed] ?? 0) + (counts[.canceled] ?? 0)
            }
            func waitUntil(finished target: Int, timeout: TimeInterval) async throws -> Int {
                let deadline = Date().addingTimeInterval(timeout)
                var done = try await finished()
                while done < target, Date() < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                    done = try await finished()
                }
                return done
            }

            var workers = try (0..<3).map(startWorker)
            // The kill lands when a third of the jobs are done: every worker is busy, and holds jobs.
            let beforeKill = try await waitUntil(finished: Self.jobCount / 3, timeout: 900)
            let running = try await store.countsByState()[.running] ?? 0
            kill(workers[1].processIdentifier, SIGKILL)
            await workers[1].waitForExit()
            workers[1] = try startWorker(1)
            let done = try await waitUntil(finished: Self.jobCount, timeout: 1_200)
            for worker in workers { worker.terminate() }
            for worker in workers { await worker.waitForExit() }
            let bills = try simulator.billing(markedWith: "job-")
            await simulator.stop()

            #expect(beforeKill < Self.jobCount && running > 0,
                    "the kill came after \(beforeKill) of \(Self.jobCount) jobs, with \(running) running")
            #expect(done == Self.jobCount)
            let counts = try await store.countsByState()
            #expect(counts[.succeeded] == Self.jobCount, "\(counts)")

            let artifacts = try ArtifactStore(root: cli.home.appendingPathComponent("artifacts"))
            let risks = Dictionary(grouping: try await store.submissionRisks(), by: \.jobID).mapValues(\.count)
            var rescued = 0
            for (index, id) in ids.enumerated() {
                let events = try await store.events(id, after: nil)
                #expect(events.filter { $0.kind == .succeeded }.count == 1, "job \(id) did not succeed exactly once")
                if events.contains(where: { $0.kind == .leaseExpired }) { rescued += 1 }
                let outputs = try await store.artifacts(id).filter { $0.role == .output }
                #expect(outputs.count == 1 && outputs.allSatisfy { artifacts.contains($0.sha256) },
                        "job \(id): \(outputs)")
                // Every bill is in the ledger, once: a record per request the simulator billed, and beyond those only
                // the requests a dead worker had sent without an answer (a submission risk, recorded as sent).
                let costs = try await store.costs(id)
                let billed = bills[index]?.count ?? 0
                if specs[index].provider == "local" {
                    #expect(billed == 0 && costs.allSatisfy { ($0.usd?.decimal ?? 0) == 0 }, "job \(id): \(costs)")
                } else {
                    #expect(billed >= 1, "job \(id) was never billed")
                    #expect(costs.count >= billed && costs.count <= billed + (risks[id] ?? 0),
                            "job \(id): \(costs.count) ledger records for \(billed) bills and \(risks[id] ?? 0) risks")
                    let recordedAttempts = costs.filter { $0.outcome != .unknown }.map(\.attempt)
                    #expect(Set(recordedAttempts).count == recordedAttempts.count,
                            "job \(id): an attempt's cost is recorded twice: \(costs)")
                }
            }
            #expect(rescued >= 1, "no job of the killed worker was rescued")
            let billedTwice = bills.values.filter { $0.count > 1 }.count
            print("fleet: \(Self.jobCount) jobs, killed after \(beforeKill) with \(running) running; \(rescued) rescued, "
                  + "\(risks.count) with a submission risk, \(billedTwice) billed twice")
            await store.shutdown()
        }
    }
}
