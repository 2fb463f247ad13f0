import Foundation

/// The files of Debian's `pocketsphinx-en-us` package that the `asr` filter needs.
public struct PocketsphinxModel: Sendable, Equatable {
    public var acousticModel: String
    public var dictionary: String
    public var languageModel: String

    public init(acousticModel: String, dictionary: String, languageModel: String) {
        self.acousticModel = acousticModel
        self.dictionary = dictionary
        self.languageModel = languageModel
    }

    public static let debianEnglish = PocketsphinxModel(
        acousticModel: "/usr/share/pocketsphinx/model/en-us/en-us",
        dictionary: "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict",
        languageModel: "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin")

    /// The paths that do not exist.
    public var missingFiles: [String] {
        [acousticModel, dictionary, languageModel].filter { !FileManager.default.fileExists(atPath: $0) }
    }
}
