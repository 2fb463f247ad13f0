import CMediaFFmpeg
import Foundation

/// What this machine's FFmpeg can do for MediaJobs, for `mediajobs doctor`.
public struct MediaCapabilities: Sendable, Codable, Equatable {
    /// "filter.flite", "filter.asr", "encoder.libmp3lame", …, "model.pocketsphinx-en-us" → present.
    public var checks: [String: Bool]
    /// "ffmpeg" → "5.1.9-0+deb12u1", "libavformat" → "59.27.100", …
    public var versions: [String: String]

    /// The names of the checks that failed, sorted.
    public var missing: [String] { checks.filter { !$0.value }.map(\.key).sorted() }
}

extension MediaEngine {
    /// The filters, encoders and model files MediaJobs needs, and the linked library versions.
    public static func capabilities(model: PocketsphinxModel = .debianEnglish) -> MediaCapabilities {
        var checks: [String: Bool] = [:]
        for filter in ["flite", "asr", "aresample", "aformat"] {
            checks["filter.\(filter)"] = avfilter_get_by_name(filter) != nil
        }
        for encoder in ["libmp3lame", "libopus", "aac", "flac", "pcm_s16le"] {
            checks["encoder.\(encoder)"] = avcodec_find_encoder_by_name(encoder) != nil
        }
        for muxer in ["wav", "mp3", "opus", "flac", "adts", "ipod"] {
            checks["muxer.\(muxer)"] = av_guess_format(muxer, nil, nil) != nil
        }
        checks["model.pocketsphinx-en-us"] = model.missingFiles.isEmpty

        func version(_ packed: UInt32) -> String { "\(packed >> 16).\((packed >> 8) & 0xff).\(packed & 0xff)" }
        let versions = [
            "ffmpeg": String(cString: av_version_info()),
            "libavformat": version(avformat_version()),
            "libavcodec": version(avcodec_version()),
            "libavutil": version(avutil_version()),
            "libavfilter": version(avfilter_version()),
            "libswresample": version(swresample_version()),
            "libswscale": version(swscale_version()),
        ]
        return MediaCapabilities(checks: checks, versions: versions)
    }
}
