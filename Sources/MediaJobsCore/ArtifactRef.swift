/// A stored file, named by the SHA-256 of its bytes, with what FFmpeg found in it.
public struct ArtifactRef: Sendable, Codable, Hashable {
    public enum Role: String, Sendable, Codable {
        /// A file the user gave, copied in at submit.
        case input
        /// A result of the job.
        case output
    }

    /// 64 lowercase hex characters.
    public var sha256: String
    public var mime: String
    public var bytes: Int64
    /// The file name extension it is served with (`mp3`, `txt`).
    public var format: String
    public var durationSeconds: Double?
    public var width: Int?
    public var height: Int?
    public var codec: String?
    public var role: Role
    /// What was checked on this file (and on the provider's file it was made from) before it was stored for the
    /// job; kept per job, since the same bytes may be checked against different requests.
    public var checks: [MediaCheck]

    public init(
        sha256: String, mime: String, bytes: Int64, format: String, durationSeconds: Double? = nil,
        width: Int? = nil, height: Int? = nil, codec: String? = nil, role: Role = .output, checks: [MediaCheck] = []
    ) {
        self.sha256 = sha256
        self.mime = mime
        self.bytes = bytes
        self.format = format
        self.durationSeconds = durationSeconds
        self.width = width
        self.height = height
        self.codec = codec
        self.role = role
        self.checks = checks
    }

    /// Whether `text` is a well-formed artifact id (64 lowercase hex characters).
    public static func isValidSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// The MIME type for a file extension MediaJobs produces.
    public static func mime(forFormat format: String) -> String {
        switch format.lowercased() {
        case "mp3": "audio/mpeg"
        case "opus", "ogg": "audio/ogg"
        case "aac": "audio/aac"
        case "flac": "audio/flac"
        case "wav": "audio/wav"
        case "m4a": "audio/mp4"
        case "mp4": "video/mp4"
        case "webm": "video/webm"
        case "png": "image/png"
        case "jpeg", "jpg": "image/jpeg"
        case "webp": "image/webp"
        case "txt": "text/plain; charset=utf-8"
        case "json": "application/json"
        case "srt": "application/x-subrip"
        case "vtt": "text/vtt"
        default: "application/octet-stream"
        }
    }
}
