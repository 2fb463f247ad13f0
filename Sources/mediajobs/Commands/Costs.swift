import ArgumentParser
import Foundation
import MediaJobsCore
import MediaJobsStore

struct Costs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report what jobs cost, grouped by day, provider, model, kind, label or route.",
        discussion: """
            mediajobs costs
            mediajobs costs --by provider,model --since 2026-11-01
            mediajobs costs --by day,kind --json
            mediajobs costs --by label,provider --label project
            mediajobs costs --by route_asked,route_used

            Each row shows the total beside its reported (the provider said) and estimated (from the
            model catalog) parts, attempts whose price is unknown, and jobs answered from the result
            cache at no cost. The same grouping as GET /v1/costs?group_by=….
            Requests of unknown outcome (sent, and their answer never arrived whole: cut
            mid-body, timed out, or their worker died) may have been billed with nothing
            to show: each is counted in the total at its estimated cost, marked in the
            "lost" column, and listed after the table until a look-up at the provider
            settles it.

            The provider and model of a row are each attempt's own; route_asked is
            the first route its job asked for, and route_used the route that made
            its job's result ("-" while the job has not succeeded, "unknown" when
            it succeeded before that was recorded): a job asked of openrouter that
            its local fallback made shows both. job is the job submitted: the parts
            of a long text or recording count for the job they are parts of, and
            part names each part ("-" for a job of its own); --by job,part shows both.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .long,
            help: "Group by these, comma-separated: day, provider, model, kind, label, route_asked, route_used, job, part.")
    var by = "day,provider,model"
    @Option(name: .long, help: "With --by label: the label name to group by (for example project).") var label: String?
    @Option(name: .long, help: "From this day (YYYY-MM-DD, UTC).") var since: String?
    @Option(name: .long, help: "Before this day (YYYY-MM-DD, UTC).") var until: String?

    func run() async throws {
        let groupBy = by.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        try CostReport.checkGrouping(groupBy, label: label, field: "--by")
        try await Context.with(global) { context in
            let start = try day(since, "--since")
            let end = try day(until, "--until")
            let lines = try await context.store.costLines(since: start, until: end, label: label)
            let risks = try await context.store.submissionRisks(since: start, until: end)
            let report = CostReport(lines: lines, groupBy: groupBy, submissionRisks: risks)
            if global.json {
                try Terminal.writeJSON(report)
                return
            }
            Terminal.write(Costs.table(report) + "\ntotal: " + CostReport.describe(report.usd, unknown: report.unknownPrices, places: 6)
                           + (Costs.riskLine(report.submissionRisks).map { "\n" + $0 } ?? ""))
        }
    }

    /// One line per kind of unsettled risk, or nil when there are none: `possible duplicate paid submissions: 2
    /// (jobs 01J…, 01J…)` (a worker died after sending a paid create request: the next attempt may have sent it
    /// again) and `paid requests of unknown outcome: 1 (jobs 01J…)` (the answer never arrived whole). The provider's
    /// own invoice is what tells.
    static func riskLine(_ risks: [SubmissionRisk]) -> String? {
        func line(_ title: String, _ risks: [SubmissionRisk]) -> String? {
            guard !risks.isEmpty else { return nil }
            var jobs: [String] = []
            for risk in risks where !jobs.contains(risk.jobID.rawValue) { jobs.append(risk.jobID.rawValue) }
            return "\(title): \(risks.count) (jobs \(jobs.joined(separator: ", "))), in the total at their estimated "
                + "cost; see mediajobs status JOB, and compare with the provider's invoice"
        }
        let lost = risks.filter { $0.detail.hasPrefix(SubmissionRisk.unknownOutcomePrefix) }
        let lines = [line("possible duplicate paid submissions", risks.filter { !lost.contains($0) }),
                     line("paid requests of unknown outcome", lost)].compactMap { $0 }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    /// A reported or estimated part of a total: "-" when there is none, so a column of zeros is not read as a cost.
    static func part(_ amount: Money) -> String {
        amount == .zero ? "-" : amount.display(places: 6)
    }

    /// The report as aligned columns: the grouping's values, then the amounts.
    static func table(_ report: CostReport) -> String {
        let header = report.groupBy + ["usd", "reported", "estimated", "unknown", "lost", "cached", "records"]
        var rows = [header]
        for group in report.groups {
            rows.append(report.groupBy.map { group.key[$0].flatMap { $0.isEmpty ? nil : $0 } ?? "-" } + [
                CostReport.describe(group.usd, unknown: group.unknownPrices, places: 6), Costs.part(group.reportedUSD),
                Costs.part(group.estimatedUSD),
                "\(group.unknownPrices)", "\(group.unknownOutcomes)",
                "\(group.cacheHits)", "\(group.attempts)",
            ])
        }
        rows.append(report.groupBy.enumerated().map { $0.offset == 0 ? "total" : "" } + [
            CostReport.describe(report.usd, unknown: report.unknownPrices, places: 6), Costs.part(report.reportedUSD),
            Costs.part(report.estimatedUSD),
            "\(report.unknownPrices)", "\(report.unknownOutcomes)", "\(report.cacheHits)", "\(report.records)",
        ])
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { JobText.pad($0.element, widths[$0.offset]) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    private func day(_ text: String?, _ flag: String) throws -> Date? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        guard let date = formatter.date(from: text) else {
            throw MediaJobsError.invalidInput(flag, "'\(text)' is not a day like 2026-11-25")
        }
        return date
    }
}
