// The PostgreSQL rows: PostgresJobStore against its own statements sent bare from psycopg
// (Benchmarks/queue_peer_pg.py).
import Foundation
import MediaJobsCore
import MediaJobsPostgres
import MediaJobsStore

/// The psycopg peer and its database chores (create, drop), run as a child process.
struct PostgresPeer {
    let server: String
    let python: String
    let script: String

    init(server: String) {
        self.server = server
        let benchmarks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let root = benchmarks.deletingLastPathComponent()
        var script = benchmarks.appendingPathComponent("queue_peer_pg.py").path
        if !FileManager.default.fileExists(atPath: script) { script = "Benchmarks/queue_peer_pg.py" }
        self.script = script
        // psycopg is installed in the project's virtual environment (make venv), not in the system's Python.
        let venv = root.appendingPathComponent(".build/venv/bin/python").path
        python = FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }

    /// Runs the script with `arguments` after its subcommand; returns what it printed.
    @discardableResult
    func run(_ command: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, command, "--server", server] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw UsageError("\(script) \(command) \(arguments.joined(separator: " ")) failed")
        }
        return output
    }

    /// Creates database `name` on the server (a copy of `template` when given), replacing one of that name, with
    /// `synchronous_commit = on` for every session on it.
    func create(_ name: String, template: String? = nil) throws {
        try run("create", ["--name", name] + (template.map { ["--template", $0] } ?? []))
    }

    func drop(_ name: String) throws {
        try run("drop", ["--name", name])
    }

    /// One scenario of the peer on a fresh copy of `template`; with `prepared` false, psycopg never prepares a
    /// statement on the server (each is parsed and planned every time, as postgres-nio's unnamed statements are).
    func measure(template: String, scenario: String, claimers: Int, prepared: Bool = true, options: Options) throws
        -> PostgresPeerReport
    {
        let output = try run("run", [
            "--template", template, "--scenario", scenario, "--claimers", "\(claimers)", "--jobs", "\(options.jobs)",
            "--batch", "\(options.enqueueBatch)", "--claim-batch", "\(options.claimBatch)",
            "--prepare-threshold", prepared ? "5" : "none",
        ])
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(PostgresPeerReport.self, from: output)
    }
}

/// What `queue_peer_pg.py run` prints.
struct PostgresPeerReport: Decodable {
    var python: String
    var psycopg: String
    var libpq: Int
    var server: String
    var fsync: String
    var synchronousCommit: String
    var prepareThreshold: Int?
    var claimers: Int
    var enqueuePerS: Double
    var claimCompletePerS: Double
    var cyclesPerS: Double
    /// Per job over the whole scenario, this Python process (all its threads).
    var cpuMicrosPerJob: Double
    var switchesPerJob: Double
}

/// What this process spent on a scenario, all threads together (the store's tasks and its event loop): CPU time and
/// voluntary context switches (a thread that blocked: waiting for the server, or for another thread to hand it work).
struct ProcessCost {
    var cpu: Double
    var switches: Int

    static func now() -> ProcessCost {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return ProcessCost(cpu: user + system, switches: Int(usage.ru_nvcsw))
    }

    /// Per job since `start`: CPU microseconds and context switches.
    func perJob(since start: ProcessCost, jobs: Int) -> (cpuMicros: Double, switches: Double) {
        ((cpu - start.cpu) * 1e6 / Double(jobs), Double(switches - start.switches) / Double(jobs))
    }
}

/// `server` with its database replaced by `name`.
func databaseURL(_ server: String, _ name: String) throws -> String {
    guard var components = URLComponents(string: server) else {
        throw UsageError("--postgres: \(server) is not a postgres:// URL")
    }
    components.path = "/" + name
    return try components.string.orThrow("--postgres: no URL for database \(name) on \(server)")
}

