/// One check made on a media file before it was stored: what was looked at, on which file, and what was found.
///
/// A stored output keeps the checks of the provider's file and of the delivered file, so a user can see what
/// was proven (`decode: 48 video frames, no decode errors`), not only that validation passed.
public struct MediaCheck: Sendable, Codable, Hashable {
    /// What was checked: `open`, `extension`, `complete`, `format`, `size`, `frame_rate`, `audio_track`, `decode`,
    /// `duration`, `speech_rate`, `silence`, `black`, `freeze`, `flat_image`.
    public var name: String
    /// The file it was made on: `provider output` (as the provider made it) or `<format> output` (the delivered file).
    public var subject: String
    /// false when the check found something it tolerated (decode errors within the configured limit).
    public var passed: Bool
    /// What was found, for people: "decoded 24 video frames from stream 0 (h264)".
    public var detail: String

    public init(name: String, subject: String = "", passed: Bool = true, detail: String) {
        self.name = name
        self.subject = subject
        self.passed = passed
        self.detail = detail
    }
}
