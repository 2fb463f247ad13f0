// Queue throughput of SQLiteJobStore against bare SQLite (Python's sqlite3, same schema) and huey, and of
// PostgresJobStore against the same statements sent bare from Python's psycopg.
//
//     swift build -c release --product QueueBenchmark
//     .build/release/QueueBenchmark --jobs 20000 [--synchronous full] [--no-python]
//     scripts/with-pg-cluster.sh sh -c \
//         '.build/release/QueueBenchmark --jobs 5000 --postgres "$MEDIAJOBS_TEST_DATABASE_URL"'
//
// Each unbatched operation (enqueue, claim with a lease, complete) is its own durable call: the
// caller returns only after the IMMEDIATE transaction holding it committed (concurrent callers'
// operations may share one transaction, each in its own savepoint). Two-process rows re-execute
// this program as children on the same file. "The limit" is the issue's: the same three statements
// bare through Python's sqlite3 on the same schema; "+ event rows" adds our mandatory event row per
// transaction, for readers who want the like-for-like figure. The PostgreSQL rows
// (PostgresScenarios.swift) run after the SQLite ones.
import Foundation
import MediaJobsCore
import MediaJobsStore

struct Options {
    var jobs = 20_000
    var synchronous = SQLiteJobStore.Synchronous.normal
    var enqueueBatch = 500
    var claimBatch = 100
    var python = true
    var child: [String] = []
    /// Only the scenarios whose names contain this text (for profiling).
    var only: String?
    /// A PostgreSQL server's URL: the PostgreSQL rows run on databases this program creates there and drops.
    var postgres: String?
    /// How many times each PostgreSQL scenario and its peer run, one after the other; the round shown is the one of
    /// the median ratio (a shared machine's noise moves single runs by 2×).
    var rounds = 1

    init(_ arguments: [String]) throws {
        var rest = arguments.dropFirst()
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            return next
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--jobs": jobs = try Int(value(flag)).orThrow("--jobs needs a number")
            case "--synchronous":
                synchronous = try SQLiteJobStore.Synchronous(rawValue: value(flag).uppercased())
                    .orThrow("--synchronous is normal or full")
            case "--enqueue-batch": enqueueBatch = try Int(value(flag)).orThrow("--enqueue-batch needs a number")
            case "--claim-batch": claimBatch = try Int(value(flag)).orThrow("--claim-batch needs a number")
            case "--no-python": python = false
            case "--only": only = try value(flag)
            case "--postgres": postgres = try value(flag)
            case "--rounds":
                rounds = try Int(value(flag)).flatMap { $0 >= 1 ? $0 : nil }.orThrow("--rounds needs a number ≥ 1")
            case "--child": child = Array(rest); rest = []
            case "-h", "--help":
                print("""
                    usage: QueueBenchmark [--jobs N] [--synchronous normal|full] [--enqueue-batch N] \
                    [--claim-batch N] [--no-python] [--only TEXT] [--postgres URL [--rounds N]]

                    --postgres postgres://USER@HOST:PORT/DATABASE adds the PostgreSQL rows (after the SQLite ones;
                    --only postgres for those alone): 1, 2, 4 and 8 claimers and batched, each beside the same
                    statements sent by Benchmarks/queue_peer_pg.py (psycopg, from .build/venv when it exists).
                    --rounds N runs each of those N times beside its peer and shows the round of the median ratio.
                    """)
                exit(0)
            default: throw UsageError("unknown argument \(flag)")
            }
        }
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw UsageError(message) }
        return self
    }
}

func spec(_ i: Int) -> JobSpec {
    JobSpec(kind: .tts, input: JobInput(text: "job \(i)"))
}

func seconds() -> Double { Date().timeIntervalSince1970 }

/// Jobs per second in each phase, and for the whole cycle.
struct Rates {
    var enqueue: Double
    var claimComplete: Double
    var cycles: Double

    init(jobs: Int, start: Double, enqueued: Double, end: Double) {
        enqueue = Double(jobs) / (enqueued - start)
        claimComplete = Double(jobs) / (end - enqueued)
        cycles = Double(jobs) / (end - start)
    }
}

