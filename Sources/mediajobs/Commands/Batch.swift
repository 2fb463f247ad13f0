#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
import Foundation
import MediaJobsCore
import MediaJobsFFmpeg
import MediaJobsStore
import MediaJobsWorker
import Synchronization

struct Batch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Process many jobs at once: a folder of recordings or texts, a file of prompts, or a manifest.",
        discussion: """
            mediajobs batch transcribe talks/ --recursive --format srt --out transcripts/
            mediajobs batch tts scripts/ --include '*.md' --format mp3 --out voiced/
            mediajobs batch image prompts.txt --provider openrouter --out images/
            mediajobs batch --file jobs.jsonl --out results/
            mediajobs batch convert recordings/ --recursive --format opus --bitrate-kbps 32 --out opus/
            mediajobs batch transcribe talks/ --recursive --dry-run
            mediajobs batch status B1F3…

            Inputs are checked with FFmpeg first; what cannot be used is reported, not submitted.
            Identical inputs are processed once, and running the same command again submits nothing
            new and pays nothing again. Ctrl-C stops submitting and leaves the queue as it is; the
            same command resumes. Exit code 1 when any job failed.

            A manifest (--file) has one job spec per line, as JSON (the same document as
            `mediajobs submit --spec`); relative input paths are taken from the manifest's folder.
            A prompt file has one prompt per line. Blank lines and lines starting with # are skipped.
            `batch convert` needs no provider: every file is converted here and the output validated.
            """,
        subcommands: [BatchTranscribe.self, BatchTTS.self, BatchImage.self, BatchVideo.self, BatchConvert.self,
                      BatchStatus.self])

    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "A JSONL manifest: one job spec per line, of any kind.") var file: String?
    @OptionGroup var options: BatchOptions

    func run() async throws {
        guard let file else {
            throw ValidationError("give a subcommand (transcribe, tts, image, video, convert, status) or --file MANIFEST.jsonl")
        }
        try await BatchExecution(global: global, options: options)
            .run(try options.request(.manifest, source: file, voice: nil))
    }
}

/// The options every batch takes.
struct BatchOptions: ParsableArguments {
    @Option(name: .long, help: "Where outputs go, mirroring the inputs (default: out).") var out = "out"
    @Option(name: .long, help: "The output format of every job (for a manifest: of the jobs that name none).")
    var format: String?
    @Option(name: .long, help: "The provider (default: local; a manifest's lines name their own).") var provider: String?
    @Option(name: .long, help: "The provider's model.") var model: String?
    @Option(name: .long, help: "Jobs run at once by this command when no worker is running (default: cores).")
    var concurrency = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .long, help: "The most the whole batch may cost, in USD; checked against the estimate before submitting.")
    var maxCost: String?
    @Flag(name: .long, help: "Print the plan and the estimated cost; submit nothing.") var dryRun = false
    @Flag(inversion: .prefixedNo, help: "Answer jobs from identical earlier successes (default: on for tts and transcribe, off for image and video).")
    var cache: Bool?

    func request(
        _ kind: BatchRequest.Kind, source: String, folder: FolderOptions? = nil, voice: String?
    ) throws -> BatchRequest {
        var maxCostUSD: Money?
        if let maxCost {
            guard let money = Money(usd: maxCost) else {
                throw MediaJobsError.invalidInput("--max-cost", "'\(maxCost)' is not an amount in USD")
            }
            maxCostUSD = money
        }
        guard (1...64).contains(concurrency) else { throw MediaJobsError.invalidInput("--concurrency", "must be 1–64") }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        func absolute(_ path: String) -> String {
            let expanded = (path as NSString).expandingTildeInPath
            return (expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded) : cwd.appendingPathComponent(expanded))
                .standardizedFileURL.path
        }
        var request = BatchRequest(
            kind: kind, source: absolute(source), out: absolute(out), format: format,
            recursive: folder?.recursive ?? false, include: folder?.include ?? [], exclude: folder?.exclude ?? [],
            provider: provider, model: model, voice: voice, maxCostUSD: maxCostUSD)
        request.cache = cache
        return request
    }
}

