import CMediaFFmpeg
import CMediaShims
import Foundation

/// Routes FFmpeg's process-wide log through one sink.
///
/// FFmpeg prints decoder complaints to stderr by default; MediaJobs reports them in its
/// errors instead, so the log is quiet unless `MEDIAJOBS_FFMPEG_LOG` names a level
/// (`error`, `warning`, `info`, `verbose`, `debug`).
enum FFmpegLog {
    static let installed: Void = {
        let level = ProcessInfo.processInfo.environment["MEDIAJOBS_FFMPEG_LOG"].flatMap(FFmpegLog.level(named:))
        mj_av_log_install(FFmpegLog.sink, level ?? AV_LOG_PANIC)
    }()

    static func installOnce() { _ = installed }

    private static let sink: @convention(c) (Int32, UnsafePointer<CChar>?) -> Void = { _, line in
        guard let line else { return }
        FileHandle.standardError.write(Data("ffmpeg: ".utf8) + Data(String(cString: line).utf8))
    }

    static func level(named name: String) -> Int32? {
        switch name.lowercased() {
        case "quiet": AV_LOG_QUIET
        case "panic": AV_LOG_PANIC
        case "fatal": AV_LOG_FATAL
        case "error": AV_LOG_ERROR
        case "warning": AV_LOG_WARNING
        case "info": AV_LOG_INFO
        case "verbose": AV_LOG_VERBOSE
        case "debug": AV_LOG_DEBUG
        case "trace": AV_LOG_TRACE
        default: nil
        }
    }
}
