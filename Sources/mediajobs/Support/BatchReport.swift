import Foundation
import MediaJobsCore
import MediaJobsStore
import MediaJobsWorker

/// The summary of a batch: what was done, what failed and why, what was refused and why, the cost.
struct BatchReport: Encodable {
    struct Entry: Encodable {
        var input: String
        var output: String?
        var job: JobID?
        var state: String
        var reason: String?
        /// `written`, `unchanged`, or absent when nothing was written.
        var file: String?
    }

    var batch: String
    var kind: String
    var source: String
    var out: String
    var inputs: Int
    var jobs: Int
    var newJobs: Int
    var done: Int
    var failed: Int
    var pending: Int
    var skipped: Int
    /// Nil (JSON null) when every cost of the batch is unknown; `unknownCosts` attempts are not in it.
    var costUSD: Money?
    var unknownCosts: Int
    var seconds: Double
    var entries: [Entry]

    enum CodingKeys: String, CodingKey {
        case batch, kind, source, out, inputs, jobs
        case newJobs = "new_jobs"
        case done, failed, pending, skipped
        case costUSD = "cost_usd"
        case unknownCosts = "unknown_costs"
        case seconds, entries
    }

    static func build(
        batch: BatchRecord, context: Context, started: Date, created: Int, written: [String: BatchRunner.Written]
    ) async throws -> BatchReport {
        let entries = try await context.store.batchEntries(batch.id)
        var jobs: [JobID: Job] = [:]
        var amounts: [Money?] = []
        for id in Set(entries.compactMap(\.jobID)) {
            guard let job = try await context.store.job(id) else { continue }
            jobs[id] = job
            amounts += try await context.store.costs(id).map(\.usd)
        }
        let cost = CostTotal(amounts)
        var report = BatchReport(
            batch: batch.id, kind: batch.kind, source: batch.source, out: batch.out, inputs: entries.count,
            jobs: jobs.count, newJobs: created, done: 0, failed: 0, pending: 0, skipped: 0,
            costUSD: cost.usd, unknownCosts: cost.unknown,
            seconds: (Date().timeIntervalSince(started) * 100).rounded() / 100, entries: [])
        for entry in entries {
            let file: String? = switch written[entry.output] {
            case .written: "written"
            case .unchanged: "unchanged"
            case nil: nil
            }
            if let outcome = entry.outcome {
                // Work the batch command did itself (`batch convert`), without a job.
                if outcome == .done { report.done += 1 } else { report.failed += 1 }
                report.entries.append(Entry(input: entry.input, output: entry.output,
                                            state: outcome == .done ? "succeeded" : "failed", reason: entry.rejection,
                                            file: file))
                continue
            }
            guard let id = entry.jobID, let job = jobs[id] else {
                report.skipped += 1
                report.entries.append(Entry(input: entry.input, state: "skipped", reason: entry.rejection))
                continue
            }
            switch job.state {
            case .succeeded: report.done += 1
            case .failed, .canceled: report.failed += 1
            default: report.pending += 1
            }
            report.entries.append(Entry(input: entry.input, output: entry.output, job: id, state: job.state.rawValue,
                                        reason: job.error.map(\.description), file: file))
        }
        return report
    }

    var table: String {
        var lines = ["batch \(batch) (\(kind)): \(inputs) input(s), \(jobs) job(s), \(newJobs) new"]
        lines.append("  done \(done), failed \(failed), pending \(pending), skipped \(skipped), cost \(CostReport.describe(costUSD, unknown: unknownCosts)), "
                     + String(format: "%.1f s", seconds))
        for entry in entries where entry.state != "succeeded" {
            lines.append("  \(JobText.pad(entry.state, 9)) \(entry.input)\(entry.reason.map { ": \($0)" } ?? "")")
        }
        return lines.joined(separator: "\n")
    }
}
