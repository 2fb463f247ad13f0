// Many asynchronous video jobs in flight against the simulator, with at most 8 worker slots: what waiting costs.
//
//     swift build -c release --product FleetBenchmark
//     .build/release/FleetBenchmark --jobs 2000 --generation 30:120
//     .build/release/FleetBenchmark --jobs 10000 --generation 900:900 --wait-window 60 --no-finish
//
// This process is the worker (4 work slots, 4 poll slots, one SQLite home in a temporary folder); the simulator
// runs as a child process (this program re-executed with --simulator), so its memory, CPU and request log are not
// counted here. Each job is a fal video whose simulated generation takes a random time in --generation (seconds).
// Reported: peak RSS of the worker process (VmHWM), CPU seconds of the worker while every job waits at the
// provider (per 1,000 waiting jobs per minute), and from the simulator's own request log the shortest gap between
// two status reads of one job against the provider's poll interval (--poll-interval, the hint the adapter gets).
import Foundation
import Logging
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsProviders
import MediaJobsSimulator
import MediaJobsStore
import MediaJobsWorker

struct Options {
    var jobs = 2_000
    var generation: ClosedRange<Double> = 30...120
    var pollInterval = 5.0
    var workSlots = 4
    var pollSlots = 4
    var waitWindow = 60.0
    var finish = true
    var simulatorChild = false

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        func value(_ flag: String) -> String {
            guard let next = rest.popFirst() else { fail("\(flag) needs a value") }
            return next
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--jobs": jobs = parse(value(flag), "--jobs needs a number")
            case "--generation":
                let parts = value(flag).split(separator: ":").compactMap { Double($0) }
                guard parts.count == 2, parts[0] <= parts[1] else { fail("--generation is MIN:MAX seconds") }
                generation = parts[0]...parts[1]
            case "--poll-interval": pollInterval = parse(value(flag), "--poll-interval needs seconds")
            case "--work-slots": workSlots = parse(value(flag), "--work-slots needs a number")
            case "--poll-slots": pollSlots = parse(value(flag), "--poll-slots needs a number")
            case "--wait-window": waitWindow = parse(value(flag), "--wait-window needs seconds")
            case "--no-finish": finish = false
            case "--simulator": simulatorChild = true
            case "-h", "--help":
                print("usage: FleetBenchmark [--jobs N] [--generation MIN:MAX] [--poll-interval S] [--work-slots N] "
                    + "[--poll-slots N] [--wait-window S] [--no-finish]")
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

/// Peak resident set of this process, in MiB (VmHWM).
func peakRSSMiB() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kib = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kib / 1024
    }
    return 0
}

/// User + system CPU seconds of this process so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

// MARK: - The simulator child

