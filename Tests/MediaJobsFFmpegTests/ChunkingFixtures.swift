import CMediaFFmpeg
import Foundation
import MediaJobsCore
import Testing

@testable import MediaJobsFFmpeg

/// Recordings for the cutting and joining tests, made with flite and the `ffmpeg` program.
enum ChunkingFixtures {
    static let sentences = [
        "Welcome to the weekly report from the media team.",
        "We processed more than four thousand files this week.",
        "The new queue keeps every job in a small database.",
        "Workers claim jobs with a lease and give them back.",
        "Speech is made on this machine with a local voice.",
        "Transcripts are made with a recognizer on this machine.",
        "Costs are recorded for every attempt we make.",
        "Thank you for listening and see you next week.",
        "The next report will follow in seven days.",
        "Please send your questions to the media team.",
    ]

    /// Runs the `ffmpeg` program quietly with `arguments`; fails the test if it fails.
    static func ffmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"] + arguments
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "ffmpeg \(arguments.joined(separator: " ")) failed")
    }

    /// Decodes `file` to packed float in its own rate and channels and measures the gated loudness of each
    /// span of seconds in `spans`.
    static func loudness(of file: URL, spans: [Range<Double>]) async throws -> [Double?] {
        try await Fixtures.engine.run { cancel in
            let reader = try AudioReader(opening: file, cancel: cancel)
            let rate = Int(reader.sampleRate)
            let channels = Int(reader.channels)
            let shape = AudioShape(
                sampleFormat: AV_SAMPLE_FMT_FLT, sampleRate: reader.sampleRate,
                channelLayout: ChannelLayout.defaultName(channels: reader.channels))
            var meters = spans.map { _ in GatedLoudness(sampleRate: rate, channels: channels) }
            var position = 0
            try reader.read(as: shape) { frame in
                let samples = SampleFrames.floats(frame)
                let count = Int(frame.pointee.nb_samples)
                for (index, span) in spans.enumerated() {
                    let from = max(position, Int(span.lowerBound * Double(rate)))
                    let to = min(position + count, Int(span.upperBound * Double(rate)))
                    guard from < to else { continue }
                    let part = samples[((from - position) * channels)..<((to - position) * channels)]
                    meters[index].add(UnsafeBufferPointer(rebasing: part))
                }
                position += count
            }
            return meters.map(\.loudnessDB)
        }
    }
}
