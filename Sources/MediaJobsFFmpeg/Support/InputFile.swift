import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// An opened media file: owns its demuxer (`AVFormatContext`), closed in deinit.
final class InputFile {
    let url: URL
    let context: UnsafeMutablePointer<AVFormatContext>
    /// Kept alive as long as the context, whose interrupt callback reads it.
    private var interrupt: CancellationFlag?

    /// Opens `url` and reads enough of it to know its streams.
    ///
    /// Throws `media.open_failed` naming the file and FFmpeg's reason (missing, empty, not media).
    ///
    /// `beforeDecoding` sees the headers before `avformat_find_stream_info` decodes anything (to
    /// refuse a decompression bomb by its declared size); `maxPixels` caps what that decoding allocates.
    init(
        opening url: URL, maxPixels: Int? = nil,
        beforeDecoding: ((UnsafeMutablePointer<AVFormatContext>) throws -> Void)? = nil
    ) throws {
        self.url = url
        try RegularFile.require(url)
        if let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber,
            size.intValue == 0
        {
            throw MediaJobsError.media(.mediaEmpty, url, "the file is empty (0 bytes)")
        }
        var opened: UnsafeMutablePointer<AVFormatContext>?
        let status = avformat_open_input(&opened, url.path, nil, nil)
        // On failure avformat_open_input has freed the context itself.
        guard status >= 0, let context = opened else {
            throw MediaJobsError.media(
                .mediaOpenFailed, url, "cannot open as media: \(FFmpegError.message(for: status))",
                underlying: FFmpegError("avformat_open_input", status: status))
        }
        do {
            try beforeDecoding?(context)
        } catch {
            avformat_close_input(&opened)
            throw error
        }
        let info = InputFile.findStreamInfo(context, maxPixels: maxPixels)
        if info < 0 {
            avformat_close_input(&opened)
            throw MediaJobsError.media(
                .mediaOpenFailed, url, "cannot read stream information: \(FFmpegError.message(for: info))",
                underlying: FFmpegError("avformat_find_stream_info", status: info))
        }
        self.context = context
    }

    private static func findStreamInfo(_ context: UnsafeMutablePointer<AVFormatContext>, maxPixels: Int?) -> Int32 {
        guard let maxPixels else { return avformat_find_stream_info(context, nil) }
        let count = Int(context.pointee.nb_streams)
        var options = [OpaquePointer?](repeating: nil, count: max(1, count))
        defer { for index in options.indices { av_dict_free(&options[index]) } }
        for index in 0..<count {
            av_dict_set(&options[index], "max_pixels", "\(maxPixels)", 0)
        }
        return options.withUnsafeMutableBufferPointer { avformat_find_stream_info(context, $0.baseAddress) }
    }

    deinit {
        var context: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&context)
    }

    /// Makes blocking reads on this file give up (`AVERROR_EXIT`) once `flag` is cancelled.
    func setInterrupt(_ flag: CancellationFlag) {
        interrupt = flag
        mj_format_set_interrupt(context, flag.interruptFlag)
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
