import ArgumentParser
import Foundation
import MediaJobsCore
import MediaJobsStore
import MediaJobsWorker

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a job: its state, stage, routes asked and used, artifacts, cost, and the story of its events.",
        discussion: "mediajobs status 01JD3F4Y8W1ZKQ6T0V5N2M7C9B --json")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The job id.") var id: String

    func run() async throws {
        try await Context.with(global) { context in
            let view = try await context.view(try await context.job(id), events: true)
            if global.json { try Terminal.writeJSON(view) } else { Terminal.write(JobText.status(view)) }
        }
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List jobs, newest first.",
        discussion: """
            mediajobs list --state failed --kind tts
            mediajobs list --limit 200 --json

            Each row shows the routes the job asked for (the first, then its fallbacks) and
            the route that made its result: "unknown" for a job that succeeded before that
            was recorded, "(cache hit)" for a result reused from an earlier job (its
            status names that job), "trying X" while a provider works on it.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .long, parsing: .singleValue, help: "Only jobs in this state (repeatable): queued, running, waiting, succeeded, failed, canceled.")
    var state: [String] = []
    @Option(name: .long, parsing: .singleValue, help: "Only jobs of this kind (repeatable).")
    var kind: [String] = []
    @Option(name: .long, help: "Only jobs with this label, name=value.")
    var label: String?
    @Option(name: .long, help: "At most this many jobs.")
    var limit = 50

    func run() async throws {
        let states = try state.map { name in
            guard let s = JobState(rawValue: name) else {
                throw MediaJobsError.invalidInput("--state", "unknown state '\(name)' (one of \(JobState.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return s
        }
        let kinds = try kind.map { name in
            guard let k = JobKind(rawValue: name) else {
                throw MediaJobsError.invalidInput("--kind", "unknown kind '\(name)' (one of tts, transcribe, image, video)")
            }
            return k
        }
        guard limit > 0 && limit <= 10_000 else { throw MediaJobsError.invalidInput("--limit", "must be 1–10000") }
        var labelFilter: (name: String, value: String)?
        if let label {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw MediaJobsError.invalidInput("--label", "'\(label)' is not name=value") }
            labelFilter = (parts[0], parts[1])
        }
        try await Context.with(global) { context in
            let jobs = try await context.store.jobs(JobFilter(
                states: states.isEmpty ? nil : states, kinds: kinds.isEmpty ? nil : kinds, label: labelFilter, limit: limit))
            var views: [JobView] = []
            for job in jobs { views.append(try await context.view(job)) }
            if global.json {
                try Terminal.writeJSON(views)
            } else {
                if !views.isEmpty { Terminal.write(JobText.table(views)) }
            }
        }
    }
}

struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait for a job to end (running it here when no worker is running).",
        discussion: "Exit code 0 when it succeeded, 1 when it failed or was canceled.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The job id.") var id: String
    @Option(name: .long, help: "Give up after this many seconds.") var timeout: Double?

    func run() async throws {
        try await Context.with(global) { context in
            let job = try await context.job(id)
            let final = try await JobWaiter(context: context).wait(for: job.id, timeout: timeout)
            try await printFinished(final, context: context, json: global.json)
        }
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel a job that has not ended; a running job's worker abandons it.",
        discussion: """
            A job waiting at fal or Replicate is also canceled there, so it stops running and billing.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The job id.") var id: String

    func run() async throws {
        try await Context.with(global) { context in
            let job = try await context.store.cancel(try await context.job(id).id, now: Date())
            if let handle = job.providerHandle {
                await CancelAtProvider.run(context, job: job, handle: handle)
            }
            if global.json { try Terminal.writeJSON(try await context.view(job)) } else { Terminal.write("\(job.id) \(job.state)") }
        }
    }
}

struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue a failed or canceled job again, with a fresh set of attempts.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The job id.") var id: String

    func run() async throws {
        try await transition(global, id) { store, id in try await store.retry(id, now: Date()) }
    }
}

/// Applies a state change to one job and prints the job as it now is.
private func transition(
    _ global: GlobalOptions, _ id: String, _ change: (any JobStore, JobID) async throws -> Job
) async throws {
    try await Context.with(global) { context in
        let job = try await change(context.store, try await context.job(id).id)
        if global.json { try Terminal.writeJSON(try await context.view(job)) } else { Terminal.write("\(job.id) \(job.state)") }
    }
}

struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a job's output to a file.",
        discussion: """
            mediajobs get 01JD3F4Y8W1ZKQ6T0V5N2M7C9B -o speech.mp3
            mediajobs get 01JD3F4Y8W1ZKQ6T0V5N2M7C9B -o out/      (names it <id>.<format>)
            mediajobs get 01JD3F4Y8W1ZKQ6T0V5N2M7C9B -o -         (to stdout)
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The job id.") var id: String
    @Option(name: .shortAndLong, help: "Where to write: a file, a folder, or - for stdout.") var output: String
    @Option(name: .long, help: "Which output, when there are several (0 first).") var index = 0

    func run() async throws {
        try await Context.with(global) { context in
            let job = try await context.job(id)
            let (destination, artifact) = try await OutputCopy.copy(job, index: index, to: output, context: context)
            guard let destination else { return }
            if global.json {
                struct Written: Encodable { var path: String; var sha256: String; var bytes: Int64 }
                try Terminal.writeJSON(Written(path: destination.path, sha256: artifact.sha256, bytes: artifact.bytes))
            } else {
                Terminal.write(destination.path)
            }
        }
    }
}