final class Scratch: Sendable {
    let folder: URL
    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("queue-benchmark-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    func database(_ name: String) -> String { folder.appendingPathComponent("\(name).sqlite").path }
    deinit { try? FileManager.default.removeItem(at: folder) }
}

/// Enqueues `jobs` one per transaction from `tasks` tasks, then claims and completes them all, one per transaction.
func unbatched(_ store: some JobQueue, jobs: Int, tasks: Int) async throws -> Rates {
    let start = seconds()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            group.addTask {
                for i in stride(from: task, to: jobs, by: tasks) {
                    _ = try await store.enqueue(spec(i), now: Date())
                }
            }
        }
        try await group.waitForAll()
    }
    let enqueued = seconds()
    let claimed = try await claimAll(store, tasks: tasks, worker: "w")
    let end = seconds()
    guard claimed == jobs else { throw UsageError("claimed \(claimed) of \(jobs) jobs") }
    return Rates(jobs: jobs, start: start, enqueued: enqueued, end: end)
}

func claimAll(_ store: some JobQueue, tasks: Int, worker: String) async throws -> Int {
    try await withThrowingTaskGroup(of: Int.self) { group in
        for task in 0..<tasks {
            group.addTask {
                let name = "\(worker)-\(task)"
                var count = 0
                while true {
                    let now = Date()
                    guard let job = try await store.claim(worker: name, now: now, leaseExpiry: now + 60) else { break }
                    try await store.complete(job.id, worker: name, result: JobCompletion(), now: Date())
                    count += 1
                }
                return count
            }
        }
        var total = 0
        for try await count in group { total += count }
        return total
    }
}

func batched(_ store: some JobQueue, jobs: Int, enqueueBatch: Int, claimBatch: Int) async throws -> Rates {
    let start = seconds()
    for first in stride(from: 0, to: jobs, by: enqueueBatch) {
        _ = try await store.enqueue((first..<min(jobs, first + enqueueBatch)).map(spec), now: Date())
    }
    let enqueued = seconds()
    var claimed = 0
    while true {
        let now = Date()
        let batch = try await store.claim(worker: "w", now: now, leaseExpiry: now + 60, limit: claimBatch)
        if batch.isEmpty { break }
        try await store.complete(batch.map { ($0.id, JobCompletion()) }, worker: "w", now: Date())
        claimed += batch.count
    }
    let end = seconds()
    guard claimed == jobs else { throw UsageError("claimed \(claimed) of \(jobs) jobs") }
    return Rates(jobs: jobs, start: start, enqueued: enqueued, end: end)
}

// MARK: - Two processes

/// Child mode: `--child <enqueue|claim> <db> <jobs> <start unix time> <synchronous> <name>`; prints `<end time> <count>`.
func runChild(_ arguments: [String]) async throws {
    guard arguments.count == 6, let jobs = Int(arguments[2]), let start = Double(arguments[3]),
          let synchronous = SQLiteJobStore.Synchronous(rawValue: arguments[4]) else {
        throw UsageError("bad --child arguments \(arguments)")
    }
    let store = try SQLiteJobStore(path: arguments[1], synchronous: synchronous)
    let wait = start - seconds()
    if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
    var count = 0
    switch arguments[0] {
    case "enqueue":
        for i in 0..<jobs {
            _ = try await store.enqueue(spec(i), now: Date())
        }
        count = jobs
    default:
        count = try await claimAll(store, tasks: 1, worker: arguments[5])
    }
    print("\(seconds()) \(count)")
}

func spawnChildren(_ phase: String, database: String, jobsEach: Int, options: Options) throws -> (end: Double, count: Int, start: Double) {
    let start = seconds() + 0.5
    var processes: [(Process, Pipe)] = []
    for n in 0..<2 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        process.arguments = ["--child", phase, database, "\(jobsEach)", "\(start)", options.synchronous.rawValue,
                             "p\(n)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        processes.append((process, pipe))
    }
    var end = 0.0
    var count = 0
    for (process, pipe) in processes {
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = output.split(whereSeparator: \.isWhitespace)
        guard process.terminationStatus == 0, fields.count == 2, let time = Double(fields[0]),
              let n = Int(fields[1]) else {
            throw UsageError("child process failed: \(output)")
        }
        end = max(end, time)
        count += n
    }
    return (end, count, start)
}

