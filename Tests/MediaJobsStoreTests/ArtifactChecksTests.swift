import Foundation
import MediaJobsCore
import Testing

@testable import MediaJobsStore

@Suite("the checks kept with each job's artifacts")
struct ArtifactChecksTests {
    @Test("checks are stored per job: the same bytes checked for two jobs keep each job's checks", arguments: Backend.all)
    func checksPerJob(_ backend: Backend) async throws {
        try await withStore(backend) { store, folder in
            let sha = String(repeating: "cd", count: 32)
            var kept: [JobID: [MediaCheck]] = [:]
            for (index, size) in ["320x320", "640x640"].enumerated() {
                let id = try await store.enqueue(tts("job \(index)"), now: t0).job.id
                let claimed = try #require(try await store.claim(worker: "w", now: t0 + 1, leaseExpiry: t0 + 60))
                #expect(claimed.id == id)
                let checks = [
                    MediaCheck(name: "decode", subject: "provider output", detail: "decoded 1 video frames from stream 0 (png)"),
                    MediaCheck(name: "decode", subject: "provider output", passed: false, detail: "2 decode error(s), 3 tolerated"),
                    MediaCheck(name: "size", subject: "webp output", detail: "size \(size) as asked"),
                ]
                let artifact = ArtifactRef(sha256: sha, mime: "image/webp", bytes: 10, format: "webp", checks: checks)
                try await store.complete(id, worker: "w", result: JobCompletion(artifacts: [artifact]), now: t0 + 2)
                kept[id] = checks
            }
            for (id, checks) in kept {
                #expect(try await store.artifacts(id).first?.checks == checks)
            }
            // A second process opening the same file reads them too.
            let reopened = try await folder.open()
            for (id, checks) in kept {
                #expect(try await reopened.artifacts(id).first?.checks == checks)
            }
        }
    }
}
