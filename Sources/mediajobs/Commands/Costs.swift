import ArgumentParser
import Foundation
import MediaJobsCore

struct Costs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report what jobs cost, by provider and model and by day.",
        discussion: """
            mediajobs costs
            mediajobs costs --since 2026-11-01 --json
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "From this day (YYYY-MM-DD, UTC).") var since: String?
    @Option(name: .long, help: "Before this day (YYYY-MM-DD, UTC).") var until: String?

    struct Group: Encodable {
        var key: String
        var attempts: Int
        var usd: Money
        var estimatedUSD: Money
        var reportedUSD: Money
        var unknownPrices: Int
        var units: [String: Decimal]

        enum CodingKeys: String, CodingKey {
            case key, attempts, usd
            case estimatedUSD = "estimated_usd"
            case reportedUSD = "reported_usd"
            case unknownPrices = "unknown_prices"
            case units
        }
    }

    struct Report: Encodable {
        var usd: Money
        var records: Int
        var byRoute: [Group]
        var byDay: [Group]

        enum CodingKeys: String, CodingKey {
            case usd, records
            case byRoute = "by_route"
            case byDay = "by_day"
        }
    }

    func run() async throws {
        let context = try Context(global)
        let records = try await context.store.costRecords(since: try day(since, "--since"), until: try day(until, "--until"))
        let dayFormatter = ISO8601DateFormatter()
        dayFormatter.formatOptions = [.withFullDate]
        let report = Report(
            usd: records.reduce(.zero) { $0 + $1.usd }, records: records.count,
            byRoute: Costs.group(records) { "\($0.provider)/\($0.model)" },
            byDay: Costs.group(records) { dayFormatter.string(from: $0.at) })
        if global.json {
            try Terminal.writeJSON(report)
            return
        }
        Terminal.write("total $\(report.usd) over \(report.records) billed attempt(s)")
        for (title, groups) in [("by provider/model", report.byRoute), ("by day", report.byDay)] where !groups.isEmpty {
            Terminal.write("\n\(title):")
            for g in groups {
                let unknown = g.unknownPrices > 0 ? "  (\(g.unknownPrices) with unknown price)" : ""
                Terminal.write("  \(JobText.pad(g.key, 28)) \(JobText.pad("$\(g.usd)", 14)) reported $\(g.reportedUSD), "
                               + "estimated $\(g.estimatedUSD)  \(g.attempts) attempt(s)  \(JobText.units(g.units))\(unknown)")
            }
        }
    }

    static func group(_ records: [CostRecord], by key: (CostRecord) -> String) -> [Group] {
        var groups: [String: Group] = [:]
        for record in records {
            let k = key(record)
            var g = groups[k] ?? Group(key: k, attempts: 0, usd: .zero, estimatedUSD: .zero, reportedUSD: .zero,
                                       unknownPrices: 0, units: [:])
            g.attempts += 1
            g.usd += record.usd
            switch record.source {
            case .reported: g.reportedUSD += record.usd
            case .estimated: g.estimatedUSD += record.usd
            case .unknown: g.unknownPrices += 1
            }
            for (unit, amount) in record.units { g.units[unit, default: 0] += amount }
            groups[k] = g
        }
        return groups.values.sorted { $0.key < $1.key }
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
