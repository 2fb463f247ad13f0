import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// Copies the best video and audio streams of a file into another container without decoding
/// (the fast path when the codecs already fit).
struct Remuxer {
    let input: URL
    let output: URL
    let muxer: String
    let muxerOptions: [(String, String)]
    let cancel: CancellationFlag

    func run() throws {
        let file = try InputFile(opening: input)
        file.setInterrupt(cancel)
        let wanted = [file.bestStream(AVMEDIA_TYPE_VIDEO), file.bestStream(AVMEDIA_TYPE_AUDIO)].compactMap { $0 }
        guard !wanted.isEmpty else {
            throw MediaJobsError.media(.mediaNoStreams, input, "no audio or video stream to copy")
        }
        do {
            try mapFFmpegErrors(.mediaTranscodeFailed, output, "cannot copy the streams of \(input.path) into \(muxer)") {
                let out = try OutputFile(url: output, muxer: muxer)
                var mapping: [Int: UnsafeMutablePointer<AVStream>] = [:]
                for index in wanted {
                    guard let stream = avformat_new_stream(out.context, nil) else {
                        throw FFmpegError("avformat_new_stream", message: "out of memory")
                    }
                    try check(
                        avcodec_parameters_copy(stream.pointee.codecpar, file.stream(index).pointee.codecpar),
                        "avcodec_parameters_copy")
                    stream.pointee.codecpar.pointee.codec_tag = 0
                    stream.pointee.time_base = file.stream(index).pointee.time_base
                    mapping[index] = stream
                }
                try out.open(options: muxerOptions)
                let packet = try Packet()
                while true {
                    try cancel.check(input)
                    let more: Bool
                    do {
                        more = try file.read(into: packet)
                    } catch {
                        try cancel.check(input)
                        throw error
                    }
                    if !more { break }
                    let index = Int(packet.pointer.pointee.stream_index)
                    guard let stream = mapping[index] else {
                        packet.unref()
                        continue
                    }
                    av_packet_rescale_ts(packet.pointer, file.stream(index).pointee.time_base, stream.pointee.time_base)
                    packet.pointer.pointee.stream_index = stream.pointee.index
                    packet.pointer.pointee.pos = -1
                    // The muxer takes the packet's reference.
                    try out.write(packet.pointer)
                }
                try out.finish()
            }
        } catch {
            try? FileManager.default.removeItem(at: output)
            throw error
        }
    }
}
