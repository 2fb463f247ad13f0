import CoreMetrics
import Foundation
import Logging
import MediaJobsCore
import MediaJobsStore
import Prometheus
import ServiceLifecycle

/// What `/metrics` shows, through swift-metrics into a Prometheus registry of this server's own.
///
/// Job and stage durations, provider requests and errors and costs are recorded when a job ends,
/// from the store (its events and cost records), so that jobs run by separate worker processes on
/// the same home count as well as the server's own workers.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let store: any JobStore

    public init(store: any JobStore) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let long: [Duration] = [.milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
                                .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300),
                                .seconds(900), .seconds(3600)]
        factory.durationHistogramBuckets = [
            "mediajobs_job_duration_seconds": long, "mediajobs_stage_duration_seconds": long,
        ]
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        self.factory = factory
        self.store = store
    }

    /// Counts one answered HTTP request.
    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        Counter(label: "mediajobs_http_requests_total",
                dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory)
            .increment()
        Timer(label: "mediajobs_http_request_duration_seconds", dimensions: [("method", method), ("route", route)],
              factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    /// Records what a job that just ended took, asked for and cost.
    func recordEnded(_ job: Job) async throws {
        guard let finished = job.finishedAt else { return }
        let kind = job.kind.rawValue
        // Read first, record after: a scrape never sees the job's duration without its stages and costs.
        let events = try await store.events(job.id, after: nil)
        let costs = try await store.costs(job.id)
        Timer(label: "mediajobs_job_duration_seconds", dimensions: [("kind", kind), ("state", job.state.rawValue)],
              factory: factory).recordNanoseconds(Duration.seconds(max(0, finished.timeIntervalSince(job.createdAt))).nanoseconds)
        Counter(label: "mediajobs_jobs_finished_total", dimensions: [("kind", kind), ("state", job.state.rawValue)],
                factory: factory).increment()

        var openStage: (name: String, at: Date)?
        var provider: String?
        for event in events {
            if let stage = openStage {
                Timer(label: "mediajobs_stage_duration_seconds", dimensions: [("kind", kind), ("stage", stage.name)],
                      factory: factory)
                    .recordNanoseconds(Duration.seconds(max(0, event.at.timeIntervalSince(stage.at))).nanoseconds)
                openStage = nil
            }
            switch event.kind {
            case .stage:
                // The store writes stage events as "<stage>: <detail>" ("provider: local/flite").
                let parts = event.detail.split(separator: ":", maxSplits: 1)
                let stageName = String(parts.first ?? "stage").trimmingCharacters(in: .whitespaces)
                openStage = (stageName, event.at)
                if stageName == "provider" {
                    let route = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
                    provider = String(route.split(separator: "/").first ?? "unknown")
                    Counter(label: "mediajobs_provider_requests_total",
                            dimensions: [("provider", provider ?? "unknown"), ("kind", kind)], factory: factory).increment()
                }
            case .failed, .retryScheduled:
                if let provider {
                    Counter(label: "mediajobs_provider_errors_total", dimensions: [("provider", provider), ("kind", kind)],
                            factory: factory).increment()
                }
            default:
                break
            }
        }
        for cost in costs {
            let dimensions = [("provider", cost.provider), ("model", cost.model), ("source", cost.source.rawValue)]
            if let usd = cost.usd {
                FloatingPointCounter(label: "mediajobs_cost_usd_total", dimensions: dimensions, factory: factory)
                    .increment(by: NSDecimalNumber(decimal: usd.decimal).doubleValue)
            } else {
                // An unknown amount is counted as such, never added to the dollars as 0.
                Counter(label: "mediajobs_cost_unknown_total", dimensions: dimensions, factory: factory).increment()
            }
            Counter(label: "mediajobs_cost_records_total", dimensions: dimensions, factory: factory).increment()
        }
    }

    /// The Prometheus text: the gauges read now (jobs by state, live workers), then everything recorded.
    public func render() async throws -> [UInt8] {
        let counts = try await store.countsByState()
        for state in JobState.allCases {
            Gauge(label: "mediajobs_jobs", dimensions: [("state", state.rawValue)], factory: factory)
                .record(counts[state] ?? 0)
        }
        let workers = try await store.liveWorkers(now: Date(), staleAfter: 10)
        Gauge(label: "mediajobs_workers", factory: factory).record(workers.count)
        return registry.emitToBuffer()
    }
}

/// Feeds `ServerMetrics` with every job that ends, from the change feed.
struct MetricsRecorder: Service {
    let feed: JobChangeFeed
    let metrics: ServerMetrics
    let logger: Logger

    func run() async throws {
        var recorded: [JobID: Date] = [:]
        for await jobs in await feed.subscribe().cancelOnGracefulShutdown() {
            for job in jobs where job.state.isFinal {
                guard let finished = job.finishedAt, recorded[job.id] != finished else { continue }
                recorded[job.id] = finished
                do {
                    try await metrics.recordEnded(job)
                } catch {
                    logger.warning("metrics: cannot read an ended job", metadata: ["job": "\(job.id)", "error": "\(error)"])
                }
            }
            if recorded.count > 10_000 {
                let cutoff = Date().addingTimeInterval(-60)
                recorded = recorded.filter { $0.value > cutoff }
            }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