/// Connects a store to a fresh copy of `template` named `name`, with one pool connection per task beside the one its
/// `LISTEN` holds, and opens them before the clock starts (the peer's threads connect before it starts too).
func postgresStore(_ peer: PostgresPeer, name: String, template: String, tasks: Int) async throws
    -> PostgresJobStore
{
    try peer.create(name, template: template)
    let store = try await PostgresJobStore.connect(url: try databaseURL(peer.server, name), connections: tasks + 1,
                                                   keepOpen: true)
    // The pool opens its connections from the start; a claim on the empty queue per task (it writes nothing) waits for
    // them before the clock starts.
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            group.addTask { _ = try await store.claim(worker: "warm-\(task)", now: Date(), leaseExpiry: Date()) }
        }
        try await group.waitForAll()
    }
    return store
}

/// The PostgreSQL rows. They mirror the SQLite ones: "unbatched, N claimers" enqueues every job one per transaction
/// from N tasks, then N claimer tasks each loop claim 1 → complete it until the queue is empty (the same functions
/// `unbatched` and `claimAll`); "batched" enqueues 500 per call and claims 100 and completes them per call (`batched`).
/// Each row is followed, in the same run, by the peer doing the same on its own copy of the same migrated database,
/// with N threads of one connection each.
func runPostgres(server: String, options: Options, selected: (String) -> Bool) async throws {
    let peer = PostgresPeer(server: server)
    let run = "mj_queue_bench_\(ProcessInfo.processInfo.processIdentifier)"
    let template = "\(run)_template"
    try peer.create(template)
    defer { try? peer.drop(template) }
    // The store's migrations make the schema that every scenario, ours and the peer's, copies.
    let migrating = try await PostgresJobStore.connect(url: try databaseURL(server, template), connections: 1)
    await migrating.shutdown()

    var rows: [PostgresRow] = []
    let batchName = "postgres batched \(options.enqueueBatch)/\(options.claimBatch)"
    var scenarios: [(name: String, claimers: Int?)] = [1, 2, 4, 8].map { (claimers: Int) in
        ("postgres unbatched, \(claimers) claimer\(claimers == 1 ? "" : "s")", claimers)
    }
    scenarios.append((batchName, nil))
    for (name, claimers) in scenarios where selected(name) {
        var rounds: [PostgresRow] = []
        for round in 1...options.rounds {
            let database = "\(run)_\(claimers.map { "c\($0)" } ?? "batched")_\(round)"
            rounds.append(try await postgresRound(name: name, claimers: claimers, peer: peer, database: database,
                                                  template: template, options: options))
        }
        // The round of the median ratio (ours alone without a peer: of the median rate).
        let order = rounds.sorted { ($0.ratio ?? $0.ours.cycles) < ($1.ratio ?? $1.ours.cycles) }
        var row = order[(order.count - 1) / 2]
        row.ratios = rounds.compactMap(\.ratio)
        rows.append(row)
    }
    printPostgres(rows: rows, jobs: options.jobs, batchName: batchName)
}

/// One run of a scenario on a fresh copy of `template`, then (with Python) of its peer.
func postgresRound(name: String, claimers: Int?, peer: PostgresPeer, database: String, template: String,
                   options: Options) async throws -> PostgresRow {
    let store = try await postgresStore(peer, name: database, template: template, tasks: claimers ?? 1)
    let ours: Rates
    let before = ProcessCost.now()
    do {
        if let claimers {
            ours = try await unbatched(store, jobs: options.jobs, tasks: claimers)
        } else {
            ours = try await batched(store, jobs: options.jobs, enqueueBatch: options.enqueueBatch,
                                     claimBatch: options.claimBatch)
        }
    } catch {
        await store.shutdown()
        try? peer.drop(database)
        throw error
    }
    let cost = ProcessCost.now().perJob(since: before, jobs: options.jobs)
    await store.shutdown()
    try peer.drop(database)
    let report = options.python
        ? try peer.measure(template: template, scenario: claimers == nil ? "batched" : "unbatched",
                           claimers: claimers ?? 1, options: options)
        : nil
    // How much of the peer's lead is the server's parsing and planning: the same peer, never prepared.
    let unprepared = options.python && claimers == 1
        ? try peer.measure(template: template, scenario: "unbatched", claimers: 1, prepared: false, options: options)
        : nil
    return PostgresRow(name: name, ours: ours, cpuMicros: cost.cpuMicros, switches: cost.switches, peer: report,
                       unpreparedPeer: unprepared)
}

