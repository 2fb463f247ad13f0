import CMediaFFmpeg
import CMediaShims
import Foundation
import MediaJobsCore

/// Decodes the best video (and audio) stream of a file and writes them as MP4 or WebM, scaled and
/// re-timed as asked. Streams packet by packet: memory does not grow with the input's length.
struct VideoTranscoder {
    let input: URL
    let output: URL
    let options: VideoOutputOptions
    let cancel: CancellationFlag
    let progress: MediaProgress?

    func run() throws {
        let file = try InputFile(opening: input)
        file.setInterrupt(cancel)
        guard let videoIndex = file.bestStream(AVMEDIA_TYPE_VIDEO) else {
            let found = MediaProbe.info(of: file).streams.map(\.type).joined(separator: ", ")
            throw MediaJobsError.media(.mediaNoStreams, input, "no video stream to transcode (found \(found.isEmpty ? "none" : found))")
        }
        let audioIndex = file.bestStream(AVMEDIA_TYPE_AUDIO)
        let videoStream = file.stream(videoIndex)
        let (videoDecoder, audioDecoder) = try mapFFmpegErrors(.mediaDecodeFailed, input, "cannot decode") {
            (try Decoder(for: videoStream), try audioIndex.map { try Decoder(for: file.stream($0)) })
        }
        let parameters = videoStream.pointee.codecpar.pointee
        let (width, height) = VideoConverter.size(
            width: parameters.width, height: parameters.height, sar: parameters.sample_aspect_ratio,
            wantedWidth: options.width, wantedHeight: options.height)
        let inputRate = videoStream.pointee.avg_frame_rate.num > 0 ? videoStream.pointee.avg_frame_rate
            : videoStream.pointee.r_frame_rate
        let frameRate = options.frameRate.map { av_d2q($0, 100_000) } ?? (inputRate.num > 0 ? inputRate : AVRational(num: 25, den: 1))
        let total = MediaProbe.info(of: file).durationSeconds ?? 0
        do {
            try mapFFmpegErrors(.mediaTranscodeFailed, output, "cannot write \(options.format.rawValue) from \(input.path)") {
                let audioParameters = audioIndex.map { file.stream($0).pointee.codecpar.pointee }
                let writer = try VideoOutputFile(
                    url: output, options: options, width: width, height: height, frameRate: frameRate,
                    audio: audioParameters.map {
                        (Int32(options.audioSampleRate ?? Int($0.sample_rate)),
                         Int32(options.audioChannels ?? Int(min(2, max(1, $0.ch_layout.nb_channels)))))
                    })
                var pictures: VideoConverter?
                var sound: AudioConverter?
                var samplesRead: Int64 = 0
                let converted = try Frame()
                let videoTimeBase = videoStream.pointee.time_base

                func writePictures() throws {
                    guard let pictures else { return }
                    try pictures.drain(into: converted) { frame in
                        frame.pointee.pts = av_rescale_q(frame.pointee.pts, pictures.timeBase, writer.videoTimeBase)
                        frame.pointee.pict_type = AV_PICTURE_TYPE_NONE
                        try writer.writeVideo(frame)
                    }
                }
                func writeSound() throws {
                    guard let sound, let encoder = writer.audio else { return }
                    try sound.drain(into: converted) { frame in
                        frame.pointee.pts = av_rescale_q(
                            frame.pointee.pts, sound.timeBase, encoder.context.pointee.time_base)
                        try writer.writeAudio(frame)
                    }
                }
                func picture(_ frame: UnsafeMutablePointer<AVFrame>) throws {
                    if pictures == nil {
                        pictures = try VideoConverter(
                            like: frame, timeBase: videoTimeBase, width: width, height: height,
                            frameRate: frameRate, pixelFormat: "yuv420p")
                    }
                    frame.pointee.pts = frame.pointee.best_effort_timestamp
                    try pictures!.push(frame)
                    try writePictures()
                    if total > 0, frame.pointee.pts != AVStatus.noTimestamp {
                        progress?(min(1, Double(frame.pointee.pts) * av_q2d(videoTimeBase) / total))
                    }
                }
                func samples(_ frame: UnsafeMutablePointer<AVFrame>) throws {
                    guard let shape = writer.audioShape else { return }
                    if sound == nil { sound = try AudioConverter(like: frame, to: shape) }
                    frame.pointee.pts = samplesRead
                    samplesRead += Int64(frame.pointee.nb_samples)
                    try sound!.push(frame)
                    try writeSound()
                }

                let packet = try Packet()
                while try readChecked(file, into: packet) {
                    defer { packet.unref() }
                    try cancel.check(input)
                    let index = Int(packet.pointer.pointee.stream_index)
                    if index == videoIndex {
                        try videoDecoder.decode(packet.pointer, picture)
                    } else if index == audioIndex, let audioDecoder {
                        try audioDecoder.decode(packet.pointer, samples)
                    }
                }
                try videoDecoder.decode(nil, picture)
                try audioDecoder?.decode(nil, samples)
                try pictures?.push(nil)
                try writePictures()
                try sound?.push(nil)
                try writeSound()
                guard pictures != nil else {
                    throw MediaJobsError.media(.mediaZeroDuration, input, "decoded no pictures to write")
                }
                try writer.finish()
                progress?(1)
            }
        } catch {
            try? FileManager.default.removeItem(at: output)
            throw error
        }
    }

    /// Reads the next packet, turning an interrupted read into `media.canceled`.
    private func readChecked(_ file: InputFile, into packet: Packet) throws -> Bool {
        do {
            return try file.read(into: packet)
        } catch {
            try cancel.check(input)
            throw error
        }
    }
}
