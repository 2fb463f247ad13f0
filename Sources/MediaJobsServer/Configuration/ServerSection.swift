import MediaJobsCore

/// The `server` section of `config.json`.
///
/// ```json
/// {"server": {"input_folders": ["/srv/media/in"], "max_body_bytes": 1048576, "max_upload_bytes": 268435456}}
/// ```
public struct ServerSection: ConfigurationSection, Equatable {
    public static let sectionName = "server"
    public static let fieldNames: Set<String> = ["input_folders", "max_body_bytes", "max_upload_bytes"]
    public static let defaults = ServerSection()

    /// Folders whose files a job body sent over HTTP may name as inputs; any other path is refused.
    public var inputFolders: [String]
    /// Largest JSON request body accepted.
    public var maxBodyBytes: Int
    /// Largest multipart upload accepted.
    public var maxUploadBytes: Int

    public init(inputFolders: [String] = [], maxBodyBytes: Int = 1 << 20, maxUploadBytes: Int = 256 << 20) {
        self.inputFolders = inputFolders
        self.maxBodyBytes = maxBodyBytes
        self.maxUploadBytes = maxUploadBytes
    }

    enum CodingKeys: String, CodingKey {
        case inputFolders, maxBodyBytes, maxUploadBytes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ServerSection.defaults
        inputFolders = try c.decodeIfPresent([String].self, forKey: .inputFolders) ?? defaults.inputFolders
        maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? defaults.maxBodyBytes
        maxUploadBytes = try c.decodeIfPresent(Int.self, forKey: .maxUploadBytes) ?? defaults.maxUploadBytes
        guard maxBodyBytes >= 1024 else {
            throw DecodingError.dataCorruptedError(forKey: .maxBodyBytes, in: c, debugDescription: "must be at least 1024")
        }
        guard maxUploadBytes >= 1024 else {
            throw DecodingError.dataCorruptedError(forKey: .maxUploadBytes, in: c, debugDescription: "must be at least 1024")
        }
    }
}