/// The options of a batch over a folder.
struct FolderOptions: ParsableArguments {
    @Argument(help: "The folder to process.") var dir: String
    @Flag(name: .long, help: "Include sub-folders.") var recursive = false
    @Option(name: .long, parsing: .singleValue, help: "Only files matching this glob (repeatable; matched against the name, or the relative path if it has a /).")
    var include: [String] = []
    @Option(name: .long, parsing: .singleValue, help: "Skip files matching this glob (repeatable).")
    var exclude: [String] = []
}

struct BatchTranscribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcribe", abstract: "Transcribe every recording in a folder (txt, json, srt or vtt).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var folder: FolderOptions
    @OptionGroup var options: BatchOptions

    func run() async throws {
        try await BatchExecution(global: global, options: options)
            .run(try options.request(.transcribe, source: folder.dir, folder: folder, voice: nil))
    }
}

struct BatchTTS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tts", abstract: "Voice every .txt and .md file in a folder.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var folder: FolderOptions
    @OptionGroup var options: BatchOptions
    @Option(name: .long, help: "The voice (local: kal, kal16, awb, rms, slt).") var voice: String?

    func run() async throws {
        try await BatchExecution(global: global, options: options)
            .run(try options.request(.tts, source: folder.dir, folder: folder, voice: voice))
    }
}

/// A batch over a prompt file: one job of `kind` per line.
protocol PromptBatchCommand: AsyncParsableCommand {
    static var kind: BatchRequest.Kind { get }
    var global: GlobalOptions { get }
    var prompts: String { get }
    var options: BatchOptions { get }
}

extension PromptBatchCommand {
    func run() async throws {
        try await BatchExecution(global: global, options: options)
            .run(try options.request(Self.kind, source: prompts, voice: nil))
    }
}

struct BatchImage: PromptBatchCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Make an image from every line of a prompt file.")
    static let kind = BatchRequest.Kind.image
    @OptionGroup var global: GlobalOptions
    @Argument(help: "A text file with one prompt per line.") var prompts: String
    @OptionGroup var options: BatchOptions
}

struct BatchVideo: PromptBatchCommand {
    static let configuration = CommandConfiguration(
        commandName: "video", abstract: "Make a video from every line of a prompt file.")
    static let kind = BatchRequest.Kind.video
    @OptionGroup var global: GlobalOptions
    @Argument(help: "A text file with one prompt per line.") var prompts: String
    @OptionGroup var options: BatchOptions
}