func twoProcesses(database: String, options: Options) throws -> Rates {
    let each = options.jobs / 2
    let enqueue = try spawnChildren("enqueue", database: database, jobsEach: each, options: options)
    let claim = try spawnChildren("claim", database: database, jobsEach: each, options: options)
    guard claim.count == each * 2 else { throw UsageError("claimed \(claim.count) of \(each * 2) jobs") }
    var rates = Rates(jobs: each * 2, start: enqueue.start, enqueued: enqueue.end, end: claim.end)
    rates.claimComplete = Double(each * 2) / (claim.end - claim.start)
    rates.cycles = 1 / (1 / rates.enqueue + 1 / rates.claimComplete)
    return rates
}

// MARK: - Python references

struct PeerRates: Decodable {
    var enqueuePerS: Double
    var claimCompletePerS: Double?
    var dequeuePerS: Double?
    var cyclesPerS: Double
}

struct PeerReport: Decodable {
    var python: String
    var sqlite: String
    var limitBare: PeerRates
    var limitWithEvents: PeerRates
    var limitBatched: PeerRates
    var huey: PeerRates?
}

func runPython(template: String, options: Options) throws -> PeerReport {
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    var script = here.appendingPathComponent("queue_peer.py").path
    if !FileManager.default.fileExists(atPath: script) { script = "Benchmarks/queue_peer.py" }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script, "--db", template, "--jobs", "\(options.jobs)",
                         "--synchronous", options.synchronous.rawValue,
                         "--batch", "\(options.enqueueBatch)", "--claim-batch", "\(options.claimBatch)"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw UsageError("\(script) failed") }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(PeerReport.self, from: output)
}

// MARK: - Main

func format(_ value: Double) -> String {
    let text = String(Int(value.rounded()))
    return String(repeating: " ", count: max(0, 9 - text.count)) + text
}

func ratio(_ value: Double, _ reference: Double?) -> String {
    guard let reference, reference > 0 else { return "     -" }
    return String(format: "%6.2f", value / reference)
}

func main() async throws {
    let options = try Options(CommandLine.arguments)
    if !options.child.isEmpty {
        try await runChild(options.child)
        return
    }
    let scratch = try Scratch()
    func store(_ name: String, cache: Int = 4_096) throws -> SQLiteJobStore {
        try SQLiteJobStore(path: scratch.database(name), synchronous: options.synchronous, specCacheCapacity: cache)
    }
    let cpus = ProcessInfo.processInfo.activeProcessorCount
    print("QueueBenchmark: \(options.jobs) jobs, synchronous=\(options.synchronous.rawValue), WAL, \(cpus) CPUs")

    func selected(_ name: String) -> Bool { options.only.map { name.contains($0) } ?? true }
    let batchName = "batched \(options.enqueueBatch)/\(options.claimBatch)"
    let sqliteNames = ["unbatched, 1 task", "unbatched, 2 tasks", "unbatched, 4 tasks",
                       "unbatched, 1 task, no spec cache", "unbatched, 2 processes", batchName]
    var peer: PeerReport?
    if options.python && sqliteNames.contains(where: selected) {
        let template = try store("template")
        try await template.checkpoint()
        peer = try runPython(template: scratch.database("template"), options: options)
    }

    var rows: [(String, Rates, Double?, Double?)] = []
    let limit = peer?.limitBare.cyclesPerS
    let huey = peer?.huey?.cyclesPerS
    for tasks in [1, 2, 4] {
        let name = "unbatched, \(tasks) task\(tasks == 1 ? "" : "s")"
        guard selected(name) else { continue }
        let rates = try await unbatched(try store("claimers-\(tasks)"), jobs: options.jobs, tasks: tasks)
        rows.append((name, rates, limit, huey))
    }
    if selected("unbatched, 1 task, no spec cache") {
        let uncached = try await unbatched(try store("no-cache", cache: 0), jobs: options.jobs, tasks: 1)
        rows.append(("unbatched, 1 task, no spec cache", uncached, limit, huey))
    }
    if selected("unbatched, 2 processes") {
        _ = try store("processes")
        rows.append(("unbatched, 2 processes",
                     try twoProcesses(database: scratch.database("processes"), options: options), limit, huey))
    }
    var batch: Rates?
    if selected(batchName) {
        let rates = try await batched(try store("batched"), jobs: options.jobs, enqueueBatch: options.enqueueBatch,
                                      claimBatch: options.claimBatch)
        rows.append((batchName, rates, peer?.limitBatched.cyclesPerS, huey))
        batch = rates
    }

    if !rows.isEmpty {
        printSQLite(rows: rows, peer: peer, batch: batch)
    }
    if let server = options.postgres {
        try await runPostgres(server: server, options: options, selected: selected)
    }
}

