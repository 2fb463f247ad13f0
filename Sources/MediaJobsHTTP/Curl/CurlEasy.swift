import CMediaCurl
import CMediaShims
import Foundation

/// Owns one libcurl easy handle. Kept between requests so its connections are reused.
///
/// `@unchecked Sendable`: a handle is used by one pool thread at a time; it passes between threads
/// only through `HTTPClient`'s idle list, under its lock.
final class CurlEasy: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer

    init() throws {
        CurlGlobal.ensureInitialized()
        guard let handle = curl_easy_init() else {
            throw HTTPClientError(kind: .other, message: "libcurl could not create a handle")
        }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    /// Runs `request` to the end, feeding `transfer`. Blocks: call on a pool thread only.
    func perform(_ request: HTTPRequest, transfer: Transfer, compressed: Bool) throws -> (version: String, reused: Bool) {
        curl_easy_reset(handle)
        var headerList: UnsafeMutablePointer<curl_slist>?
        var mime: OpaquePointer?
        defer {
            if let headerList { curl_slist_free_all(headerList) }
            if let mime { curl_mime_free(mime) }
        }
        let context = Unmanaged.passUnretained(transfer).toOpaque()

        try set(CURLOPT_URL, request.url.absoluteString)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_FOLLOWLOCATION, 1)
        try set(CURLOPT_MAXREDIRS, 5)
        try set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(request.timeouts.connect * 1000))
        try set(CURLOPT_TIMEOUT_MS, Int(request.timeouts.total * 1000))
        if request.timeouts.lowSpeedBytesPerSecond > 0 && request.timeouts.lowSpeedSeconds > 0 {
            try set(CURLOPT_LOW_SPEED_LIMIT, request.timeouts.lowSpeedBytesPerSecond)
            try set(CURLOPT_LOW_SPEED_TIME, request.timeouts.lowSpeedSeconds)
        }
        if compressed {
            try set(CURLOPT_ACCEPT_ENCODING, "")
        } else {
            // Downloads: larger reads mean fewer callbacks and writes per megabyte.
            try set(CURLOPT_BUFFERSIZE, 512 * 1024)
        }
        try check(mj_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, transfer.errorBuffer), CURLOPT_ERRORBUFFER)
        try check(mj_curl_setopt_write_function(handle, transferWriteCallback), CURLOPT_WRITEFUNCTION)
        try check(mj_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context), CURLOPT_WRITEDATA)
        try check(mj_curl_setopt_header_function(handle, transferHeaderCallback), CURLOPT_HEADERFUNCTION)
        try check(mj_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context), CURLOPT_HEADERDATA)
        try check(mj_curl_setopt_xferinfo_function(handle, transferProgressCallback), CURLOPT_XFERINFOFUNCTION)
        try check(mj_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context), CURLOPT_XFERINFODATA)
        try set(CURLOPT_NOPROGRESS, 0)

        var lines = request.headers.map { "\($0.name): \($0.value)" }
        // A large upload otherwise waits for `100 Continue`, which many servers never send.
        lines.append("Expect:")
        switch request.body {
        case .none:
            if request.method == "GET" {
                try set(CURLOPT_HTTPGET, 1)
            } else if request.method == "HEAD" {
                try set(CURLOPT_NOBODY, 1)
            } else {
                try set(CURLOPT_CUSTOMREQUEST, request.method)
                if request.method == "POST" || request.method == "PUT" {
                    transfer.requestBody = []
                    try check(mj_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, 0), CURLOPT_POSTFIELDSIZE_LARGE)
                    try check(mj_curl_setopt_string(handle, CURLOPT_POSTFIELDS, ""), CURLOPT_POSTFIELDS)
                }
            }
        case .data(let data, let contentType):
            transfer.requestBody = [UInt8](data)
            lines.append("Content-Type: \(contentType)")
            try check(mj_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(data.count)),
                      CURLOPT_POSTFIELDSIZE_LARGE)
            try transfer.requestBody.withUnsafeMutableBytes { buffer in
                // `requestBody` lives in the transfer for the whole perform, so libcurl may keep the pointer.
                try check(mj_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, buffer.baseAddress), CURLOPT_POSTFIELDS)
            }
            if request.method != "POST" { try set(CURLOPT_CUSTOMREQUEST, request.method) }
        case .multipart(let parts):
            mime = try makeMime(parts)
            try check(mj_curl_setopt_pointer(handle, CURLOPT_MIMEPOST, UnsafeMutableRawPointer(mime)), CURLOPT_MIMEPOST)
            if request.method != "POST" { try set(CURLOPT_CUSTOMREQUEST, request.method) }
        }
        for line in lines {
            guard let appended = curl_slist_append(headerList, line) else {
                throw HTTPClientError(kind: .other, message: "libcurl could not add a header")
            }
            headerList = appended
        }
        try check(mj_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), CURLOPT_HTTPHEADER)

        let code = curl_easy_perform(handle)
        if code != CURLE_OK {
            throw failure(code, request: request, transfer: transfer)
        }
        var version = 0
        var connects = 0
        _ = mj_curl_getinfo_long(handle, CURLINFO_HTTP_VERSION, &version)
        _ = mj_curl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connects)
        if transfer.status == 0 {
            var status = 0
            _ = mj_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            transfer.status = status
        }
        let versionText = switch version {
        case Int(CURL_HTTP_VERSION_1_0): "1.0"
        case Int(CURL_HTTP_VERSION_2_0): "2"
        case Int(CURL_HTTP_VERSION_3): "3"
        default: "1.1"
        }
        return (versionText, connects == 0)
    }

    private func makeMime(_ parts: [MultipartPart]) throws -> OpaquePointer {
        guard let mime = curl_mime_init(handle) else {
            throw HTTPClientError(kind: .other, message: "libcurl could not start a multipart body")
        }
        do {
            for part in parts {
                guard let piece = curl_mime_addpart(mime) else {
                    throw HTTPClientError(kind: .other, message: "libcurl could not add a multipart part")
                }
                guard curl_mime_name(piece, part.name) == CURLE_OK else {
                    throw HTTPClientError(kind: .other, message: "multipart part '\(part.name)': bad name")
                }
                switch part.content {
                case .text(let value):
                    // libcurl copies the value; the length is given, so the text may hold any bytes.
                    let code = value.withCString { curl_mime_data(piece, $0, value.utf8.count) }
                    guard code == CURLE_OK else {
                        throw HTTPClientError(kind: .other, message: "multipart part '\(part.name)': cannot set its value")
                    }
                case .file(let url, let fileName, let contentType):
                    guard FileManager.default.isReadableFile(atPath: url.path) else {
                        throw HTTPClientError(kind: .file, message: "\(url.path): cannot read the file to upload")
                    }
                    guard curl_mime_filedata(piece, url.path) == CURLE_OK,
                          curl_mime_filename(piece, fileName) == CURLE_OK,
                          curl_mime_type(piece, contentType) == CURLE_OK
                    else {
                        throw HTTPClientError(kind: .file, message: "\(url.path): cannot attach the file to upload")
                    }
                }
            }
        } catch {
            curl_mime_free(mime)
            throw error
        }
        return mime
    }

    private func failure(_ code: CURLcode, request: HTTPRequest, transfer: Transfer) -> HTTPClientError {
        var requestSize = 0
        _ = mj_curl_getinfo_long(handle, CURLINFO_REQUEST_SIZE, &requestSize)
        let sent = requestSize > 0 && (transfer.uploadTotal == 0 || transfer.uploadNow >= transfer.uploadTotal)
        let detail = transfer.errorText.isEmpty ? String(cString: curl_easy_strerror(code)) : transfer.errorText
        let target = "\(request.method) \(request.redactedURL)"
        let kind: HTTPClientError.Kind
        let message: String
        if transfer.isCanceled {
            kind = .canceled
            message = "\(target): canceled"
        } else if transfer.tooLarge {
            let limit: Int64 = switch transfer.sink {
            case .memory(let maxBytes), .file(_, let maxBytes): maxBytes
            }
            kind = .tooLarge
            message = "\(target): the response body is larger than the limit of \(limit) bytes"
        } else if transfer.fileError != 0 {
            kind = .file
            message = "\(target): cannot write the download: \(String(cString: strerror(transfer.fileError)))"
        } else {
            switch code {
            case CURLE_OPERATION_TIMEDOUT:
                kind = .timeout
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SSL_CONNECT_ERROR:
                kind = .connect
            case CURLE_READ_ERROR:
                kind = .file
            case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING, CURLE_HTTP2,
                 CURLE_HTTP2_STREAM:
                kind = .transfer
            default:
                kind = .other
            }
            message = "\(target): \(detail)"
        }
        return HTTPClientError(kind: kind, message: message, curlCode: Int(code.rawValue),
                               requestSent: sent && kind != .connect)
    }

    private func set(_ option: CURLoption, _ value: Int) throws {
        try check(mj_curl_setopt_long(handle, option, value), option)
    }

    private func set(_ option: CURLoption, _ value: String) throws {
        try check(mj_curl_setopt_string(handle, option, value), option)
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws {
        guard code == CURLE_OK else {
            throw HTTPClientError(kind: .other,
                                  message: "libcurl refused option \(option.rawValue): \(String(cString: curl_easy_strerror(code)))")
        }
    }
}
