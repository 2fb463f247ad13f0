import ArgumentParser
import Foundation
import MediaJobsCore
import MediaJobsWorker

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue a media job.",
        discussion: """
            mediajobs submit tts --text "The quick brown fox jumps over the lazy dog" --format mp3 --wait
            mediajobs submit tts --text-file script.txt --voice awb --format opus --bitrate 48
            mediajobs submit transcribe --audio talk.wav --format srt --wait -o talk.srt
            mediajobs submit --file Jobs/welcome-tts.json --wait --json
            mediajobs submit tts --text "Good morning" --at +2h --priority 5
            mediajobs submit tts --text "Say it anew" --no-cache

            With --wait the command waits for the job to end; when no worker is running on this
            home, it runs the job itself. Exit codes: 0 succeeded (or queued without --wait),
            1 the job failed or was canceled, 2 a usage or input error.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The kind of job: tts, transcribe, image or video (omit with --file).")
    var kind: String?

    @Option(name: .long, help: "A job document (JSON) to submit instead of flags.")
    var file: String?

    @Option(name: .long, help: "Text to speak (tts).")
    var text: String?

    @Option(name: .long, help: "A UTF-8 text file to speak (tts).")
    var textFile: String?

    @Option(name: .long, help: "An audio or video file to transcribe.")
    var audio: String?

    @Option(name: .long, help: "A prompt (image, video).")
    var prompt: String?

    @Option(name: .long, help: "The provider (default: local).")
    var provider: String?

    @Option(name: .long, help: "The provider's model (default: the provider's default for the kind).")
    var model: String?

    @Option(name: .long, help: "The voice (tts; local voices: kal, kal16, awb, rms, slt).")
    var voice: String?

    @Option(name: .long, help: "The output format (tts: mp3, opus, aac, flac, wav, m4a; transcribe: txt, json, srt, vtt).")
    var format: String?

    @Option(name: .long, help: "Output bitrate in kbit/s (audio).")
    var bitrate: Int?

    @Option(name: .long, help: "Output sample rate in Hz (audio).")
    var sampleRate: Int?

    @Option(name: .long, help: "Output channels (audio).")
    var channels: Int?

    @Option(name: .long, help: "Higher runs first (default 0).")
    var priority: Int?

    @Option(name: .long, help: "Submitting the same key again returns the existing job.")
    var idempotencyKey: String?

    @Option(name: .long, help: "The most this job may cost, in USD.")
    var maxCost: String?

    @Option(name: .long, help: "Attempts before the job fails (default 3).")
    var maxAttempts: Int?

    @Option(name: .long, parsing: .singleValue, help: "A label name=value (repeatable).")
    var label: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "Run not before this time: ISO-8601 (2026-11-26T09:00:00Z) or from now (+90s, +10m, +2h, +1d).",
        valueName: "time"))
    var at: String?

    @Flag(inversion: .prefixedNo, help: "Answer from an identical earlier success at no cost (default: on for tts and transcribe, off for image and video).")
    var cache: Bool?

    @Flag(name: .long, help: "Wait for the job to end (running it here when no worker is running).")
    var wait = false

    @Option(name: .shortAndLong, help: "With --wait: copy the result here when the job succeeds (a file or a folder).")
    var output: String?

    func run() async throws {
        if output != nil && !wait {
            throw MediaJobsError.invalidInput("--output", "needs --wait (use `mediajobs get ID -o PATH` later)")
        }
        let spec = try makeSpec()
        try await Context.with(global) { context in
            let result = try await context.submitter.submit(spec)
            let job = result.job
            if !wait {
                if global.json {
                    try Terminal.writeJSON(try await context.view(job))
                } else {
                    let when = result.created ? JobSpec.formatTime(job.runAt) : ""
                    let scheduled = result.created && job.runAt > Date().addingTimeInterval(0.5) ? " to run at \(when)" : ""
                    Terminal.write(result.created ? "\(job.id) queued\(scheduled)"
                                   : "\(job.id) already submitted with this key (\(job.state))")
                }
                return
            }
            let final = try await JobWaiter(context: context).wait(for: job.id, timeout: nil)
            try await report(final, context: context)
        }
    }

    /// Copies the result where asked, prints the finished job and maps its state to the exit code.
    func report(_ job: Job, context: Context) async throws {
        if let output, job.state == .succeeded {
            _ = try await OutputCopy.copy(job, index: 0, to: output, context: context)
        }
        try await printFinished(job, context: context, json: global.json)
    }

    private func makeSpec() throws -> JobSpec {
        if let file {
            let flags: [Any?] = [kind, text, textFile, audio, prompt, provider, model, voice, format, bitrate, sampleRate,
                                 channels, priority, idempotencyKey, maxCost, maxAttempts]
            guard flags.allSatisfy({ $0 == nil }), label.isEmpty else {
                throw MediaJobsError.invalidInput("--file", "give the job either as a file or as flags, not both")
            }
            var spec = try JobSpecFile.load(file)
            // Scheduling and caching may be set beside a file: they say when and how, not what.
            if let at { spec.runAt = try Submit.time(at) }
            if let cache { spec.cache = cache }
            return spec
        }
        guard let kind else {
            throw MediaJobsError.invalidInput("kind", "say what to make: tts, transcribe, image or video (or use --file)")
        }
        guard let jobKind = JobKind(rawValue: kind) else {
            throw MediaJobsError.invalidInput("kind", "unknown kind '\(kind)' (one of tts, transcribe, image, video)")
        }
        var labels: [String: String] = [:]
        for item in label {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw MediaJobsError.invalidInput("--label", "'\(item)' is not name=value")
            }
            labels[parts[0]] = parts[1]
        }
        var maxCostUSD: Money?
        if let maxCost {
            guard let money = Money(usd: maxCost) else {
                throw MediaJobsError.invalidInput("--max-cost", "'\(maxCost)' is not an amount in USD")
            }
            maxCostUSD = money
        }
        var input = JobInput(text: text, textFile: textFile, voice: voice, audio: audio, prompt: prompt)
        input.textFile = textFile
        var spec = JobSpec(
            kind: jobKind, provider: provider ?? JobSpec.defaultProvider, model: model, input: input,
            output: OutputSettings(format: format, bitrateKbps: bitrate, sampleRate: sampleRate, channels: channels),
            maxCostUSD: maxCostUSD, priority: priority ?? 0, idempotencyKey: idempotencyKey, labels: labels,
            maxAttempts: maxAttempts)
        spec.cache = cache
        spec.runAt = try at.map(Submit.time)
        try spec.validate()
        return spec
    }

    /// `--at`: an ISO-8601 time or one relative to now.
    static func time(_ text: String) throws -> Date {
        guard let date = JobSpec.parseTime(text) else {
            throw MediaJobsError.invalidInput("--at", "'\(text)' is not a time like 2026-11-26T09:00:00Z, +10m or +2h")
        }
        return date
    }
}

/// Reads a job document from a file, naming the file in every error.
enum JobSpecFile {
    static func load(_ path: String) throws -> JobSpec {
        let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MediaJobsError(.fileNotFound, "--file: \(path): no such file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw MediaJobsError(.invalidInput, "--file: \(path): cannot be read (\(error.localizedDescription))")
        }
        var spec = try JobSpec.parse(json: data, source: path)
        // Relative paths inside a job file are relative to the file.
        let folder = url.deletingLastPathComponent().path
        func anchored(_ value: String?) -> String? {
            guard let value, !value.hasPrefix("/"), !value.hasPrefix("~"), !value.contains("://"),
                  !ArtifactRef.isValidSHA256(value) else { return value }
            return (folder as NSString).appendingPathComponent(value)
        }
        spec.input.textFile = anchored(spec.input.textFile)
        spec.input.audio = anchored(spec.input.audio)
        return spec
    }
}

/// Prints a job that ended and throws `JobEndedBadly` unless it succeeded.
func printFinished(_ job: Job, context: Context, json: Bool) async throws {
    let view = try await context.view(job)
    if json {
        try Terminal.writeJSON(view)
    } else {
        Terminal.write(JobText.summary(view))
    }
    if job.state != .succeeded { throw JobEndedBadly() }
}
