import Foundation
import Hummingbird

/// The dashboard and the OpenAPI document, embedded in the binary so it serves them from any folder.
extension MediaJobsServer {
    func addStaticRoutes(to router: Router<BasicRequestContext>) {
        let files: [(String, [UInt8], String)] = [
            ("/", PackageResources.index_html, "text/html; charset=utf-8"),
            ("/dashboard.css", PackageResources.dashboard_css, "text/css; charset=utf-8"),
            ("/dashboard.js", PackageResources.dashboard_js, "text/javascript; charset=utf-8"),
            ("/openapi.json", PackageResources.openapi_json, "application/json"),
        ]
        for (path, bytes, type) in files {
            let buffer = ByteBuffer(bytes: bytes)
            router.get(RouterPath(path)) { _, _ in
                var headers = HTTPFields()
                headers[.contentType] = type
                headers[.cacheControl] = "no-cache"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
            }
        }
    }
}
