// Media engine speed and memory: MediaJobs in process vs the `ffmpeg` program on the same inputs and
// settings, in one run. Inputs are rendered here (MediaEngine.renderTestPattern) and not kept.
//
//   swift build -c release --product MediaBenchmark && .build/release/MediaBenchmark \
//       [--seconds N] [--long-seconds N] [--long-preset P] [--validations N] [--only memory|leak]
//
// validate     ours: MediaEngine.validate (decode every frame, count errors, plus the content checks:
//              peak level, blackdetect + freezedetect) and the same with content checks off;
//              peer: `ffmpeg -v error -i FILE -f null -`.
// audio        ours: transcodeAudio WAV → MP3 128 kb/s; peer: `ffmpeg -i in.wav -c:a libmp3lame -b:a 128k`.
// video        ours: convertVideo MP4 720p → MP4 height 480, x264 veryfast CRF 23, AAC 128 kb/s;
//              peer: `ffmpeg -i in.mp4 -vf scale=-2:480 -c:v libx264 -preset veryfast -crf 23 -c:a aac -b:a 128k`.
// memory       peak RSS of a child process transcoding a long 1080p video (ours: this program re-run
//              with --transcode-child, reading VmHWM; ffmpeg: its own -benchmark maxrss). The long input
//              is rendered by the ffmpeg program with x264 ultrafast (a 10-minute 1080p render in
//              process at veryfast takes longer than the rest of the run together).
//              --only memory runs this part alone; --long-preset P sets x264's preset of this run on both
//              sides (default veryfast).
// leak         RSS before and after N validations in one process (--only leak: this part alone; the
//              end-to-end tests run it to show memory stays flat).
// Ratios are peer time / our time: above 1.0 we are faster.
import Foundation
import MediaJobsCore
import MediaJobsFFmpeg

struct Options {
    var seconds = 20.0
    var longSeconds = 60.0
    var longPreset = "veryfast"
    var validations = 1000
    var child: (String, String)?
    /// "memory" or "leak": run that part alone.
    var only: String?

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--seconds": seconds = iterator.next().flatMap(Double.init) ?? seconds
            case "--long-seconds": longSeconds = iterator.next().flatMap(Double.init) ?? longSeconds
            case "--long-preset": longPreset = iterator.next() ?? longPreset
            case "--validations": validations = iterator.next().flatMap(Int.init) ?? validations
            case "--only":
                guard let part = iterator.next(), ["memory", "leak"].contains(part) else { usage() }
                only = part
            case "--transcode-child":
                guard let input = iterator.next(), let output = iterator.next(), let preset = iterator.next() else {
                    usage()
                }
                child = (input, output)
                longPreset = preset
            default: usage()
            }
        }
    }

    func usage() -> Never {
        print("usage: MediaBenchmark [--seconds N] [--long-seconds N] [--long-preset P] [--validations N] [--only memory|leak]")
        exit(2)
    }
}

/// Kilobytes from a /proc/self/status field (VmRSS, VmHWM).
func status(_ field: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Runs `ffmpeg` with `arguments`; returns the wall time and stderr.
@discardableResult
func ffmpeg(_ arguments: [String]) throws -> (Double, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
    process.arguments = ["-nostdin", "-hide_banner", "-y"] + arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    let start = ContinuousClock.now
    try process.run()
    let data = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let elapsed = ContinuousClock.now - start
    guard process.terminationStatus == 0 else {
        throw MediaJobsError(.internalError, "ffmpeg \(arguments.joined(separator: " ")) failed: \(String(decoding: data, as: UTF8.self))")
    }
    return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, String(decoding: data, as: UTF8.self))
}

func line(_ name: String, ours: Double, peer: Double, unit: String = "s") {
    print("\(name.padding(toLength: 34, withPad: " ", startingAt: 0)) ours \(String(format: "%7.2f", ours)) \(unit)   ffmpeg \(String(format: "%7.2f", peer)) \(unit)   ratio \(String(format: "%.2f", peer / ours))")
}

let options = Options(CommandLine.arguments)
let engine = MediaEngine.shared
let videoOptions = VideoOutputOptions(format: .mp4, height: 480, quality: 23, audioBitrateKbps: 128)

if let (input, output) = options.child {
    // The memory run: one transcode in a fresh process, then its peak resident size.
    var long = videoOptions
    long.x264Preset = options.longPreset
    try await engine.convertVideo(URL(fileURLWithPath: input), to: URL(fileURLWithPath: output), options: long)
    print("VmHWM \(status("VmHWM"))")
    exit(0)
}

