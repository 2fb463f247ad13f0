import Foundation
import MediaJobsCore
import MediaJobsStore
import MediaJobsWorker

/// Human-readable renderings of jobs.
enum JobText {
    static func summary(_ view: JobView) -> String {
        var lines = ["\(view.id)  \(view.kind)  \(view.state)  \(view.provider)/\(view.model ?? "-")  attempts \(view.attempts)/\(view.maxAttempts)"]
        if let stage = view.stage, !view.state.isFinal { lines.append("  stage: \(stage)") }
        if let parts = view.parts {
            lines.append("  parts: \(parts.display) (" + parts.jobs.map(\.rawValue).joined(separator: " ") + ")")
        }
        if let parent = view.parentID { lines.append("  part of: \(parent)") }
        if view.routesAsked.count > 1 {
            lines.append("  routes asked: " + view.routesAsked.map(\.description).joined(separator: ", "))
        }
        if let used = usedRoute(view) { lines.append("  route used: \(used)") }
        if let trying = view.routeTrying { lines.append("  route now: \(trying)") }
        if let scheduled = scheduled(view) { lines.append("  \(scheduled)") }
        if let error = view.error { lines.append("  error: \(error.code): \(error.message)") }
        for input in view.inputs {
            lines.append("  input:  \(input.path) (\(input.format), \(input.bytes) bytes\(duration(input.durationSeconds)))")
        }
        for artifact in view.artifacts {
            lines.append("  output: \(artifact.path) (\(artifact.format), \(artifact.bytes) bytes\(duration(artifact.durationSeconds)))")
        }
        lines.append("  cost: \(view.cost.display)" + view.cost.records.map { " [\($0.provider)/\($0.model) \(units($0.units)) \($0.source)]" }.joined())
        return lines.joined(separator: "\n")
    }

    /// `scheduled: runs at 2026-11-26T09:00:00Z (in 1 h 59 min)` for a queued job whose time has not come.
    static func scheduled(_ view: JobView, now: Date = Date()) -> String? {
        guard view.state == .queued, view.runAt > now.addingTimeInterval(0.5) else { return nil }
        let seconds = Int(view.runAt.timeIntervalSince(now).rounded())
        let wait = seconds >= 3600 ? "\(seconds / 3600) h \(seconds % 3600 / 60) min"
            : seconds >= 60 ? "\(seconds / 60) min \(seconds % 60) s" : "\(seconds) s"
        let label = view.attempts == 0 ? "scheduled: runs at" : "retry at"
        return "\(label) \(JobSpec.formatTime(view.runAt)) (in \(wait))"
    }

    static func status(_ view: JobView) -> String {
        var text = summary(view)
        for artifact in view.artifacts where !artifact.checks.isEmpty {
            text += "\n  checked before storing \(artifact.sha256.prefix(12)) (\(artifact.format)):"
            for check in artifact.checks {
                text += "\n    \(check.passed ? "✓" : "!") \(check.subject): \(check.name): \(check.detail)"
            }
        }
        for record in view.cost.records {
            text += "\n  cost of attempt \(record.attempt) on \(record.provider)/\(record.model): \(record.display) (\(record.source.rawValue))"
            if record.outcome == .unknown {
                text += record.charged
                    ? ", outcome unknown: the request was sent and its answer never arrived whole; the provider may have billed it"
                    : ", outcome unknown, since settled at the provider: not counted"
            }
            for line in record.lines {
                text += "\n    " + JobText.line(line)
            }
        }
        if let events = view.events {
            let risks = events.filter { $0.detail.hasPrefix(SubmissionRisk.notePrefix) }.map(\.attempt)
            let lost = events.filter { $0.detail.hasPrefix(SubmissionRisk.unknownOutcomePrefix) }.map(\.attempt)
            if !lost.isEmpty {
                text += "\n  warning: paid request of unknown outcome (attempt \(lost.map(String.init).joined(separator: ", "))): "
                    + "its answer never arrived whole; see the events below"
            }
            if !risks.isEmpty {
                text += "\n  warning: possible duplicate paid submission (attempt \(risks.map(String.init).joined(separator: ", "))): "
                    + "see the events below"
            }
        }
        if let events = view.events, !events.isEmpty {
            text += "\n  events:"
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            for event in events {
                let worker = event.worker.map { " [\($0)]" } ?? ""
                text += "\n    \(formatter.string(from: event.at))  #\(event.attempt) \(event.kind.rawValue)\(worker)  \(event.detail)"
            }
        }
        return text
    }

    /// The route that made a succeeded job's result (`local/flite (cache hit of job 01J…)`), `unknown` when that was
    /// not recorded; nil for a job that has not succeeded.
    static func usedRoute(_ view: JobView) -> String? {
        guard view.state == .succeeded else { return nil }
        return view.routeUsed?.description ?? "unknown (not recorded)"
    }

    /// `mediajobs list`: a header, then a row per job with the routes it asked for and the route that made its result
    /// (`trying X` while a provider works on it).
    static func table(_ views: [JobView]) -> String {
        guard !views.isEmpty else { return "" }
        let formatter = ISO8601DateFormatter()
        var rows = [["id", "kind", "state", "routes asked", "route used", "attempts", "created"]]
        for view in views {
            let used: String
            if view.state == .succeeded {
                used = view.routeUsed.map { $0.route.description + ($0.cacheHitOf == nil ? "" : " (cache hit)") }
                    ?? "unknown"
            } else {
                used = view.routeTrying.map { "trying \($0)" } ?? "-"
            }
            rows.append([view.id.rawValue, view.kind.rawValue, view.state.rawValue,
                         view.routesAsked.map(\.description).joined(separator: ", "), used,
                         "\(view.attempts)/\(view.maxAttempts)", formatter.string(from: view.createdAt)])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { pad($0.element, widths[$0.offset]) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    /// `54 characters × $0.0000006 = $0.0000324 (OAI-COMM-TTS, 2026-08-21)`, or `… × unknown price`.
    static func line(_ line: PriceLine) -> String {
        let variant = line.variant.map { " (\($0))" } ?? ""
        let source = line.source.map { " (\($0))" } ?? ""
        guard let price = line.usdPerUnit else { return "\(line.quantity) \(line.unit)\(variant) × unknown price" }
        return "\(line.quantity) \(line.unit)\(variant) × $\(price) = \(line.usd.display())\(source)"
    }

    static func units(_ units: [String: Decimal]) -> String {
        units.keys.sorted().map { "\(units[$0] ?? 0) \($0)" }.joined(separator: ", ")
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "" }
        return String(format: ", %.2f s", seconds)
    }
}
