// How soon an idle worker process starts a job that another process queues: PostgreSQL's NOTIFY against the
// SQLite home, where a worker in another process learns of new work only from its idle poll (every 0.25 s at most).
//
//     swift build -c release --product WakeBenchmark --product mediajobs
//     scripts/with-pg-cluster.sh sh -c '.build/release/WakeBenchmark --jobs 100 --postgres "$MEDIAJOBS_TEST_DATABASE_URL"'
//
// For each backend, one `mediajobs worker --concurrency 1` process (the release binary beside this program) runs
// against a fresh store, idle. This process then queues one local speech job at a time, waits until it has
// succeeded, and lets the worker go idle again (a random pause of 0.3–0.8 s, past its longest idle poll) before the
// next. A job's wake-up latency is the time from just before its enqueue was sent to the `claimed` event the worker
// wrote (both clocks are this machine's). The first job is a warm-up and is not counted.
import Foundation
import MediaJobsCore
import MediaJobsPostgres
import MediaJobsStore

struct Options {
    var jobs = 100
    var postgres: String?
    var sqlite = true
    var mediajobs = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("mediajobs")

    init(_ arguments: [String]) throws {
        var rest = arguments.dropFirst()
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            return next
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--jobs":
                guard let number = Int(try value(flag)), number >= 2 else { throw UsageError("--jobs needs 2 or more") }
                jobs = number
            case "--postgres": postgres = try value(flag)
            case "--no-sqlite": sqlite = false
            case "--mediajobs": mediajobs = URL(fileURLWithPath: try value(flag))
            case "-h", "--help":
                print("usage: WakeBenchmark [--jobs N] [--postgres SERVER-URL] [--no-sqlite] [--mediajobs PATH]")
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

/// Runs `psql` on `url` with one statement (to make and drop the benchmark's databases).
func psql(_ url: String, _ sql: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["psql", "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", url, "-c", sql]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw UsageError("psql failed on \(sql)") }
}

/// `url` with its database replaced by `name`.
func database(_ name: String, on url: String) throws -> String {
    guard var parts = URLComponents(string: url) else { throw UsageError("--postgres: not a URL") }
    parts.path = "/" + name
    return parts.string ?? url
}

/// The wake-up latencies of `jobs` jobs, each queued into `store` while a worker process on the same store idles.
func measure(store: any JobStore, jobs: Int, worker arguments: [String], options: Options, home: URL)
    async throws -> [Double]
{
    let worker = Process()
    worker.executableURL = options.mediajobs
    worker.arguments = ["worker", "--concurrency", "1", "--poll-slots", "0", "--home", home.path] + arguments
    worker.standardOutput = FileHandle.nullDevice
    worker.standardError = FileHandle(forWritingAtPath: "/dev/null")
    try worker.run()
    defer {
        worker.terminate()
        worker.waitUntilExit()
    }
    var latencies: [Double] = []
    for index in 0..<jobs {
        try await Task.sleep(for: .milliseconds(Int.random(in: 300...800)))
        let spec = JobSpec(kind: .tts, provider: "local", input: JobInput(text: "Wake \(index)."))
        let sent = Date()
        let id = try await store.enqueue(spec, now: sent).job.id
        let deadline = Date().addingTimeInterval(60)
        var claimed: Date?
        while Date() < deadline {
            let events = try await store.events(id, after: nil)
            if claimed == nil { claimed = events.first { $0.kind == .claimed }?.at }
            if events.contains(where: { $0.kind == .succeeded || $0.kind == .failed }) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard let claimed else { throw UsageError("job \(index) was not claimed within 60 s") }
        if index > 0 { latencies.append(claimed.timeIntervalSince(sent) * 1_000) }
    }
    return latencies
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func report(_ name: String, _ latencies: [Double]) {
    let sorted = latencies.sorted()
    let within = sorted.filter { $0 <= 100 }.count
    print(name.padding(toLength: 34, withPad: " ", startingAt: 0)
        + String(format: " %5d %9.1f %9.1f %9.1f %8d", sorted.count, percentile(sorted, 0.5), percentile(sorted, 0.99),
                 sorted.last ?? 0, within))
}

let options: Options
do {
    options = try Options(CommandLine.arguments)
} catch {
    FileHandle.standardError.write(Data("WakeBenchmark: \(error)\n".utf8))
    exit(2)
}
guard FileManager.default.isExecutableFile(atPath: options.mediajobs.path) else {
    FileHandle.standardError.write(Data("WakeBenchmark: no mediajobs binary at \(options.mediajobs.path)\n".utf8))
    exit(2)
}

print("wake-up latency, enqueue to claimed (ms), \(options.jobs - 1) jobs each after one warm-up")
print("backend".padding(toLength: 34, withPad: " ", startingAt: 0) + "  jobs    median       p99       max   ≤100ms")
var results: [String: [Double]] = [:]
if let server = options.postgres {
    let name = "mediajobs_wake_\(UInt32.random(in: 0...UInt32.max))"
    try psql(server, "CREATE DATABASE \(name)")
    let url = try database(name, on: server)
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("wake-pg-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    let store = try await PostgresJobStore.connect(url: url)
    let latencies = try await measure(store: store, jobs: options.jobs, worker: ["--database", url], options: options,
                                      home: home)
    await store.shutdown()
    try? psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    try? FileManager.default.removeItem(at: home)
    report("PostgreSQL (LISTEN/NOTIFY)", latencies)
    results["postgres"] = latencies
}
if options.sqlite {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("wake-sqlite-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    let store = try SQLiteJobStore(path: home.appendingPathComponent("mediajobs.sqlite").path)
    let latencies = try await measure(store: store, jobs: options.jobs, worker: [], options: options, home: home)
    try? FileManager.default.removeItem(at: home)
    report("SQLite, other process (idle poll)", latencies)
    results["sqlite"] = latencies
}
if let postgres = results["postgres"], let sqlite = results["sqlite"] {
    let ratio = percentile(sqlite.sorted(), 0.5) / percentile(postgres.sorted(), 0.5)
    print(String(format: "median: PostgreSQL wakes %.1f× sooner than the SQLite worker's idle poll", ratio))
}
