import Foundation
import Hummingbird

/// Server-Sent Events framing.
enum EventStream {
    static var headers: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        headers[.init("X-Accel-Buffering")!] = "no"
        return headers
    }

    /// One event: `id`, `event` and `data` lines (the data is one line of JSON) and a blank line.
    static func event(_ name: String, id: String? = nil, json: Data) -> ByteBuffer {
        var text = ""
        if let id { text += "id: \(id)\n" }
        text += "event: \(name)\ndata: "
        var buffer = ByteBuffer(string: text)
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        return buffer
    }

    /// A comment line: keeps proxies from closing the stream and finds clients that left.
    static let heartbeat = ByteBuffer(string: ": keep-alive\n\n")
}
