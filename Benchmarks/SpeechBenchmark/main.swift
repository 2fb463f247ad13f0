// Local speech speed: MediaJobs in process vs the `ffmpeg` program doing the same work.
//
//   swift run -c release SpeechBenchmark [--minutes N] [--skip-ffmpeg-recognition]
//
// Synthesis: about 60 s of text with flite (voice kal), ours vs `ffmpeg -f lavfi -i flite=textfile=…`.
// Recognition: an N-minute recording (default 3) of varied sentences with pauses, made here and not
// kept; ours (pieces at pauses, in parallel) vs `ffmpeg -i X -af asr=… -f null -` (one pass).
import Foundation
import MediaJobsCore
import MediaJobsFFmpeg

struct Options {
    var minutes = 3.0
    var ffmpegRecognition = true

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--minutes": minutes = iterator.next().flatMap(Double.init) ?? minutes
            case "--skip-ffmpeg-recognition": ffmpegRecognition = false
            default:
                print("usage: SpeechBenchmark [--minutes N] [--skip-ffmpeg-recognition]")
                exit(2)
            }
        }
    }
}

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func ffmpeg(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"] + arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw MediaJobsError(.internalError, "ffmpeg exited with \(process.terminationStatus)")
    }
}

func format(_ value: Double) -> String { String(format: "%.2f", value) }

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
print("synthesis: \(format(spoken)) s of speech (\(text.count) characters, voice kal)")
print("  ours    \(format(oursTime)) s  = \(format(spoken / oursTime))x real time")
print("  ffmpeg  \(format(ffmpegTime)) s  = \(format(spokenByFFmpeg / ffmpegTime))x real time")
print("  ratio ours/ffmpeg speed: \(format((spoken / oursTime) / (spokenByFFmpeg / ffmpegTime)))")

// Recognition of an N-minute recording with pauses between sentences.
let recording = folder.appendingPathComponent("recording.wav")
var sentences: [String] = []
var estimate = 0.0
while estimate < options.minutes * 60 {
    let next = sentence(sentences.count)
    sentences.append(next)
    estimate += Double(next.split(separator: " ").count) * 0.36 + 0.8
}
let makeTime = try await seconds {
    try await engine.synthesizeSpeech(sentences: sentences, voice: "kal16", pauseSeconds: 0.8, to: recording)
}
let length = try await engine.probe(recording).durationSeconds ?? 0
print("recognition: \(format(length)) s recording, \(sentences.count) sentences (made in \(format(makeTime)) s)")
var transcript = Transcript(segments: [])
let recognizeTime = try await seconds { transcript = try await engine.recognizeSpeech(in: recording) }
let spokenWords = Set(sentences.joined(separator: " ").lowercased().split { !$0.isLetter }.map(String.init))
let heardWords = transcript.text.lowercased().split { !$0.isLetter }.map(String.init)
let known = heardWords.filter(spokenWords.contains).count
print("  ours    \(format(recognizeTime)) s  = \(format(length / recognizeTime))x real time, "
    + "\(transcript.segments.count) segments, \(heardWords.count) words (\(known) from the script's vocabulary)")
if options.ffmpegRecognition {
    let asr = "asr=hmm=\(model.acousticModel):dict=\(model.dictionary):lm=\(model.languageModel)"
    let singlePass = try await seconds { try ffmpeg(["-i", recording.path, "-af", asr, "-f", "null", "-"]) }
    print("  ffmpeg  \(format(singlePass)) s  = \(format(length / singlePass))x real time (one pass, one core)")
    print("  ratio ours/ffmpeg speed: \(format(singlePass / recognizeTime))")
} else {
    print("  ffmpeg  skipped (--skip-ffmpeg-recognition)")
}
