#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MediaJobsCore
import MediaJobsWorker

/// Writing to the terminal: JSON or text on stdout, errors and live progress on stderr.
enum Terminal {
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func printError(_ error: MediaJobsError) {
        writeError("error: \(error.code.rawValue): \(error.message)")
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func writeJSON<T: Encodable>(_ value: T) throws {
        let data = try JobView.makeEncoder().encode(value)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// Rewrites one status line on a terminal; does nothing when stderr is not one.
    static func progress(_ text: String) {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(text)".utf8))
    }

    static func endProgress() {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