struct PostgresRow {
    var name: String
    var ours: Rates
    /// This process's CPU microseconds and voluntary context switches per job.
    var cpuMicros: Double
    var switches: Double
    var peer: PostgresPeerReport?
    var unpreparedPeer: PostgresPeerReport?
    /// Every round's ratio, when there were several.
    var ratios: [Double] = []

    /// Ours ÷ the peer, in this round.
    var ratio: Double? { peer.map { ours.cycles / $0.cyclesPerS } }
}

func printPostgres(rows: [PostgresRow], jobs: Int, batchName: String) {
    guard !rows.isEmpty else { return }
    print("")
    if let report = rows.lazy.compactMap(\.peer).first {
        print("PostgreSQL \(report.server), fsync=\(report.fsync), synchronous_commit=\(report.synchronousCommit), "
              + "\(jobs) jobs; peer: psycopg \(report.psycopg) (libpq \(report.libpq), prepare_threshold "
              + "\(report.prepareThreshold.map(String.init) ?? "none")), Python \(report.python), one connection per "
              + "thread")
    }
    print("MediaJobs PostgresJobStore               enqueue/s  claim+complete/s   cycles/s   ÷peer  "
          + "client CPU µs/job  switches/job")
    func cost(_ cpu: Double, _ switches: Double) -> String {
        String(format: "%17.0f %13.1f", cpu, switches)
    }
    for row in rows {
        print(row.name.padding(toLength: 40, withPad: " ", startingAt: 0), format(row.ours.enqueue), "        ",
              format(row.ours.claimComplete), format(row.ours.cycles), " ",
              ratio(row.ours.cycles, row.peer?.cyclesPerS), " ", cost(row.cpuMicros, row.switches))
        // The store's ÷peer is the first line's; the second line's column is the store ÷ that peer.
        let peers = [("  psycopg, same statements", row.peer, false),
                     ("  psycopg, never prepared", row.unpreparedPeer, true)]
        for case let (name, report?, showRatio) in peers {
            print(name.padding(toLength: 40, withPad: " ", startingAt: 0), format(report.enqueuePerS), "        ",
                  format(report.claimCompletePerS), format(report.cyclesPerS), " ",
                  showRatio ? ratio(row.ours.cycles, report.cyclesPerS) : "      ", " ",
                  cost(report.cpuMicrosPerJob, report.switchesPerJob))
        }
        if row.ratios.count > 1 {
            print("  ÷peer by round:", row.ratios.map { String(format: "%.2f", $0) }.joined(separator: " "))
        }
    }

    func verdict(_ met: Bool) -> String { met ? "met   " : "missed" }
    print("")
    print("Goals (PostgreSQL)")
    for row in rows {
        guard let peer = row.peer else { continue }
        print(verdict(row.ours.cycles >= 0.8 * peer.cyclesPerS),
              "\(row.name) ≥ 0.8× psycopg: " + String(format: "%.2f×", row.ours.cycles / peer.cyclesPerS))
    }
    if let batch = rows.first(where: { $0.name == batchName }) {
        print(String(format: "batched enqueue: %.0f jobs/s (psycopg %.0f, %.2f×)", batch.ours.enqueue,
                     batch.peer?.enqueuePerS ?? .nan, batch.ours.enqueue / (batch.peer?.enqueuePerS ?? .nan)))
    }
    // "No collapse": eight claimers never do worse than one.
    if let one = rows.first(where: { $0.name == "postgres unbatched, 1 claimer" })?.ours.cycles {
        for row in rows where row.name.hasPrefix("postgres unbatched,") && row.name != "postgres unbatched, 1 claimer" {
            print(verdict(row.ours.cycles >= 0.9 * one),
                  "no collapse, \(row.name) vs 1 claimer: " + String(format: "%.2f×", row.ours.cycles / one))
        }
    }
}
