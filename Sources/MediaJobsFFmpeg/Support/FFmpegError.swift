import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// A failed FFmpeg call: which function, its status code and FFmpeg's own message for it (av_strerror).
public struct FFmpegError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var status: Int32
    public var message: String

    init(_ operation: String, status: Int32) {
        self.operation = operation
        self.status = status
        self.message = FFmpegError.message(for: status)
    }

    init(_ operation: String, message: String) {
        self.operation = operation
        self.status = 0
        self.message = message
    }

    public var description: String { "\(operation): \(message)" }

    /// FFmpeg's text for a negative status code.
    static func message(for status: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        return buffer.withUnsafeMutableBufferPointer { bytes in
            mj_error_string(status, bytes.baseAddress, bytes.count)
            return String(cString: bytes.baseAddress!)
        }
    }
}

enum AVStatus {
    static let endOfFile = mj_averror_eof()
    static let tryAgain = mj_averror_eagain()
    static let invalidData = mj_averror_invaliddata()
    static let noTimestamp = mj_av_nopts_value()
}

/// Throws `FFmpegError` for a negative status; returns a non-negative one.
@discardableResult
func check(_ status: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
    if status < 0 { throw FFmpegError(operation(), status: status) }
    return status
}

extension MediaJobsError {
    /// A media error whose message starts with the file's path: `"/tmp/x.mp3: cannot decode: Invalid data…"`.
    static func media(_ code: Code, _ file: URL, _ reason: String, underlying: (any Error & Sendable)? = nil)
        -> MediaJobsError
    {
        MediaJobsError(code, "\(file.path): \(reason)", underlying: underlying)
    }
}

/// Runs `body`, turning an `FFmpegError` into a `MediaJobsError` with `code` that names `file`.
func mapFFmpegErrors<T>(_ code: MediaJobsError.Code, _ file: URL, _ what: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as FFmpegError {
        throw MediaJobsError.media(code, file, "\(what): \(error.operation): \(error.message)", underlying: error)
    }
}
