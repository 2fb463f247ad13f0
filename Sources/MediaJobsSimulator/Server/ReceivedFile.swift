import Crypto
import Foundation

extension RecordedRequest {
    /// An image a JSON request carried as input (a first or last frame, a reference, an image to animate), as the
    /// simulator received it: decoded from a `data:` URI, or read from this simulator's own file URLs.
    public struct ReceivedImage: Sendable, Equatable {
        /// Where in the body: "frame_images[0].image_url.url", "image_url", "input.image"; for a multipart
        /// body, the part's name ("image[]", "image", "mask").
        public var field: String
        /// OpenRouter's `frame_type` ("first_frame", "last_frame") for a frame image; nil elsewhere.
        public var frameType: String?
        /// The URL it was sent as; nil for a `data:` URI.
        public var url: String?
        /// The data URI's media type, or the served file's.
        public var contentType: String?
        /// The image's bytes; nil when it was a URL the simulator cannot read (not one of its own files).
        public var data: Data?
        /// Lowercase hex SHA-256 of `data`.
        public var sha256: String?
        public var bytes: Int { data?.count ?? 0 }
    }
}

/// Finds and decodes the files a JSON body refers to.
enum ReceivedFile {
    /// Keys whose string value is an input image, on any of the four providers.
    static let imageKeys: Set = [
        "image_url", "image", "last_image", "image_prompt", "first_frame", "last_frame", "first_frame_url",
        "last_frame_url", "start_image_url", "end_image_url", "reference_image_url", "input_image",
    ]

    static func isURLOrDataURI(_ text: String) -> Bool {
        let lower = text.lowercased()
        if lower.hasPrefix("data:") { return text.contains(",") }
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), let url = URL(string: text) else { return false }
        return url.host != nil
    }

    /// The bytes and media type of a `data:` URI (base64 or percent-encoded), nil when it is not one.
    static func decodeDataURI(_ text: String) -> (data: Data, contentType: String?)? {
        guard text.lowercased().hasPrefix("data:"), let comma = text.firstIndex(of: ",") else { return nil }
        let header = text[text.index(text.startIndex, offsetBy: 5)..<comma]
        let payload = String(text[text.index(after: comma)...])
        let parameters = header.split(separator: ";").map(String.init)
        let type = parameters.first.flatMap { $0.isEmpty ? nil : $0 }
        if parameters.contains(where: { $0.lowercased() == "base64" }) {
            guard let data = Data(base64Encoded: payload, options: .ignoreUnknownCharacters) else { return nil }
            return (data, type)
        }
        return (Data((payload.removingPercentEncoding ?? payload).utf8), type)
    }

    /// Multipart parts that carry an input image (OpenAI's `/images/edits`).
    static let imagePartNames: Set = ["image", "image[]", "mask", "input_reference"]

    /// Every input image in `body`: in a JSON object, with a URL of this simulator resolved through `file`; in a
    /// multipart body (`contentType`), each image file part, with the part's own `Content-Type`.
    static func images(in body: Data, contentType: String? = nil, file: (String) -> StoredFile?)
        -> [RecordedRequest.ReceivedImage]
    {
        if let contentType, let form = MultipartForm(body: body, contentType: contentType) {
            return form.parts.filter { imagePartNames.contains($0.name) && $0.filename != nil }.map { part in
                .init(field: part.name, frameType: nil, url: nil, contentType: part.contentType, data: part.data,
                      sha256: hex(part.data))
            }
        }
        guard body.first == UInt8(ascii: "{"),
              let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        else { return [] }
        var found: [RecordedRequest.ReceivedImage] = []
        walk(object, path: "", parentKey: nil, frameType: nil, into: &found, file: file)
        return found
    }

    private static func walk(
        _ value: Any, path: String, parentKey: String?, frameType: String?,
        into found: inout [RecordedRequest.ReceivedImage], file: (String) -> StoredFile?
    ) {
        if let object = value as? [String: Any] {
            let frame = object["frame_type"] as? String ?? frameType
            for (key, child) in object.sorted(by: { $0.key < $1.key }) {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if let text = child as? String {
                    let isImageField = imageKeys.contains(key) || (key == "url" && parentKey == "image_url")
                    if isImageField || text.lowercased().hasPrefix("data:image/") {
                        if let image = image(text, field: childPath, frameType: frame, file: file) { found.append(image) }
                    }
                } else {
                    walk(child, path: childPath, parentKey: key, frameType: frame, into: &found, file: file)
                }
            }
        } else if let array = value as? [Any] {
            for (index, item) in array.enumerated() {
                walk(item, path: "\(path)[\(index)]", parentKey: parentKey, frameType: frameType, into: &found, file: file)
            }
        }
    }

    private static func image(_ text: String, field: String, frameType: String?, file: (String) -> StoredFile?)
        -> RecordedRequest.ReceivedImage?
    {
        if let (data, type) = decodeDataURI(text) {
            return .init(field: field, frameType: frameType, url: nil, contentType: type, data: data, sha256: hex(data))
        }
        guard isURLOrDataURI(text) else { return nil }
        let stored = ownFile(text, file: file)
        return .init(
            field: field, frameType: frameType, url: text, contentType: stored?.contentType, data: stored?.data,
            sha256: stored.map { hex($0.data) })
    }

    /// A file this simulator serves (`…/files/{id}[/{name}]`), by its URL.
    static func ownFile(_ text: String, file: (String) -> StoredFile?) -> StoredFile? {
        guard let url = URL(string: text), url.path.contains("/files/") else { return nil }
        let parts = url.path.split(separator: "/").map(String.init)
        guard let index = parts.firstIndex(of: "files"), index + 1 < parts.count else { return nil }
        return file(parts[index + 1])
    }

    static func hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
