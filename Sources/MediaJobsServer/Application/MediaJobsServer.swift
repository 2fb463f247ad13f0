import Foundation
import Hummingbird
import Logging
import MediaJobsCore
import MediaJobsStore
import MediaJobsWorker
import NIOCore
import ServiceLifecycle

/// The HTTP face of a MediaJobs home: the `/v1` JSON API, live events, artifacts, `/metrics`,
/// `/openapi.json` and the dashboard at `/`.
public struct MediaJobsServer: Sendable {
    public let store: any JobStore
    public let artifacts: ArtifactStore
    public let submitter: Submitter
    public let options: ServerOptions
    public let metrics: ServerMetrics
    let feed: JobChangeFeed
    let inputPolicy: InputPathPolicy
    let logger: Logger
    let fileIO = FileIO()
    let finalJobs = FinalJobCache()

    public init(store: any JobStore, artifacts: ArtifactStore, submitter: Submitter, options: ServerOptions, logger: Logger) {
        self.store = store
        self.artifacts = artifacts
        self.submitter = submitter
        self.options = options
        self.metrics = ServerMetrics(store: store)
        self.feed = JobChangeFeed(store: store, logger: logger)
        self.inputPolicy = InputPathPolicy(folders: options.limits.inputFolders)
        self.logger = logger
    }

    /// The Hummingbird application (a `Service`); `onRunning` gets the port it listens on.
    public func makeApplication(
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        if let token = options.token { router.add(middleware: BearerTokenMiddleware(token: token)) }
        addRoutes(to: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "mediajobs"),
            services: [feed, MetricsRecorder(feed: feed, metrics: metrics, logger: logger)],
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in
            try JSONResponse.make(["status": "ok"])
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try await metrics.render())))
        }
        addStaticRoutes(to: router)
        let v1 = router.group("v1")
        addJobRoutes(to: v1)
        addArtifactRoutes(to: v1)
        addReportRoutes(to: v1)
    }

    func loadJob(_ context: BasicRequestContext) async throws -> Job {
        let text = context.parameters.get("id") ?? ""
        let id = try JobID(parsing: text)
        guard let job = try await store.job(id) else {
            throw MediaJobsError(.jobNotFound, "id: no job \(id)")
        }
        return job
    }

    func view(_ job: Job, events: Bool) async throws -> JobView {
        try await JobView.load(job, store: store, artifacts: artifacts, withEvents: events)
    }
}

/// Counts requests by route (the matched pattern, never the raw path) and status.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.recordRequest(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                              status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}