func printSQLite(rows: [(String, Rates, Double?, Double?)], peer: PeerReport?, batch: Rates?) {
    let limit = peer?.limitBare.cyclesPerS
    print("")
    print("MediaJobs SQLiteJobStore                 enqueue/s  claim+complete/s   cycles/s   ÷limit  ÷huey")
    for (name, rates, limit, huey) in rows {
        print(name.padding(toLength: 40, withPad: " ", startingAt: 0), format(rates.enqueue), "        ",
              format(rates.claimComplete), format(rates.cycles), " ", ratio(rates.cycles, limit),
              ratio(rates.cycles, huey))
    }
    if let peer {
        print("")
        print("References (Python \(peer.python), SQLite \(peer.sqlite), single thread, same schema and statements)")
        let refs: [(String, PeerRates?)] = [
            ("bare SQLite: 3 statements (the limit)", peer.limitBare),
            ("bare SQLite: 3 statements + event rows", peer.limitWithEvents),
            ("bare SQLite: batched", peer.limitBatched),
            ("huey SqliteStorage enqueue/dequeue", peer.huey),
        ]
        for (name, rates) in refs {
            guard let rates else { print(name.padding(toLength: 40, withPad: " ", startingAt: 0), "not installed"); continue }
            print(name.padding(toLength: 40, withPad: " ", startingAt: 0), format(rates.enqueuePerS), "        ",
                  format(rates.claimCompletePerS ?? rates.dequeuePerS ?? 0), format(rates.cyclesPerS))
        }
        print("")
        if let ours = rows.first(where: { $0.0 == "unbatched, 1 task" })?.1.cycles {
            print(String(format: "unbatched cycles: %.2f× the bare limit, %.2f× the limit with event rows, %.2f× huey",
                         ours / peer.limitBare.cyclesPerS, ours / peer.limitWithEvents.cyclesPerS,
                         ours / (peer.huey?.cyclesPerS ?? .nan)))
        }
        if let batch {
            print(String(format: "batched: enqueue %.0f jobs/s, claim+complete %.0f jobs/s (limit %.0f / %.0f)",
                         batch.enqueue, batch.claimComplete, peer.limitBatched.enqueuePerS,
                         peer.limitBatched.claimCompletePerS ?? 0))
        }
    }
    printGoals(rows: rows.map { ($0.0, $0.1) }, limit: limit, batch: batch)
}

/// The issue's goals, each with the measured value: unbatched cycles at least 0.8× the bare limit,
/// batched at least 50,000 jobs/s, and no collapse from 1 to 4 claimers or with 2 processes.
func printGoals(rows: [(String, Rates)], limit: Double?, batch: Rates?) {
    func cycles(_ name: String) -> Double? { rows.first { $0.0 == name }?.1.cycles }
    func verdict(_ met: Bool) -> String { met ? "met   " : "missed" }
    print("")
    print("Goals")
    if let limit {
        for name in ["unbatched, 1 task", "unbatched, 2 tasks", "unbatched, 4 tasks", "unbatched, 2 processes"] {
            guard let value = cycles(name) else { continue }
            print(verdict(value >= 0.8 * limit),
                  "\(name) ≥ 0.8× the bare limit: " + String(format: "%.2f×", value / limit))
        }
    }
    if let batch {
        print(verdict(batch.enqueue >= 50_000),
              String(format: "batched enqueue ≥ 50,000 jobs/s: %.0f (claim+complete %.0f, whole cycle %.0f)",
                     batch.enqueue, batch.claimComplete, batch.cycles))
    }
    if let one = cycles("unbatched, 1 task") {
        // "No collapse": more claimers, or a second process, never do worse than one claimer.
        for name in ["unbatched, 4 tasks", "unbatched, 2 processes"] {
            guard let value = cycles(name) else { continue }
            print(verdict(value >= 0.9 * one), "no collapse, \(name) vs 1 task: " + String(format: "%.2f×", value / one))
        }
    }
}

do {
    try await main()
} catch {
    FileHandle.standardError.write(Data("QueueBenchmark: \(error)\n".utf8))
    exit(1)
}
