import CMediaCurl
import Foundation
import NIOPosix
import Synchronization
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// An async HTTP client on libcurl.
///
/// Every transfer runs on the client's own thread pool (libcurl blocks), never on Swift's cooperative
/// pool. Easy handles are kept between requests, most recently used first, so a later request to the
/// same host reuses an open connection (HTTP/1.1 keep-alive, or HTTP/2 where the server offers it over
/// TLS). Cancelling the calling task aborts its transfer within a second.
public final class HTTPClient: Sendable {
    /// One client per process is enough.
    public static let shared = HTTPClient()

    /// Transfers that can run at once (each holds a pool thread while it runs).
    public let maxConcurrentTransfers: Int
    private let pool: NIOThreadPool
    private let idle = Mutex<[CurlEasy]>([])

    /// Starts `maxConcurrentTransfers` threads that live as long as the client.
    public init(maxConcurrentTransfers: Int = 16) {
        CurlGlobal.ensureInitialized()
        self.maxConcurrentTransfers = max(1, maxConcurrentTransfers)
        pool = NIOThreadPool(numberOfThreads: self.maxConcurrentTransfers)
        pool.start()
    }

    deinit {
        pool.shutdownGracefully { _ in }
    }

    /// Sends `request` and keeps the response body in memory, up to `maxBodyBytes`.
    ///
    /// An HTTP error status is a response, not an error; the caller classifies it. Throws
    /// `HTTPClientError` when no response arrived (connection, timeout, too large, cancelled).
    public func send(_ request: HTTPRequest, maxBodyBytes: Int64 = 64 << 20) async throws -> HTTPResponse {
        let transfer = Transfer(sink: .memory(maxBytes: maxBodyBytes), onHead: request.sendGate?.onResponseHead)
        let (version, reused) = try await run(request, transfer: transfer, compressed: true)
        return HTTPResponse(status: transfer.status, headers: transfer.headers,
                            body: (200..<300).contains(transfer.status) ? transfer.body : transfer.errorBody,
                            httpVersion: version, reusedConnection: reused,
                            receivedAt: transfer.statusReceivedAt ?? Date())
    }

    /// Streams the body of `request` into `file` (created or truncated), hashing it on the way, and
    /// fails as soon as it grows past `maxBytes`. A non-2xx body is kept in memory instead (up to 64 KiB)
    /// for the caller's error message, and `file` is removed. On failure the partial file is removed.
    public func download(_ request: HTTPRequest, to file: URL, maxBytes: Int64) async throws -> HTTPDownload {
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw HTTPClientError(kind: .file,
                                  message: "\(file.path): cannot create the download file: \(String(cString: strerror(errno)))")
        }
        let transfer = Transfer(sink: .file(descriptor: descriptor, maxBytes: maxBytes), onHead: request.sendGate?.onResponseHead)
        do {
            _ = try await run(request, transfer: transfer, compressed: false)
        } catch {
            close(descriptor)
            try? FileManager.default.removeItem(at: file)
            throw error
        }
        let closed = close(descriptor)
        let success = (200..<300).contains(transfer.status)
        if !success { try? FileManager.default.removeItem(at: file) }
        if closed != 0 && success {
            try? FileManager.default.removeItem(at: file)
            throw HTTPClientError(kind: .file, message: "\(file.path): cannot finish writing the download")
        }
        return HTTPDownload(status: transfer.status, headers: transfer.headers, file: file, bytes: transfer.bytes,
                            sha256: transfer.sha256Hex, errorBody: transfer.errorBody)
    }

    private func run(_ request: HTTPRequest, transfer: Transfer, compressed: Bool) async throws -> (String, Bool) {
        try await withTaskCancellationHandler {
            if Task.isCancelled {
                throw HTTPClientError(kind: .canceled, message: "\(request.method) \(request.redactedURL): canceled")
            }
            do {
                return try await pool.runIfActive { [self] in
                    if transfer.isCanceled {
                        throw HTTPClientError(kind: .canceled, message: "\(request.method) \(request.redactedURL): canceled")
                    }
                    // The last moment before the request goes out: the wait for a pool thread may have been long.
                    if let until = request.sendGate?.holdUntil(), until > Date() {
                        throw HTTPClientError(kind: .held, message: "\(request.method) \(request.redactedURL): held until "
                                                  + ISO8601DateFormatter().string(from: until), heldUntil: until)
                    }
                    let easy = try takeHandle()
                    defer { giveBack(easy) }
                    return try easy.perform(request, transfer: transfer, compressed: compressed)
                }
            } catch is CancellationError {
                // Cancelled while waiting for a pool thread: the transfer never started.
                throw HTTPClientError(kind: .canceled, message: "\(request.method) \(request.redactedURL): canceled")
            }
        } onCancel: {
            transfer.cancel()
        }
    }

    private func takeHandle() throws -> CurlEasy {
        if let easy = idle.withLock({ $0.popLast() }) { return easy }
        return try CurlEasy()
    }

    private func giveBack(_ easy: CurlEasy) {
        idle.withLock { $0.append(easy) }
    }
}
