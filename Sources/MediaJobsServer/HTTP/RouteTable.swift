/// The paths this server answers and their methods, so that a known path asked with another
/// method gets 405 with `Allow`, not 404.
struct RouteTable: Sendable {
    static let server = RouteTable([
        ("/", ["GET"]), ("/dashboard.css", ["GET"]), ("/dashboard.js", ["GET"]), ("/openapi.json", ["GET"]),
        ("/healthz", ["GET"]), ("/metrics", ["GET"]),
        ("/v1/jobs", ["GET", "POST"]), ("/v1/jobs/{id}", ["GET"]), ("/v1/jobs/{id}/cancel", ["POST"]),
        ("/v1/jobs/{id}/retry", ["POST"]), ("/v1/jobs/{id}/events", ["GET"]), ("/v1/artifacts/{sha256}", ["GET"]),
        ("/v1/costs", ["GET"]), ("/v1/stats", ["GET"]), ("/v1/batches", ["GET"]), ("/v1/batches/{id}", ["GET"]),
    ])

    private let routes: [(segments: [String], methods: [String])]

    init(_ routes: [(String, [String])]) {
        self.routes = routes.map { (path, methods) in (path.split(separator: "/").map(String.init), methods) }
    }

    /// The methods allowed on `path`, or nil when no route has that shape.
    func methods(for path: String) -> [String]? {
        let segments = path.split(separator: "/")
        for route in routes where route.segments.count == segments.count {
            let matches = zip(route.segments, segments).allSatisfy { template, segment in
                template.hasPrefix("{") || template == segment
            }
            if matches { return route.methods }
        }
        return nil
    }
}
