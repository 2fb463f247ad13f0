import CMediaCurl
import Crypto
import Foundation
import Synchronization
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The state of one transfer, reached from libcurl's C callbacks through an unmanaged pointer.
///
/// `@unchecked Sendable`: everything but `canceled` is touched only by the one pool thread that runs
/// the transfer (callbacks run inside `curl_easy_perform` on that thread); the task that started it
/// reads the result only after the pool hands it back. `canceled` is atomic, set from any thread.
final class Transfer: @unchecked Sendable {
    enum Sink {
        /// Keep the body in memory, at most `maxBytes`.
        case memory(maxBytes: Int64)
        /// Stream a 2xx body to the open descriptor, at most `maxBytes`.
        case file(descriptor: Int32, maxBytes: Int64)
    }

    static let maxErrorBody = 64 * 1024

    let sink: Sink
    private let canceled = Atomic<Bool>(false)

    var status = 0
    /// When the status line of the final response arrived (the moment the answer was received).
    var statusReceivedAt: Date?
    var headers = HTTPHeaders()
    var body = Data()
    var errorBody = Data()
    var bytes: Int64 = 0
    var hasher = SHA256()
    var tooLarge = false
    var fileError: Int32 = 0
    var uploadTotal: Int64 = 0
    var uploadNow: Int64 = 0
    /// The JSON or raw body sent, kept alive for `CURLOPT_POSTFIELDS`.
    var requestBody: [UInt8] = []
    /// libcurl writes its error text here; alive as long as the transfer.
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    /// Told of each response head as soon as its header block ends (`HTTPSendGate.onResponseHead`).
    let onHead: (@Sendable (Int, HTTPHeaders, Date) -> Void)?

    init(sink: Sink, onHead: (@Sendable (Int, HTTPHeaders, Date) -> Void)? = nil) {
        self.sink = sink
        self.onHead = onHead
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        errorBuffer.deallocate()
    }

    var isCanceled: Bool { canceled.load(ordering: .relaxed) }

    func cancel() { canceled.store(true, ordering: .relaxed) }

    var errorText: String { String(cString: errorBuffer) }

    /// Whether the body is the success body (streamed to the sink) or an error body.
    private var isSuccessStatus: Bool { (200..<300).contains(status) }

    /// Takes one chunk of the body; returns false to make libcurl abort.
    func receive(_ chunk: UnsafeRawBufferPointer) -> Bool {
        if isCanceled { return false }
        guard isSuccessStatus else {
            let room = Transfer.maxErrorBody - errorBody.count
            if room > 0 { errorBody.append(contentsOf: chunk.prefix(room)) }
            return true
        }
        let count = Int64(chunk.count)
        switch sink {
        case .memory(let maxBytes):
            if bytes + count > maxBytes {
                tooLarge = true
                return false
            }
            body.append(contentsOf: chunk)
        case .file(let descriptor, let maxBytes):
            if bytes + count > maxBytes {
                tooLarge = true
                return false
            }
            var offset = 0
            while offset < chunk.count {
                let written = write(descriptor, chunk.baseAddress! + offset, chunk.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    fileError = errno
                    return false
                }
                offset += written
            }
        }
        hasher.update(bufferPointer: chunk)
        bytes += count
        return true
    }

    /// Takes one header line (status lines start a new header block, as after a redirect).
    func receiveHeader(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            // The blank line that ends a header block.
            if status != 0, let onHead { onHead(status, headers, statusReceivedAt ?? Date()) }
            return
        }
        if trimmed.hasPrefix("HTTP/") {
            let parts = trimmed.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            statusReceivedAt = Date()
            headers = HTTPHeaders()
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces)
        let value = String(trimmed[trimmed.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        headers.append(name: name, value: value)
    }

    var sha256Hex: String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

// C callbacks: they cannot capture, so each finds its `Transfer` through the opaque pointer.

let transferWriteCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    guard let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    guard length > 0, let data else { return 0 }
    return transfer.receive(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

let transferHeaderCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    guard let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    if let data, length > 0 {
        let bytes = UnsafeRawBufferPointer(start: data, count: length)
        transfer.receiveHeader(String(decoding: bytes, as: UTF8.self))
    }
    return length
}

let transferProgressCallback: @convention(c) (UnsafeMutableRawPointer?, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> Int32 = {
    context, _, _, uploadTotal, uploadNow in
    guard let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    transfer.uploadTotal = max(transfer.uploadTotal, Int64(uploadTotal))
    transfer.uploadNow = max(transfer.uploadNow, Int64(uploadNow))
    return transfer.isCanceled ? 1 : 0
}
