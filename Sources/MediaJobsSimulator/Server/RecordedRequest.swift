import Crypto
import Foundation

/// One request the simulator received, as it arrived, for tests to check what a client sent.
public struct RecordedRequest: Sendable {
    public var method: String
    /// The whole path, prefix included: "/openai/v1/audio/speech".
    public var path: String
    /// The query string without "?", or nil.
    public var query: String?
    /// Header fields in arrival order, names as sent.
    public var headers: [(name: String, value: String)]
    public var body: Data
    /// The provider whose prefix the path starts with (nil for an unknown path).
    public var provider: SimulatedProvider?
    /// The fault injected into the answer, if any (its spec form: "429:1", "reset").
    public var fault: String?
    /// The status the simulator answered with (before any body fault cut it short).
    public var status: Int
    /// When the request arrived (its head, before the body was read).
    public var receivedAt: Date = Date()
    /// When the simulator's answer was ready to go out (its head and body built, any injected delay over); nil for
    /// a request still being answered. A request that arrived before another's `answeredAt` was sent before the
    /// client could have read that answer.
    public var answeredAt: Date?
    /// The input images the body carried, decoded where the simulator could read them: in a JSON body frames,
    /// references and images to animate; in a multipart body the image file parts (`image[]`, `image`, `mask` of
    /// OpenAI's `/images/edits`). How a test sees that a request really sent its image.
    public var images: [ReceivedImage] = []
    /// The body the simulator answered with (before any body fault), when it was not media and at most
    /// `maxAnswerBytes`: what a test compares a job's result with (the words of a transcription, say).
    public var answer: Data?

    /// The largest answer body kept in `answer`.
    public static let maxAnswerBytes = 1 << 20

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body parsed as a JSON object, or nil when it is not one.
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }
}

extension RecordedRequest {
    /// A file a client uploaded, as the simulator received it.
    public struct Upload: Sendable, Equatable {
        /// The form field (`file`), or `input_audio` for base64 audio in a JSON body.
        public var field: String
        public var filename: String?
        /// The part's `Content-Type` (for `input_audio`: `audio/` + its `format`).
        public var contentType: String?
        public var bytes: Int
        /// Lowercase hex SHA-256 of the bytes.
        public var sha256: String
        /// The bytes themselves.
        public var data: Data
    }

    /// The files this request carried: each multipart part with a filename, and OpenRouter's base64
    /// `input_audio`, so a test can check what was really sent (size, type, digest).
    public var uploads: [Upload] {
        let contentType = header("Content-Type") ?? ""
        if let form = MultipartForm(body: body, contentType: contentType) {
            return form.parts.filter { $0.filename != nil }.map { part in
                Upload(field: part.name, filename: part.filename, contentType: part.contentType, bytes: part.data.count,
                       sha256: Self.hex(part.data), data: part.data)
            }
        }
        if let audio = json?["input_audio"] as? [String: Any], let text = audio["data"] as? String,
           let data = Data(base64Encoded: text)
        {
            return [Upload(field: "input_audio", filename: nil, contentType: (audio["format"] as? String).map { "audio/" + $0 },
                           bytes: data.count, sha256: Self.hex(data), data: data)]
        }
        return []
    }

    private static func hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
