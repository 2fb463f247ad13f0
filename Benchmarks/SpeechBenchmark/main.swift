// Local speech speed: MediaJobs in process vs the `ffmpeg` program doing the same work.
//
//   swift build -c release --product SpeechBenchmark && .build/release/SpeechBenchmark \
//       [--minutes N] [--input continuous|paused|both] [--skip-ffmpeg-recognition]
//
// Synthesis: about 60 s of text with flite (voice kal), ours vs `ffmpeg -f lavfi -i flite=textfile=…`.
//
// Recognition: N-minute recordings (default 3; `--minutes 10` is the goal size, but then
// ffmpeg's single pass takes tens of minutes) made here with flite (kal16) and not kept:
//   continuous  one flite stream reading the whole script: what users really have, long stretches
//               of speech with only flite's short natural pauses between sentences;
//   paused      the same kind of script, one flite run per sentence with 0.8 s of silence between,
//               where pocketsphinx finds the utterances by itself.
// Ours (`MediaEngine.recognizeSpeech`: pieces at pauses, one recognizer per core) vs
// `ffmpeg -i X -af apad=pad_dur=1,asr=…,ametadata=print -f null -` (one pass, one core, the same
// `asr` filter; the second of padding makes `asr` publish the last utterance, as ours does).
// Accuracy is the fraction of the script's words heard, in order (longest common subsequence of
// the script's and the transcript's words). Our first recognition includes loading the models.
import Foundation
import MediaJobsCore
import MediaJobsFFmpeg

enum InputKind: String, CaseIterable {
    case continuous, paused
}