let folder = FileManager.default.temporaryDirectory.appendingPathComponent("media-benchmark-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }

print("MediaBenchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores, FFmpeg \(MediaEngine.capabilities().versions["ffmpeg"] ?? "?")")
if options.only == nil {
    let clip = folder.appendingPathComponent("clip.mp4")
    let render = try await seconds {
        try await engine.renderTestPattern(
            TestPattern(width: 1280, height: 720, frameRate: 25, durationSeconds: options.seconds, text: "MediaBenchmark"),
            to: clip)
    }
    print("input: \(Int(options.seconds)) s 1280x720 25 fps H.264 + AAC test pattern, rendered in \(String(format: "%.1f", render)) s")

    // Validation.
    let full = try await seconds { _ = try await engine.validate(clip, expecting: MediaExpectation(kind: .video)) }
    let decodeOnly = try await seconds {
        _ = try await engine.validate(clip, expecting: MediaExpectation(kind: .video, checkContent: false))
    }
    let (peerValidate, _) = try ffmpeg(["-v", "error", "-i", clip.path, "-f", "null", "-"])
    line("validate 720p (decode only)", ours: decodeOnly, peer: peerValidate)
    line("validate 720p (+ content checks)", ours: full, peer: peerValidate)

    // Audio transcode.
    let wav = folder.appendingPathComponent("audio.wav")
    try ffmpeg(["-v", "error", "-i", clip.path, "-vn", "-c:a", "pcm_s16le", wav.path])
    let ourMP3 = folder.appendingPathComponent("ours.mp3")
    let audio = try await seconds {
        try await engine.transcodeAudio(wav, to: ourMP3, options: AudioOutputOptions(format: .mp3, bitrateKbps: 128))
    }
    let (peerAudio, _) = try ffmpeg(["-v", "error", "-i", wav.path, "-c:a", "libmp3lame", "-b:a", "128k", folder.appendingPathComponent("peer.mp3").path])
    line("audio wav → mp3 128k", ours: audio, peer: peerAudio)

    // Video transcode.
    let ourMP4 = folder.appendingPathComponent("ours.mp4")
    let video = try await seconds { try await engine.convertVideo(clip, to: ourMP4, options: videoOptions) }
    let (peerVideo, _) = try ffmpeg([
        "-v", "error", "-i", clip.path, "-vf", "scale=-2:480", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
        "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", folder.appendingPathComponent("peer.mp4").path,
    ])
    line("video 720p → 480p x264 veryfast", ours: video, peer: peerVideo)
}

// Peak memory on a long 1080p input.
if options.only == nil || options.only == "memory" {
    let long = folder.appendingPathComponent("long.mp4")
    let (longRender, _) = try ffmpeg([
        "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25", "-f", "lavfi", "-i",
        "sine=frequency=440:sample_rate=48000", "-t", String(format: "%.0f", options.longSeconds), "-ac", "2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", long.path,
    ])
    print("long input: \(Int(options.longSeconds)) s 1920x1080 25 fps (x264 ultrafast), rendered by ffmpeg in \(String(format: "%.1f", longRender)) s")
    let child = Process()
    child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    child.arguments = ["--transcode-child", long.path, folder.appendingPathComponent("long-ours.mp4").path, options.longPreset]
    let childOutput = Pipe()
    child.standardOutput = childOutput
    let childStart = ContinuousClock.now
    try child.run()
    let childText = String(decoding: childOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    child.waitUntilExit()
    let childElapsed = ContinuousClock.now - childStart
    let ourPeak = Int(childText.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "0") ?? 0
    let (peerLong, peerLog) = try ffmpeg([
        "-benchmark", "-i", long.path, "-vf", "scale=-2:480", "-c:v", "libx264", "-preset", options.longPreset, "-crf", "23",
        "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", folder.appendingPathComponent("long-peer.mp4").path,
    ])
    let peerPeak = peerLog.split(separator: "\n").compactMap { row -> Int? in
        guard let range = row.range(of: "maxrss=") else { return nil }
        return Int(row[range.upperBound...].prefix { $0.isNumber })
    }.last ?? 0
    let ourLong = Double(childElapsed.components.seconds) + Double(childElapsed.components.attoseconds) / 1e18
    line("long 1080p → 480p \(options.longPreset)", ours: ourLong, peer: peerLong)
    print("long 1080p → 480p peak RSS        ours \(ourPeak / 1024) MB   ffmpeg \(peerPeak / 1024) MB   (goal: ours < 150 MB)")
}

// Memory over many validations in one process.
if options.only == nil || options.only == "leak" {
    let small = folder.appendingPathComponent("small.mp4")
    try await engine.renderTestPattern(TestPattern(width: 160, height: 120, frameRate: 10, durationSeconds: 1), to: small)
    for _ in 0..<20 { _ = try await engine.validate(small, expecting: MediaExpectation(kind: .video)) }
    let before = status("VmRSS")
    var middle = before
    let many = try await seconds {
        for index in 0..<options.validations {
            _ = try await engine.validate(small, expecting: MediaExpectation(kind: .video))
            if index == options.validations / 2 - 1 { middle = status("VmRSS") }
        }
    }
    let after = status("VmRSS")
    // A leak grows with every validation; allocator arenas settle early. The second half shows which.
    print("\(options.validations) validations of a 1 s clip in \(String(format: "%.1f", many)) s: RSS \(before / 1024) MB before, \(after / 1024) MB after (\(after - before) kB; \(after - middle) kB in the second half)")
}