/// Serves fal on a free port (printed as the first line), varying the generation time of each newly submitted job
/// across the range; when stdin closes, prints the shortest gap between status reads of any one job and exits.
func runSimulatorChild(_ options: Options) async throws {
    let simulator = try await Simulator.start(validatesRequests: false)
    print("PORT \(simulator.port)")
    fflush(nil)
    let range = options.generation
    let varying = Task {
        while !Task.isCancelled {
            let total = Double.random(in: range)
            simulator.setSchedule(.seconds(queued: total * 0.2, running: total * 0.8), for: .fal)
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
    // Wait for the parent to close stdin.
    _ = await Task.detached { FileHandle.standardInput.readDataToEndOfFile() }.value
    varying.cancel()
    var last: [String: Date] = [:]
    var gaps: [Double] = []
    var statusReads = 0
    for request in simulator.requests(.fal) where request.method == "GET" && request.path.hasSuffix("/status") {
        statusReads += 1
        if let previous = last[request.path] { gaps.append(request.receivedAt.timeIntervalSince(previous)) }
        last[request.path] = request.receivedAt
    }
    gaps.sort()
    let creates = simulator.requests(.fal).filter { $0.method == "POST" }.count
    print(String(format: "STATS creates=%d status_reads=%d jobs_polled=%d min_gap_s=%.3f p1_gap_s=%.3f median_gap_s=%.3f",
                 creates, statusReads, last.count, gaps.first ?? 0, gaps.isEmpty ? 0 : gaps[gaps.count / 100],
                 gaps.isEmpty ? 0 : gaps[gaps.count / 2]))
    fflush(nil)
    await simulator.stop()
}

// MARK: - The worker

func runWorker(_ options: Options) async throws {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    child.arguments = ["--simulator", "--generation", "\(options.generation.lowerBound):\(options.generation.upperBound)"]
    let input = Pipe()
    let output = Pipe()
    child.standardInput = input
    child.standardOutput = output
    try child.run()
    let reader = LineReader(output.fileHandleForReading)
    guard let portLine = reader.next(), portLine.hasPrefix("PORT "), let port = Int(portLine.dropFirst(5)) else {
        fail("the simulator child did not start")
    }

    let root = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    let store = try SQLiteJobStore(path: root.appendingPathComponent("mediajobs.sqlite").path)
    let artifacts = try ArtifactStore(root: root.appendingPathComponent("artifacts"))
    let settings = RemoteProviderSettings(pollIntervalSeconds: options.pollInterval)
    let providers = try ProviderRegistry.configured(
        engine: .shared, configuration: ProvidersConfiguration(fal: settings),
        environment: ["FAL_BASE_URL": "http://127.0.0.1:\(port)/fal", "FAL_KEY": "fal-bench-key"], limiter: store)
    let pipeline = Pipeline(store: store, artifacts: artifacts, engine: .shared, providers: providers)
    var logger = Logger(label: "fleet")
    logger.logLevel = .error

    var input0 = JobInput(prompt: "a boat at sunset")
    input0.durationSeconds = 8
    let spec = JobSpec(kind: .video, provider: "fal", input: input0)
    let started = Date()
    for start in stride(from: 0, to: options.jobs, by: 1000) {
        _ = try await store.enqueue(Array(repeating: spec, count: min(1000, options.jobs - start)), now: Date())
    }
    print(String(format: "enqueued %d jobs in %.1f s", options.jobs, Date().timeIntervalSince(started)))

    let worker = Worker(
        store: store, pipeline: pipeline,
        configuration: WorkerConfiguration(id: "fleet", concurrency: options.workSlots, leaseDuration: 60,
                                           pollConcurrency: options.pollSlots),
        logger: logger)
    let running = Task { try await worker.run(until: nil) }

    // Phase 1: submission, until nothing is queued.
    let submitStart = Date()
    var counts = try await store.countsByState()
    while (counts[.queued] ?? 0) + (counts[.running] ?? 0) > 0 && (counts[.succeeded] ?? 0) + (counts[.failed] ?? 0) == 0 {
        try await Task.sleep(for: .milliseconds(500))
        counts = try await store.countsByState()
    }
    let submitted = Date().timeIntervalSince(submitStart)
    let waitingNow = counts[.waiting] ?? 0
    print(String(format: "submitted: %d waiting after %.1f s (%.0f submissions/s); peak RSS %.0f MiB", waitingNow,
                 submitted, Double(waitingNow) / max(submitted, 0.001), peakRSSMiB()))

    // Phase 2: everything waits at the provider; what does that cost this process?
    let window = min(options.waitWindow, max(1, options.generation.lowerBound - submitted - 2))
    let cpu0 = cpuSeconds()
    let wall0 = Date()
    try await Task.sleep(for: .seconds(window))
    let cpu = cpuSeconds() - cpu0
    let wall = Date().timeIntervalSince(wall0)
    counts = try await store.countsByState()
    let waiting = Double(counts[.waiting] ?? 0) + Double(counts[.running] ?? 0)
    let perThousandPerMinute = cpu / max(1, waiting / 1000) / (wall / 60)
    print(String(format: "waiting window %.0f s: %.0f jobs in flight, worker CPU %.2f s = %.3f CPU s per 1,000 waiting "
        + "jobs per minute; succeeded so far %d; peak RSS %.0f MiB",
        wall, waiting, cpu, perThousandPerMinute, counts[.succeeded] ?? 0, peakRSSMiB()))

    // Phase 3: let every generation finish and be downloaded, validated and stored.
    if options.finish {
        let finishStart = Date()
        while true {
            counts = try await store.countsByState()
            if (counts[.queued] ?? 0) + (counts[.running] ?? 0) + (counts[.waiting] ?? 0) == 0 { break }
            try await Task.sleep(for: .seconds(1))
        }
        print(String(format: "all final after %.0f s more: %d succeeded, %d failed; total %.0f s; peak RSS %.0f MiB",
                     Date().timeIntervalSince(finishStart), counts[.succeeded] ?? 0, counts[.failed] ?? 0,
                     Date().timeIntervalSince(started), peakRSSMiB()))
    }
    running.cancel()
    _ = await running.result
    // Risks a later attempt settled at the provider (found and polled, or absent) were not paid for twice.
    let risks = try await store.submissionRisks().filter { $0.resolution == nil }.count
    print("possible duplicate paid submissions: \(risks)")

    try input.fileHandleForWriting.close()
    if let stats = reader.next() {
        print("simulator: \(stats.dropFirst(6))" + String(format: " (poll interval hint %.1f s)", options.pollInterval))
    }
    child.waitUntilExit()
}

/// Lines from a pipe, read on demand (blocking; the benchmark's main task only).
final class LineReader {
    let handle: FileHandle
    var buffer = Data()
    init(_ handle: FileHandle) { self.handle = handle }

    func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer = Data(buffer[(newline + 1)...])
                return line
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }
}

let options = Options(CommandLine.arguments)
do {
    if options.simulatorChild {
        try await runSimulatorChild(options)
    } else {
        try await runWorker(options)
    }
} catch {
    fail("\(error)")
}
