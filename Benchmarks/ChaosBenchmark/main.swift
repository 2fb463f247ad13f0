// Chaos: two `mediajobs worker` processes on one home, killed with SIGKILL at random and restarted, while a mix
// of jobs runs against the provider simulator (in this process). Reports lost jobs, jobs completed twice and possible
// duplicate paid submissions (the goal for each is 0): submissions a killed worker lost, less those a later attempt
// found at the provider (Replicate lists its predictions) or found absent there. From the simulator's own log it also
// reports the remote jobs really created more than once, each of which must be among the unresolved risks.
//
//     swift build -c release --product mediajobs --product ChaosBenchmark
//     .build/release/ChaosBenchmark --jobs 1000 --kills 100 --binary .build/release/mediajobs
//
// Jobs are enqueued straight into the home's store (one transaction) as a user's submissions would be, in tenths:
// 3 openai tts (synchronous, paid), 2 fal image and 1 fal video (asynchronous), 1 replicate image, 3 local tts (in
// process), each allowed 10 attempts and a deadline of 2 hours. Workers run with --lease-seconds 3 so a killed worker's jobs are rescued within seconds.
import Foundation
import MediaJobsCore
import MediaJobsSimulator
import MediaJobsStore

struct Options {
    var jobs = 1_000
    var kills = 100
    var interval = 1.0
    var binary = ".build/release/mediajobs"
    var timeout = 900.0

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        func value(_ flag: String) -> String {
            guard let next = rest.popFirst() else { fail("\(flag) needs a value") }
            return next
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--jobs": jobs = parse(value(flag), "--jobs needs a number")
            case "--kills": kills = parse(value(flag), "--kills needs a number")
            case "--interval": interval = parse(value(flag), "--interval needs seconds")
            case "--binary": binary = value(flag)
            case "--timeout": timeout = parse(value(flag), "--timeout needs seconds")
            case "-h", "--help":
                print("usage: ChaosBenchmark [--jobs N] [--kills N] [--interval S] [--binary PATH] [--timeout S]")
                exit(0)
            default: fail("unknown argument \(flag)")
            }
        }
    }
}

func parse<T: LosslessStringConvertible>(_ text: String, _ message: String) -> T {
    guard let value = T(text) else { fail(message) }
    return value
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(2)
}

let options = Options(CommandLine.arguments)
let binary = URL(fileURLWithPath: options.binary)
guard FileManager.default.isExecutableFile(atPath: binary.path) else { fail("\(binary.path) is not an executable") }
let home = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
let logs = home.appendingPathComponent("logs")
try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)

// The simulator, in this process on a free port, so its request log can be read at the end: its exports tell the
// workers where each provider is.
let simulator = try await Simulator.start(schedule: .seconds(queued: 1, running: 3))
var environment = ProcessInfo.processInfo.environment.merging(simulator.environment) { $1 }
environment["MEDIAJOBS_HOME"] = home.path
for name in ["OPENROUTER_API_KEY", "OPENAI_API_KEY", "FAL_KEY", "REPLICATE_API_TOKEN"] { environment[name] = "chaos-key" }

// The jobs.
let store = try SQLiteJobStore(path: home.appendingPathComponent("mediajobs.sqlite").path)
var specs: [JobSpec] = []
for index in 0..<options.jobs {
    var spec: JobSpec
    switch index % 10 {
    case 0, 1, 2:
        spec = JobSpec(kind: .tts, provider: "openai", input: JobInput(text: "Chaos sentence job-\(index). is spoken here."))
    case 3, 4: spec = JobSpec(kind: .image, provider: "fal", input: JobInput(prompt: "picture job-\(index)."))
    case 5: spec = JobSpec(kind: .image, provider: "replicate", input: JobInput(prompt: "picture job-\(index)."))
    case 6:
        var input = JobInput(prompt: "video job-\(index).")
        input.durationSeconds = 8
        spec = JobSpec(kind: .video, provider: "fal", input: input)
    default: spec = JobSpec(kind: .tts, provider: "local", input: JobInput(text: "Local sentence job-\(index). is spoken."))
    }
    spec.maxAttempts = 10
    // Killed every couple of seconds, the workers are slow: the jobs must not time out before they run.
    spec.deadlineSeconds = 7_200
    spec.idempotencyKey = "chaos-\(index)"
    specs.append(spec)
}
let ids = try await store.enqueue(specs, now: Date()).map(\.job.id)
print("enqueued \(ids.count) jobs in \(home.path)")

let workerEnvironment = environment

