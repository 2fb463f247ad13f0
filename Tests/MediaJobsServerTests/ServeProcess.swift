import Foundation
import Testing

/// `mediajobs serve` started as the built binary, on a home of its own and a free port.
final class ServeProcess: Sendable {
    let home: URL
    let process: Process
    let port: Int
    var client: HTTPClient { HTTPClient(port: port) }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The binary next to the test bundle (`swift build` puts both in one folder).
    static let binary: URL = {
        if let explicit = ProcessInfo.processInfo.environment["MEDIAJOBS_BIN"] {
            return URL(fileURLWithPath: explicit)
        }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
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

    /// The Python of the venv that `make test` creates (schemathesis, playwright).
    static var python: URL { packageRoot.appendingPathComponent(".build/venv/bin/python") }

    /// The venv's Python, once both it (for Playwright) and Debian's chromium are here; fails the test naming what
    /// is missing otherwise.
    static func browserPython() throws -> URL {
        try #require(FileManager.default.isExecutableFile(atPath: python.path), "no \(python.path): `make test` (or `make venv`) creates it")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "no /usr/bin/chromium: scripts/bootstrap.sh installs it")
        return python
    }

    init(arguments: [String] = ["--workers", "1"], config: String? = nil) throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("serve-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        if let config { try Data(config.utf8).write(to: home.appendingPathComponent("config.json")) }
        let out = Pipe()
        process = Process()
        process.executableURL = ServeProcess.binary
        process.arguments = ["serve", "--port", "0", "--home", home.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "MEDIAJOBS_HOME")
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line on stdout says where it listens: "listening on http://127.0.0.1:PORT/".
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: #":(\d+)/"#, options: .regularExpression),
              let port = Int(text[range].dropFirst().dropLast()) else {
            process.terminate()
            throw ClientError("mediajobs serve did not say where it listens: '\(text)'")
        }
        self.port = port
    }

    /// SIGTERM, then the exit status.
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: home)
        return process.terminationStatus
    }

    /// Runs a program to its end; returns its status and what it printed (stdout and stderr together).
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                    directory: URL = packageRoot) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = directory
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        await process.waitForExit()
        try handle.close()
        return (process.terminationStatus, String(decoding: try Data(contentsOf: log), as: UTF8.self))
    }
}

extension Process {
    /// Waits for the process to end on a thread of its own, never holding a cooperative thread.
    func waitForExit() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                self.waitUntilExit()
                done.resume()
            }
        }
    }
}
