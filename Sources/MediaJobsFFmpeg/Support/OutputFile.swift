import CMediaFFmpeg
import CMediaShims
import Foundation

/// A file being written by a libavformat muxer: owns the `AVFormatContext` and its `AVIOContext`.
///
/// Streams are added by `Encoder`s; `open` writes the header, `finish` the trailer. Without
/// `finish` the partial file is left for the caller to delete.
final class OutputFile {
    let url: URL
    let context: UnsafeMutablePointer<AVFormatContext>
    let muxerName: String

    init(url: URL, muxer: String) throws {
        self.url = url
        muxerName = muxer
        var allocated: UnsafeMutablePointer<AVFormatContext>?
        try check(
            avformat_alloc_output_context2(&allocated, nil, muxer, url.path), "avformat_alloc_output_context2(\(muxer))")
        context = allocated!
    }

    deinit {
        if context.pointee.pb != nil && !isNoFile {
            avio_closep(&context.pointee.pb)
        }
        avformat_free_context(context)
    }

    private var isNoFile: Bool { context.pointee.oformat.pointee.flags & AVFMT_NOFILE != 0 }

    /// Whether encoders must put their extradata in the container header (MP4, WebM).
    var needsGlobalHeader: Bool { context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 }

    /// Opens the file and writes the container header; `options` are muxer options ("movflags").
    func open(options: [(String, String)] = []) throws {
        if !isNoFile {
            try check(avio_open(&context.pointee.pb, url.path, AVIO_FLAG_WRITE), "avio_open")
        }
        try withDictionary(options) { dictionary in
            try check(avformat_write_header(context, dictionary), "avformat_write_header(\(muxerName))")
        }
    }

    /// Writes one encoded packet (the muxer takes its reference and interleaves streams).
    func write(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        try check(av_interleaved_write_frame(context, packet), "av_interleaved_write_frame")
    }

    /// Writes the trailer and closes the file.
    func finish() throws {
        try check(av_write_trailer(context), "av_write_trailer")
        if !isNoFile {
            try check(avio_closep(&context.pointee.pb), "avio_closep")
        }
    }
}

/// Runs `body` with an `AVDictionary` holding `pairs`, freed afterwards (entries a call did not
/// consume are simply dropped).
@discardableResult
func withDictionary<T>(_ pairs: [(String, String)], _ body: (UnsafeMutablePointer<OpaquePointer?>) throws -> T) throws
    -> T
{
    var dictionary: OpaquePointer?
    defer { av_dict_free(&dictionary) }
    for (key, value) in pairs {
        try check(av_dict_set(&dictionary, key, value, 0), "av_dict_set(\(key))")
    }
    return try body(&dictionary)
}
