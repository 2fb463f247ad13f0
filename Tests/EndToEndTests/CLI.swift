import Foundation

/// Runs the built `mediajobs` binary as a user would, on a home folder of its own.
struct CLI {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String

        /// stdout parsed as one JSON object.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
        }
    }

    let home: URL
    /// Variables added to the environment of every command (base URLs, keys).
    var environment: [String: String] = [:]

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("mediajobs-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    /// The binary next to the test bundle (`swift build` puts both in one folder).
    static let binary: URL = {
        if let explicit = ProcessInfo.processInfo.environment["MEDIAJOBS_BIN"] {
            return URL(fileURLWithPath: explicit)
        }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = testBinary.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("mediajobs")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            folder = folder.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/mediajobs")
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func sample(_ name: String) -> URL {
        packageRoot.appendingPathComponent("Samples").appendingPathComponent(name)
    }

    var database: URL { home.appendingPathComponent("mediajobs.sqlite") }

    /// Writes the home's `config.json` for providers that are the simulator running inside the test process, with
    /// `members` (top-level JSON members, without braces) beside it. That simulator makes its media in the FFmpeg pool
    /// every other test of the suite shares, so under the whole suite's load an answer may take minutes: requests
    /// wait patiently for it, as `RemoteHome`'s do, instead of giving up after two silent minutes.
    func writeSimulatorConfig(_ members: String = "") throws {
        let patient = #"{"timeouts": {"submit": {"total": 900, "low_speed_seconds": 600}}}"#
        let providers = ["openrouter", "openai", "fal", "replicate"].map { "\"\($0)\": \(patient)" }.joined(separator: ", ")
        let json = "{\"providers\": {\(providers)}" + (members.isEmpty ? "" : ", \(members)") + "}"
        try Data(json.utf8).write(to: home.appendingPathComponent("config.json"))
    }

    /// Starts `process`, one at a time in this test process: Foundation's `Process.run` crashed once (a bad read in
    /// its copying, in the whole suite on 2 cores) while other tests were starting processes at the same moment.
    static func spawn(_ process: Process) throws {
        spawning.lock()
        defer { spawning.unlock() }
        try process.run()
    }

    private static let spawning = NSLock()

    /// Starts the binary with `arguments` (and `--home`), without waiting.
    func start(
        _ arguments: [String], stdout: FileHandle? = nil, stderr: FileHandle? = nil, home useHome: Bool = true
    ) throws -> Process {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments + (useHome ? ["--home", home.path] : [])
        process.currentDirectoryURL = CLI.packageRoot
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "MEDIAJOBS_HOME")
        process.environment = environment.merging(self.environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = stderr ?? FileHandle.nullDevice
        try CLI.spawn(process)
        return process
    }

    /// Runs the binary to the end and collects what it printed.
    @discardableResult
    func run(_ arguments: [String]) async throws -> Output {
        let out = home.appendingPathComponent("out-\(UUID().uuidString)")
        let err = home.appendingPathComponent("err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        let process = try start(arguments, stdout: outHandle, stderr: errHandle)
        await process.waitForExit()
        try outHandle.close()
        try errHandle.close()
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    func remove() {
        try? FileManager.default.removeItem(at: home)
    }
}

extension Process {
    /// Waits for the process to end on a thread of its own: blocking one of Swift's few cooperative
    /// threads would stall every other test of the run (and any server a test runs in process).
    func waitForExit() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                self.waitUntilExit()
                done.resume()
            }
        }
    }
}

/// Polls `condition` every 50 ms until it holds (true) or `timeout` seconds pass (false): waiting on the event itself.
func eventually(timeout: TimeInterval, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}