struct Options {
    var minutes = 3.0
    var ffmpegRecognition = true
    var inputs: [InputKind] = InputKind.allCases
    var file: String?
    var script: String?

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--minutes": minutes = iterator.next().flatMap(Double.init) ?? minutes
            case "--skip-ffmpeg-recognition": ffmpegRecognition = false
            case "--file": file = iterator.next()
            case "--script": script = iterator.next()
            case "--input":
                let value = iterator.next() ?? ""
                if value == "both" {
                    inputs = InputKind.allCases
                } else if let kind = InputKind(rawValue: value) {
                    inputs = [kind]
                } else {
                    usage()
                }
            default: usage()
            }
        }
    }

    func usage() -> Never {
        print("usage: SpeechBenchmark [--minutes N] [--input continuous|paused|both] [--skip-ffmpeg-recognition]")
        print("       SpeechBenchmark --file RECORDING [--script TEXT-FILE]   (ours only, on your own recording)")
        exit(2)
    }
}

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Runs an FFmpeg program (`ffmpeg`, `ffprobe`) and returns what it wrote (standard output and error).
@discardableResult
func run(_ program: String, _ arguments: [String], logLevel: String = "error") throws -> String {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("speech-benchmark-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    defer { try? FileManager.default.removeItem(at: log) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program, "-hide_banner", "-loglevel", logLevel] + arguments
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    try handle.close()
    guard process.terminationStatus == 0 else {
        throw MediaJobsError(.internalError, "\(program) exited with \(process.terminationStatus)")
    }
    return (try? String(contentsOf: log, encoding: .utf8)) ?? ""
}

func ffmpeg(_ arguments: [String]) throws {
    try run("ffmpeg", ["-nostdin", "-y"] + arguments)
}

func format(_ value: Double) -> String { String(format: "%.2f", value) }
func percent(_ value: Double) -> String { String(format: "%.0f%%", value * 100) }
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

func words(_ text: String) -> [String] {
    text.lowercased().split { !$0.isLetter && $0 != "'" }.map(String.init)
}

/// The fraction of `script`'s words found in `heard` in the same order (longest common subsequence).
func accuracy(script: [String], heard: [String]) -> Double {
    guard !script.isEmpty else { return 0 }
    var previous = [Int](repeating: 0, count: heard.count + 1)
    var current = previous
    for word in script {
        for (index, candidate) in heard.enumerated() {
            current[index + 1] = word == candidate ? previous[index] + 1 : max(previous[index + 1], current[index])
        }
        swap(&previous, &current)
    }
    return Double(previous[heard.count]) / Double(script.count)
}

let subjects = ["The worker", "Our queue", "The new service", "A small team", "The local engine", "This machine"]
let verbs = ["processed", "validated", "converted", "stored", "recorded", "checked"]
let objects = [
    "four hundred audio files", "every request from the morning", "the long interview", "a batch of images",
    "the weekly report", "several short videos",
]
let endings = [
    "before lunch.", "without a single failure.", "in less than an hour.", "and sent the results back.",
    "while the others were waiting.", "as the budget allowed.",
]

/// Varied sentences: the n-th combines parts so that neighbours differ.
func sentence(_ n: Int) -> String {
    "\(subjects[n % 6]) \(verbs[(n / 6 + n) % 6]) \(objects[(n / 36 + 2 * n) % 6]) \(endings[(n / 3 + n) % 6])"
}

let options = Options(CommandLine.arguments)
let engine = MediaEngine.shared
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("speech-benchmark-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
let model = PocketsphinxModel.debianEnglish

if let file = options.file {
    // Ours only, on a given recording: the time, the transcript, and its accuracy against a script.
    var transcript = Transcript(segments: [])
    let time = try await seconds { transcript = try await engine.recognizeSpeech(in: URL(fileURLWithPath: file)) }
    print(transcript.segments.map { "\(format($0.start))-\(format($0.end)) \($0.text)" }.joined(separator: "\n"))
    let script = try options.script.map { try String(contentsOfFile: $0, encoding: .utf8) }
    let score = script.map { percent(accuracy(script: words($0), heard: words(transcript.text))) } ?? "-"
    print("recognized in \(format(time)) s, \(transcript.segments.count) segments, accuracy \(score)")
    exit(0)
}

print("SpeechBenchmark on \(ProcessInfo.processInfo.activeProcessorCount) cores, engine threads \(engine.threads)")

// Synthesis of about 60 s of speech.
let text = (0..<22).map(sentence).joined(separator: " ")
let textFile = folder.appendingPathComponent("text.txt")
try text.write(to: textFile, atomically: true, encoding: .utf8)
let ours = folder.appendingPathComponent("ours.wav")
let theirs = folder.appendingPathComponent("ffmpeg.wav")
_ = try await seconds { try await engine.synthesizeSpeech(text: "warm up", voice: "kal", to: ours) }
let oursTime = try await seconds { try await engine.synthesizeSpeech(text: text, voice: "kal", to: ours) }
let ffmpegTime = try await seconds {
    try ffmpeg(["-f", "lavfi", "-i", "flite=textfile=\(textFile.path):voice=kal", "-c:a", "pcm_s16le", theirs.path])
}
let spoken = try await engine.probe(ours).durationSeconds ?? 0
let spokenByFFmpeg = try await engine.probe(theirs).durationSeconds ?? 0
let synthesisRatio = (spoken / oursTime) / (spokenByFFmpeg / ffmpegTime)
print("synthesis: \(format(spoken)) s of speech (\(text.count) characters, voice kal)")
print("  ours    \(format(oursTime)) s  = \(format(spoken / oursTime))x real time")
print("  ffmpeg  \(format(ffmpegTime)) s  = \(format(spokenByFFmpeg / ffmpegTime))x real time")
print("  ratio ours/ffmpeg speed: \(format(synthesisRatio))")

struct Row {
    var kind: InputKind
    var length: Double
    var ours: Double
    var oursAccuracy: Double
    var ffmpeg: Double?
    var ffmpegAccuracy: Double?
}
var rows: [Row] = []

/// Sentences of the script, about `minutes` long when spoken by kal16.
func script(minutes: Double, pauses: Bool) -> [String] {
    var sentences: [String] = []
    var estimate = 0.0
    while estimate < minutes * 60 {
        let next = sentence(sentences.count)
        sentences.append(next)
        estimate += Double(next.split(separator: " ").count) * 0.36 + (pauses ? 0.8 : 0.1)
    }
    return sentences
}

for kind in options.inputs {
    let recording = folder.appendingPathComponent("\(kind.rawValue).wav")
    let sentences = script(minutes: options.minutes, pauses: kind == .paused)
    let scriptWords = words(sentences.joined(separator: " "))
    let makeTime = try await seconds {
        switch kind {
        case .continuous:
            try await engine.synthesizeSpeech(text: sentences.joined(separator: " "), voice: "kal16", to: recording)
        case .paused:
            try await engine.synthesizeSpeech(sentences: sentences, voice: "kal16", pauseSeconds: 0.8, to: recording)
        }
    }
    let length = try await engine.probe(recording).durationSeconds ?? 0
    print("recognition, \(kind.rawValue): \(format(length)) s recording, \(sentences.count) sentences, "
        + "\(scriptWords.count) words (made in \(format(makeTime)) s)")
    var transcript = Transcript(segments: [])
    let recognizeTime = try await seconds { transcript = try await engine.recognizeSpeech(in: recording) }
    let oursAccuracy = accuracy(script: scriptWords, heard: words(transcript.text))
    print("  ours    \(format(recognizeTime)) s  = \(format(length / recognizeTime))x real time, "
        + "\(transcript.segments.count) segments, accuracy \(percent(oursAccuracy))")
    var row = Row(kind: kind, length: length, ours: recognizeTime, oursAccuracy: oursAccuracy)
    if options.ffmpegRecognition {
        // The same graph as ours: 16 kHz mono into asr (which converts anything else itself), with a
        // second of padding so the last utterance is published; ametadata logs each utterance.
        let asr = "asr=hmm=\(model.acousticModel):dict=\(model.dictionary):lm=\(model.languageModel)"
        let graph = "apad=pad_dur=1,\(asr),ametadata=mode=print:key=lavfi.asr.text"
        var log = ""
        let singlePass = try await seconds {
            log = try run("ffmpeg", ["-nostdin", "-i", recording.path, "-af", graph, "-f", "null", "-"], logLevel: "info")
        }
        let marker = "lavfi.asr.text="
        var lines = log.split(separator: "\n").compactMap { line in
            line.range(of: marker).map { line[$0.upperBound...] }
        }
        if lines.contains(where: { $0.utf8.count > 900 }) {
            // av_log cuts lines at 1 KiB: for ffmpeg's full text of a long utterance, run the same
            // graph again (not timed) through ffprobe, which prints frame tags whole.
            let probe = try run(
                "ffprobe",
                ["-f", "lavfi", "-i", "amovie=\(recording.path),\(graph)", "-show_entries", "frame_tags=lavfi.asr.text",
                 "-of", "default=noprint_wrappers=1:nokey=1"],
                logLevel: "error")
            lines = probe.split(separator: "\n").filter { !$0.isEmpty }
        }
        let heard = lines.joined(separator: " ")
        let ffmpegAccuracy = accuracy(script: scriptWords, heard: words(heard))
        print("  ffmpeg  \(format(singlePass)) s  = \(format(length / singlePass))x real time (one pass, one core), "
            + "accuracy \(percent(ffmpegAccuracy))")
        print("  ratio ours/ffmpeg speed: \(format(singlePass / recognizeTime))")
        row.ffmpeg = singlePass
        row.ffmpegAccuracy = ffmpegAccuracy
    } else {
        print("  ffmpeg  skipped (--skip-ffmpeg-recognition)")
    }
    rows.append(row)
}

print("")
print("| work | input | ours s | ffmpeg s | speed ours/ffmpeg | accuracy ours | accuracy ffmpeg |")
print("|---|---|---:|---:|---:|---:|---:|")
print("| synthesis | \(format(spoken)) s of text | \(format(oursTime)) | \(format(ffmpegTime)) | \(format(synthesisRatio))x | | |")
for row in rows {
    let ffmpegTime = row.ffmpeg.map(format) ?? "skipped"
    let ratio = row.ffmpeg.map { format($0 / row.ours) + "x" } ?? "-"
    let ffmpegAccuracy = row.ffmpegAccuracy.map(percent) ?? "-"
    print("| recognition | \(row.kind.rawValue), \(format(row.length)) s | \(format(row.ours)) | \(ffmpegTime) | "
        + "\(ratio) | \(percent(row.oursAccuracy)) | \(ffmpegAccuracy) |")
}
