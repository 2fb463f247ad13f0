import Foundation
import Hummingbird
import MediaJobsCore

/// `GET /v1/artifacts/{sha256}`: the stored file with its type, an ETag (its hash) and byte ranges.
/// The id is checked to be 64 hexadecimal characters before anything else: no text from a URL
/// ever becomes part of a path. The file's bytes are checked against its name before any is sent
/// (a range too): a corrupt file is a 500 with a JSON error, never its bytes.
extension MediaJobsServer {
    func addArtifactRoutes(to v1: RouterGroup<BasicRequestContext>) {
        v1.get("artifacts/{sha256}") { request, context in
            let sha = (context.parameters.get("sha256") ?? "").lowercased()
            guard ArtifactRef.isValidSHA256(sha) else {
                throw APIError.badRequest("sha256", "an artifact id is 64 hexadecimal characters")
            }
            guard let ref = try await store.artifact(sha256: sha), artifacts.contains(sha) else {
                throw MediaJobsError(.artifactNotFound, "sha256: no artifact \(sha)")
            }
            let size = Int(ref.bytes)
            let etag = "\"\(sha)\""
            var headers = HTTPFields()
            headers[.eTag] = etag
            headers[.acceptRanges] = "bytes"
            headers[.cacheControl] = "public, max-age=31536000, immutable"
            if request.headers[values: .ifNoneMatch].contains(where: { $0 == etag || $0 == "*" }) {
                return Response(status: .notModified, headers: headers)
            }
            let path = try await artifacts.verifiedURL(for: sha).path
            headers[.contentType] = ref.mime
            headers[.contentDisposition] = "inline; filename=\"\(sha.prefix(12)).\(ref.format)\""
            let ifRange = request.headers[.ifRange]
            if let rangeHeader = request.headers[.range], ifRange == nil || ifRange == etag {
                guard let range = ByteRange.resolve(rangeHeader, size: size) else {
                    headers[.contentRange] = "bytes */\(size)"
                    var answer = APIError(.rangeNotSatisfiable, "http.range_not_satisfiable",
                                          "Range: '\(rangeHeader)' does not fit a file of \(size) bytes").response
                    answer.headers.append(contentsOf: headers.filter { $0.name == .contentRange })
                    return answer
                }
                headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
                headers[.contentLength] = String(range.count)
                let body = try await fileIO.loadFile(path: path, range: range, context: context)
                return Response(status: .partialContent, headers: headers, body: body)
            }
            headers[.contentLength] = String(size)
            if size == 0 { return Response(status: .ok, headers: headers) }
            return Response(status: .ok, headers: headers, body: try await fileIO.loadFile(path: path, context: context))
        }
    }
}

/// One range of a `Range: bytes=…` header, resolved against the file size; nil when unsatisfiable.
/// Several ranges are answered with the first (a client must accept that).
enum ByteRange {
    static func resolve(_ header: String, size: Int) -> ClosedRange<Int>? {
        guard header.hasPrefix("bytes="), size > 0 else { return nil }
        let first = header.dropFirst("bytes=".count).split(separator: ",").first?.trimmingCharacters(in: .whitespaces) ?? ""
        let parts = first.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        if parts[0].isEmpty {
            guard let suffix = Int(parts[1]), suffix > 0 else { return nil }
            return max(0, size - suffix)...(size - 1)
        }
        guard let start = Int(parts[0]), start >= 0, start < size else { return nil }
        if parts[1].isEmpty { return start...(size - 1) }
        guard let end = Int(parts[1]), end >= start else { return nil }
        return start...min(end, size - 1)
    }
}
