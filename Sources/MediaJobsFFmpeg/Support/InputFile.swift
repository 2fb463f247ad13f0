import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// An opened media file: owns its demuxer (`AVFormatContext`), closed in deinit.
final class InputFile {
    let url: URL
    let context: UnsafeMutablePointer<AVFormatContext>

    /// Opens `url` and reads enough of it to know its streams.
    ///
    /// Throws `media.open_failed` naming the file and FFmpeg's reason (missing, empty, not media).
    init(opening url: URL) throws {
        self.url = url
        if let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber,
            size.intValue == 0
        {
            throw MediaJobsError.media(.mediaOpenFailed, url, "the file is empty (0 bytes)")
        }
        var opened: UnsafeMutablePointer<AVFormatContext>?
        let status = avformat_open_input(&opened, url.path, nil, nil)
        // On failure avformat_open_input has freed the context itself.
        guard status >= 0, let context = opened else {
            throw MediaJobsError.media(
                .mediaOpenFailed, url, "cannot open as media: \(FFmpegError.message(for: status))",
                underlying: FFmpegError("avformat_open_input", status: status))
        }
        let info = avformat_find_stream_info(context, nil)
        if info < 0 {
            avformat_close_input(&opened)
            throw MediaJobsError.media(
                .mediaOpenFailed, url, "cannot read stream information: \(FFmpegError.message(for: info))",
                underlying: FFmpegError("avformat_find_stream_info", status: info))
        }
        self.context = context
    }

    deinit {
        var context: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&context)
    }

    var streamCount: Int { Int(context.pointee.nb_streams) }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        context.pointee.streams[index]!
    }

    /// The demuxer's short name, e.g. "mp3" or "mov,mp4,m4a,3gp,3g2,mj2".
    var formatName: String { String(cString: context.pointee.iformat.pointee.name) }

    /// The best stream of `type`, as libavformat ranks them.
    func bestStream(_ type: AVMediaType) -> Int? {
        let index = av_find_best_stream(context, type, -1, -1, nil, 0)
        return index >= 0 ? Int(index) : nil
    }

    /// Reads the next packet; false at the end of the file.
    func read(into packet: Packet) throws -> Bool {
        let status = av_read_frame(context, packet.pointer)
        if status == AVStatus.endOfFile { return false }
        try check(status, "av_read_frame")
        return true
    }
}
