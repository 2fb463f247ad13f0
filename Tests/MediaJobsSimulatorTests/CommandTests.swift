import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `mediajobs simulator` run as a user runs it: the built binary, its printed exports, Ctrl-C.
@Suite("mediajobs simulator")
struct CommandTests {
    static let binary: URL = {
        if let explicit = ProcessInfo.processInfo.environment["MEDIAJOBS_BIN"] { return URL(fileURLWithPath: explicit) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("mediajobs")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            folder = folder.deletingLastPathComponent()
        }
        return samples.deletingLastPathComponent().appendingPathComponent(".build/debug/mediajobs")
    }()

    /// Reads `handle` until a line starts with `prefix` (or the output ends).
    static func line(startingWith prefix: String, in handle: FileHandle) async -> String? {
        await Task.detached {
            var buffer = ""
            while true {
                let data = handle.availableData
                if data.isEmpty { return nil }
                buffer += String(decoding: data, as: UTF8.self)
                if let line = buffer.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
            }
        }.value
    }

    @Test("prints the base URLs, serves with the --faults given, and stops cleanly on SIGINT")
    func runsAndStops() async throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["simulator", "--port", "0", "--faults", "503:3@openai/audio/speech"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let export = try #require(await Self.line(startingWith: "export OPENAI_BASE_URL=", in: output.fileHandleForReading))
        let base = try #require(URL(string: String(export.dropFirst("export OPENAI_BASE_URL=".count))))
        #expect(base.path == "/openai/v1")
        let speech: [String: Any] = ["model": "tts-1", "input": "The command line simulator speaks", "voice": "nova"]
        let first = try await HTTP.json(base.appendingPathComponent("audio/speech"), speech)
        #expect(first.status == 503)
        #expect(first.header("Retry-After") == "3")
        let second = try await HTTP.json(base.appendingPathComponent("audio/speech"), speech)
        #expect(second.status == 200)

        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test("a malformed --faults spec is a usage error that names the problem")
    func badFaultSpec() throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["simulator", "--port", "0", "--faults", "500@nowhere"]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 2)
        #expect(message.contains("unknown provider 'nowhere'"), "\(message)")
    }
}
