import Foundation

/// The Python server in `loopback_server.py`, started once per test process on a free loopback port.
/// It exits when this process ends (it watches its stdin).
final class LoopbackServer: Sendable {
    static let shared: LoopbackServer = {
        do { return try LoopbackServer() } catch { fatalError("cannot start the loopback server: \(error)") }
    }()

    let port: Int
    private let process: Process
    private let stdin: Pipe

    private init() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("loopback_server.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        self.port = port
        self.process = process
        self.stdin = input
    }

    func url(_ path: String) -> URL {
        URL(string: "http://127.0.0.1:\(port)\(path)")!
    }
}