struct BatchConvert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert every media file in a folder to one format, each output validated (no provider, no cost).",
        discussion: """
            Formats: mp3 opus aac flac wav m4a (audio), mp4 webm (video), png jpeg webp (image).
            A file with no stream the format needs (a picture for mp3, sound only for mp4) is refused
            with the reason; a picture from a video is its first frame unless --at is given.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var folder: FolderOptions
    @OptionGroup var options: BatchOptions
    @OptionGroup var settings: ConversionOptions

    func run() async throws {
        guard let format = options.format else {
            throw MediaJobsError.invalidInput("--format", "give the format to convert to (\(MediaConversion.formatNames))")
        }
        if options.provider != nil || options.model != nil {
            throw MediaJobsError.invalidInput(options.provider != nil ? "--provider" : "--model",
                                              "batch convert uses no provider; it converts here")
        }
        var request = try options.request(.convert, source: folder.dir, folder: folder, voice: nil)
        request.conversion = settings.conversion(format: format)
        try await BatchExecution(global: global, options: options).runConversion(request)
    }
}

struct BatchStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a batch's progress.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The batch id (printed by the batch command and in batch-report.json).") var id: String

    func run() async throws {
        try await Context.with(global) { context in
            guard let batch = try await context.store.batch(id.uppercased()) else {
                throw MediaJobsError(.jobNotFound, "id: no batch \(id) in \(context.home.url.path)")
            }
            let report = try await BatchReport.build(batch: batch, context: context, started: batch.createdAt,
                                                     created: 0, written: [:])
            if global.json { try Terminal.writeJSON(report) } else { Terminal.write(report.table) }
        }
    }
}

/// One run of a folder batch: plan, submit, wait, write outputs, report.
struct BatchExecution {
    let global: GlobalOptions
    let options: BatchOptions

    func run(_ request: BatchRequest) async throws {
        let started = Date()
        try await Context.with(global) { context in
            let planner = BatchPlanner(engine: context.engine, providers: context.providers)
            let plan = try await planner.plan(request)
            let estimate = plan.estimatedUSD
            if let max = request.maxCostUSD {
                guard let estimate else {
                    throw MediaJobsError(.budgetExceeded, "--max-cost: the price of this batch is not known, so it cannot be held to $\(max)")
                }
                guard estimate <= max else {
                    throw MediaJobsError(.budgetExceeded, "--max-cost: the batch is estimated at $\(estimate), over $\(max)")
                }
            }
            if options.dryRun {
                try printPlan(plan, estimate: estimate)
                return
            }

            Terminal.writeError("batch \(request.id): \(plan.items.count) job(s) for \(plan.items.map(\.inputs.count).reduce(0, +)) "
                                + "input(s), \(plan.rejections.count) rejected")
            let stop = SharedFlag.installForSIGINT()
            let runner = BatchRunner(store: context.store, artifacts: context.artifacts, submitter: context.submitter)
            let submission = try await runner.submit(plan, shouldStop: { stop.isSet }) { done, total in
                Terminal.progress("checking and submitting \(done)/\(total)")
            }
            Terminal.endProgress()
            let jobs = Set(submission.jobs.compactMap { $0 })
            if !submission.complete {
                Terminal.writeError("stopped: \(submission.jobs.count) of \(plan.items.count) submitted and left in the queue; "
                                    + "run the same command again to resume (batch \(request.id))")
                throw JobEndedBadly(code: 130)
            }

            try await waitForJobs(jobs, context: context, stop: stop)
            if stop.isSet {
                Terminal.writeError("stopped waiting; the jobs stay queued. Run the same command again to resume (batch \(request.id))")
                throw JobEndedBadly(code: 130)
            }

            // Outputs, mirroring the source tree; only succeeded jobs write anything.
            let out = URL(fileURLWithPath: request.out)
            var written: [String: BatchRunner.Written] = [:]
            for (index, item) in plan.items.enumerated() where index < submission.jobs.count {
                guard let id = submission.jobs[index], try await context.store.job(id)?.state == .succeeded else { continue }
                for output in item.outputs {
                    written[output] = try await runner.writeOutput(of: id, to: output, under: out)
                }
            }
            try await finish(request, context: context, started: started, created: submission.created, written: written)
        }
    }

    /// Writes the summary: a table (or JSON) and `batch-report.json` in the output folder; exit code 1 if any failed.
    private func finish(
        _ request: BatchRequest, context: Context, started: Date, created: Int, written: [String: BatchRunner.Written]
    ) async throws {
        guard let batch = try await context.store.batch(request.id) else {
            throw MediaJobsError(.storeFailure, "batch \(request.id) was not recorded")
        }
        let out = URL(fileURLWithPath: request.out)
        let report = try await BatchReport.build(batch: batch, context: context, started: started,
                                                 created: created, written: written)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let reportData = try JobView.makeEncoder().encode(report)
        let reportURL = out.appendingPathComponent("batch-report.json")
        try reportData.write(to: reportURL, options: .atomic)
        if global.json { try Terminal.writeJSON(report) } else { Terminal.write(report.table + "\nreport: \(reportURL.path)") }
        if report.failed > 0 { throw JobEndedBadly() }
    }

    /// `batch convert`: plan, convert here (`--concurrency` at a time), report. No job, no provider, no cost.
    func runConversion(_ request: BatchRequest) async throws {
        let started = Date()
        try await Context.with(global) { context in
            let plan = try await BatchPlanner(engine: context.engine, providers: context.providers).planConversion(request)
            let items = plan.items.flatMap { item in zip(item.inputs, item.outputs).map { ($0, $1, item.sha256) } }
            if options.dryRun {
                try printPlan(id: request.id, jobs: plan.items.count, duplicates: plan.duplicates, estimate: .zero,
                              items: items, rejections: plan.rejections, work: "conversion(s)")
                return
            }
            Terminal.writeError("batch \(request.id): \(plan.items.count) conversion(s) for \(items.count) input(s), "
                                + "\(plan.rejections.count) rejected")
            let stop = SharedFlag.installForSIGINT()
            let line = ProgressLine()
            let run = try await BatchConverter(engine: context.engine, store: context.store).run(
                plan, concurrency: options.concurrency, shouldStop: { stop.isSet }
            ) { done, failed, total in line.update(done: done, failed: failed, total: total) }
            Terminal.endProgress()
            if !run.complete {
                Terminal.writeError("stopped: \(run.results.count) of \(items.count) output(s) finished; "
                                    + "run the same command again to resume (batch \(request.id))")
                throw JobEndedBadly(code: 130)
            }
            var written: [String: BatchRunner.Written] = [:]
            for result in run.results {
                switch result.state {
                case .written: written[result.output] = .written
                case .unchanged: written[result.output] = .unchanged
                case .failed: break
                }
            }
            try await finish(request, context: context, started: started, created: 0, written: written)
        }
    }

    private func printPlan(_ plan: BatchPlan, estimate: Money?) throws {
        let items = plan.items.flatMap { item in zip(item.inputs, item.outputs).map { ($0, $1, item.spec.idempotencyKey ?? "") } }
        try printPlan(id: plan.request.id, jobs: plan.items.count, duplicates: plan.duplicates, estimate: estimate,
                      items: items, rejections: plan.rejections)
    }

    /// Prints what a batch would do: (input, output, key) per input, the rejections, the estimated cost.
    private func printPlan(
        id: String, jobs: Int, duplicates: Int, estimate: Money?, items: [(String, String, String)],
        rejections: [BatchPlan.Rejection], work: String = "job(s)"
    ) throws {
        struct Planned: Encodable {
            var batch: String
            var jobs: Int
            var inputs: Int
            var duplicates: Int
            var estimatedUSD: Money?
            var items: [[String: String]]
            var rejections: [BatchPlan.Rejection]
            enum CodingKeys: String, CodingKey {
                case batch, jobs, inputs, duplicates
                case estimatedUSD = "estimated_usd"
                case items, rejections
            }
        }
        let planned = Planned(
            batch: id, jobs: jobs, inputs: items.count, duplicates: duplicates, estimatedUSD: estimate,
            items: items.map { ["input": $0.0, "output": $0.1, "idempotency_key": $0.2] }, rejections: rejections)
        if global.json {
            try Terminal.writeJSON(planned)
            return
        }
        Terminal.write("batch \(planned.batch): \(planned.jobs) \(work) for \(planned.inputs) input(s) "
                       + "(\(planned.duplicates) duplicate(s)), \(rejections.count) rejected, "
                       + "estimated cost \(estimate.map { "$\($0)" } ?? "unknown")")
        for item in items { Terminal.write("  \(item.0) -> \(item.1)") }
        for rejection in rejections { Terminal.write("  rejected \(rejection.path): \(rejection.reason)") }
    }

    /// Waits until every job has ended (working the queue here when no worker is alive), with a progress line.
    private func waitForJobs(_ jobs: Set<JobID>, context: Context, stop: SharedFlag) async throws {
        let total = jobs.count
        let line = ProgressLine()
        let waiter = JobWaiter(context: context, concurrency: options.concurrency, leaseDuration: 15)
        defer { Terminal.endProgress() }
        _ = try await waiter.wait(for: Array(jobs), timeout: nil, interval: .milliseconds(250),
                                  shouldStop: { stop.isSet }) { current in
            line.update(done: current.filter(\.state.isFinal).count,
                        failed: current.filter { $0.state == .failed || $0.state == .canceled }.count, total: total)
        }
    }
}

/// A live progress line: a bar with counts, rate and time left on a terminal; a plain line every 5 s otherwise.
final class ProgressLine: Sendable {
    private let started = Date()
    private let lastLine = Mutex(Date.distantPast)

    func update(done: Int, failed: Int, total: Int) {
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? String(format: "%.0f s left", Double(total - done) / rate) : "estimating"
        let line = "\(done)/\(total) done, \(failed) failed, \(String(format: "%.1f", rate))/s, \(eta)"
        if Terminal.stderrIsTerminal {
            let width = 24
            let filled = total > 0 ? width * done / total : width
            Terminal.progress("[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " + line)
        } else if lastLine.withLock({ last in
            guard Date().timeIntervalSince(last) >= 5 else { return false }
            last = Date()
            return true
        }) {
            Terminal.writeError(line)
        }
    }
}