func startWorker(_ slot: Int) throws -> Process {
    let worker = Process()
    worker.executableURL = binary
    worker.arguments = ["worker", "--concurrency", "2", "--poll-slots", "4", "--lease-seconds", "3", "--grace", "5"]
    worker.environment = workerEnvironment
    let log = logs.appendingPathComponent("worker-\(slot).log")
    if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
    let handle = try FileHandle(forWritingTo: log)
    handle.seekToEndOfFile()
    worker.standardOutput = handle
    worker.standardError = handle
    try worker.run()
    return worker
}

func finalCount() async throws -> Int {
    let counts = try await store.countsByState()
    return (counts[.succeeded] ?? 0) + (counts[.failed] ?? 0) + (counts[.canceled] ?? 0)
}

let started = Date()
var workers = [try startWorker(0), try startWorker(1)]
var kills = 0
while kills < options.kills {
    try await Task.sleep(for: .seconds(options.interval * Double.random(in: 0.5...1.5)))
    if try await finalCount() == ids.count { break }
    let victim = Int.random(in: 0..<workers.count)
    kill(workers[victim].processIdentifier, SIGKILL)
    workers[victim].waitUntilExit()
    kills += 1
    workers[victim] = try startWorker(victim)
}
print(String(format: "%d kills in %.0f s; %d of %d jobs final then", kills, Date().timeIntervalSince(started),
             try await finalCount(), ids.count))
while try await finalCount() < ids.count && Date().timeIntervalSince(started) < options.timeout {
    try await Task.sleep(for: .seconds(1))
}
for worker in workers {
    kill(worker.processIdentifier, SIGTERM)
    worker.waitUntilExit()
}
// What the providers were actually asked to make: every create request carries its job's marker (`job-N.`) in its
// text or prompt; polls, downloads and cancels carry none.
let creates = try simulator.requestCounts(markedWith: "job-")
await simulator.stop()

// The verdict.
var lost = 0
var twice = 0
var failed: [String: Int] = [:]
var succeeded = 0
for id in ids {
    guard let job = try await store.job(id) else { lost += 1; continue }
    if !job.state.isFinal { lost += 1 }
    if job.state == .failed { failed[job.error?.code ?? "?", default: 0] += 1 }
    let events = try await store.events(id, after: nil)
    let completions = events.filter { $0.kind == .succeeded }.count
    if completions > 1 { twice += 1 }
    if completions == 1 { succeeded += 1 }
}
let risks = try await store.submissionRisks()
// A risk a later attempt settled at the provider is no duplicate: found there (polled, paid once) or absent there
// (never created). Only the unresolved ones may have been paid for twice.
let unresolved = risks.filter { $0.resolution == nil }
let foundAtProvider = risks.filter { $0.resolution == .foundAtProvider }.count
let absentAtProvider = risks.filter { $0.resolution == .absentAtProvider }.count
var risksByRoute: [String: Int] = [:]
for risk in unresolved {
    if let job = try await store.job(risk.jobID) { risksByRoute["\(job.spec.provider) \(job.kind)", default: 0] += 1 }
}
print(String(format: "after %.0f s: %d succeeded, %d failed %@, %d lost (not final), %d completed twice, "
    + "%d possible duplicate paid submissions (unresolved)", Date().timeIntervalSince(started), succeeded,
    failed.values.reduce(0, +), failed.description, lost, twice, unresolved.count))
print("submissions lost by a killed worker: \(risks.count); found at the provider and polled instead of sent again: "
    + "\(foundAtProvider); absent at the provider (never created): \(absentAtProvider); unresolved: \(unresolved.count)")
print("possible duplicate paid submissions (unresolved) by route: \(risksByRoute.sorted { $0.key < $1.key })")
for risk in unresolved.prefix(3) { print("  \(risk.jobID) attempt \(risk.attempt): \(risk.detail)") }
// Remote jobs the simulator was asked to make more than once, and whether the store counted each of them.
let riskyJobs = Set(unresolved.map(\.jobID))
let paidTwice = creates.filter { $0.value > 1 }.map(\.key).sorted()
let uncounted = paidTwice.filter { !riskyJobs.contains(ids[$0]) }
print("remote jobs created at the simulator more than once: \(paidTwice.count) (\(paidTwice.map { creates[$0]! - 1 }.reduce(0, +)) "
    + "extra create requests); not counted as unresolved possible duplicates: \(uncounted.count)")
for index in uncounted.prefix(3) { print("  uncounted: \(ids[index]) created \(creates[index]!) times") }
print("home kept for inspection: \(home.path)")
