// How long `mediajobs submit transcribe` takes to answer for a long recording, run as a user runs it (the built
// binary, a fresh home), against the `ffprobe` and `ffmpeg` programs on the same file in the same run.
//
//   swift build -c release --product mediajobs --product SubmitBenchmark && .build/release/SubmitBenchmark \
//       [--hours H] [--runs N] [--binary PATH]
//
// The recording (H hours, default 3, of a tone with pauses, MP3 mono 64 kb/s 22.05 kHz, as a long meeting might
// be kept) is made by the ffmpeg program and removed at the end.
// submit       ours: `MEDIAJOBS_HOME=TMP mediajobs submit transcribe --audio FILE` (no --wait): the headers are checked,
//              the file copied into the artifact store and hashed, the job queued; the worker decodes it in full
//              later, before any provider is sent it.
// probe peer   `ffprobe -v error -show_format -show_streams FILE`: reading the headers, nothing more.
// decode peer  `ffmpeg -v error -i FILE -f null -`: what a submit that decodes everything costs at least.
// Times are medians of N runs, each a new process. Ratios are peer time / our time.
import Foundation

struct Options {
    var hours = 3.0
    var runs = 5
    var binary = ".build/release/mediajobs"

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--hours": hours = iterator.next().flatMap(Double.init) ?? hours
            case "--runs": runs = iterator.next().flatMap(Int.init) ?? runs
            case "--binary": binary = iterator.next() ?? binary
            default:
                print("usage: SubmitBenchmark [--hours H] [--runs N] [--binary PATH]")
                exit(2)
            }
        }
    }
}

/// Runs `arguments` (the first found on the PATH unless it has a slash), returning its wall time; exits on failure.
@discardableResult
func run(_ arguments: [String], environment: [String: String]? = nil, output: URL? = nil) -> (seconds: Double, out: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let start = DispatchTime.now()
    do { try process.run() } catch {
        print("cannot run \(arguments[0]): \(error)")
        exit(1)
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        print("\(arguments.joined(separator: " ")) failed (\(process.terminationStatus)):\n\(text)")
        exit(1)
    }
    return (seconds, text)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

let options = Options(CommandLine.arguments)
guard FileManager.default.isExecutableFile(atPath: options.binary) else {
    print("no mediajobs binary at \(options.binary): swift build -c release --product mediajobs")
    exit(1)
}
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("submit-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }

let seconds = Int(options.hours * 3600)
let recording = folder.appendingPathComponent("meeting.mp3")
let made = run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                "sine=frequency=220:sample_rate=22050:duration=\(seconds),volume='if(lt(mod(t,7),5),1,0)':eval=frame",
                "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", recording.path])
let bytes = (try FileManager.default.attributesOfItem(atPath: recording.path)[.size] as? Int) ?? 0
print(String(format: "recording: %.1f h (%d s), MP3 64 kb/s mono, %.1f MB, made by ffmpeg in %.1f s",
             options.hours, seconds, Double(bytes) / 1e6, made.seconds))
let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
print("load average before: \(load); runs: \(options.runs), medians below")

var submits: [Double] = []
var probes: [Double] = []
var decodes: [Double] = []
for index in 0..<options.runs {
    let home = folder.appendingPathComponent("home-\(index)")
    let submitted = run([options.binary, "submit", "transcribe", "--audio", recording.path],
                        environment: ["MEDIAJOBS_HOME": home.path])
    submits.append(submitted.seconds)
    if index == 0 { print("submit said: \(submitted.out.trimmingCharacters(in: .whitespacesAndNewlines))") }
    probes.append(run(["ffprobe", "-v", "error", "-show_format", "-show_streams", recording.path]).seconds)
    decodes.append(run(["ffmpeg", "-v", "error", "-i", recording.path, "-f", "null", "-"]).seconds)
    try? FileManager.default.removeItem(at: home)
}
let submit = median(submits)
let probe = median(probes)
let decode = median(decodes)
print(String(format: "submit (mediajobs, no --wait)   %7.3f s   (runs: %@)", submit,
             submits.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
print(String(format: "ffprobe (headers only)          %7.3f s   ratio %.2f", probe, probe / submit))
print(String(format: "ffmpeg -f null (full decode)    %7.3f s   ratio %.2f", decode, decode / submit))
print(submit < 1 ? "submit answered in under 1 s" : "submit took 1 s or more")
