import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// Decodes one picture (an image, or the frame of a video at a time: a poster) and writes it as
/// png, jpeg or webp, resized as asked.
struct ImageConverter {
    let input: URL
    let output: URL
    let options: ImageOutputOptions
    /// For a video: the time of the frame to take (the first frame at or after it).
    let atSeconds: Double?
    let cancel: CancellationFlag

    func run() throws {
        let file = try InputFile(opening: input)
        file.setInterrupt(cancel)
        guard let index = file.bestStream(AVMEDIA_TYPE_VIDEO) else {
            let found = MediaProbe.info(of: file).streams.map(\.type).joined(separator: ", ")
            throw MediaJobsError.media(.mediaNoStreams, input, "no picture to convert (found \(found.isEmpty ? "none" : found))")
        }
        let stream = file.stream(index)
        let timeBase = stream.pointee.time_base
        let decoder = try mapFFmpegErrors(.mediaDecodeFailed, input, "cannot decode the picture") {
            try Decoder(for: stream)
        }
        let target: Int64? = atSeconds.map { Int64(($0 / av_q2d(timeBase)).rounded()) }
        if let atSeconds, atSeconds > 0, let target {
            // Seek to the key frame before the time, then decode forward to it.
            _ = avformat_seek_file(file.context, Int32(index), Int64.min, target, target, 0)
        }
        do {
            try mapFFmpegErrors(.mediaTranscodeFailed, output, "cannot write \(options.format.rawValue) from \(input.path)") {
                var written = false
                var last: Frame?
                func take(_ frame: UnsafeMutablePointer<AVFrame>) throws {
                    guard !written else { return }
                    let pts = frame.pointee.best_effort_timestamp
                    if let target, pts != AVStatus.noTimestamp, pts < target {
                        // Keep the latest frame before the time, in case the video ends first.
                        let copy = try Frame()
                        try check(av_frame_ref(copy.pointer, frame), "av_frame_ref")
                        last = copy
                        return
                    }
                    try write(frame, timeBase: timeBase)
                    written = true
                }
                let packet = try Packet()
                while !written, try file.read(into: packet) {
                    defer { packet.unref() }
                    try cancel.check(input)
                    guard Int(packet.pointer.pointee.stream_index) == index else { continue }
                    try decoder.decode(packet.pointer, take)
                }
                if !written { try decoder.decode(nil, take) }
                if !written, let last {
                    try write(last.pointer, timeBase: timeBase)
                    written = true
                }
                guard written else {
                    throw MediaJobsError.media(.mediaDecodeFailed, input, "decoded no picture")
                }
            }
        } catch {
            try? FileManager.default.removeItem(at: output)
            throw error
        }
    }

    private func write(_ frame: UnsafeMutablePointer<AVFrame>, timeBase: AVRational) throws {
        let (width, height) = VideoConverter.size(
            width: frame.pointee.width, height: frame.pointee.height, sar: frame.pointee.sample_aspect_ratio,
            wantedWidth: options.width, wantedHeight: options.height, evenDimensions: false)
        let converter = try VideoConverter(
            like: frame, timeBase: timeBase, width: width, height: height, frameRate: nil,
            pixelFormat: options.format.pixelFormatName)
        try converter.push(frame)
        try converter.push(nil)
        let converted = try Frame()
        var done = false
        try converter.drain(into: try Frame()) { picture in
            guard !done else { return }
            try check(av_frame_ref(converted.pointer, picture), "av_frame_ref")
            done = true
        }
        guard done else { throw FFmpegError("av_buffersink_get_frame", message: "the scaler produced no picture") }
        let writer = try ImageOutputFile(url: output, options: options, width: width, height: height)
        try writer.write(converted.pointer)
    }
}
