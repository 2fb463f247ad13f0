import Foundation
import Logging
import MediaJobsCore
import MediaJobsStore
import Testing

@testable import MediaJobsWorker

@Suite("a lease that cannot be renewed is given up, so a job is never finished twice")
struct UnrenewableLeaseTests {
    @Test("while another process holds the database's write lock past the lease, the run hears its lease is lost",
          .timeLimit(.minutes(1)))
    func abandonedWhenRenewalsFail() async throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("mediajobs-unrenewable-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("mediajobs.sqlite").path
        let store = try SQLiteJobStore(path: path, busyTimeout: 0.05)
        let id = try await store.enqueue(JobSpec(kind: .tts, input: JobInput(text: "held")), now: Date()).job.id
        let now = Date()
        let job = try #require(try await store.claim(worker: "w", now: now, leaseExpiry: now.addingTimeInterval(1.5)))
        #expect(job.id == id)

        // A real second process takes the write lock and keeps it.
        let blocker = Process()
        blocker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        blocker.arguments = ["python3", "-c", """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
            c.execute('BEGIN EXCLUSIVE')
            print('locked', flush=True)
            time.sleep(120)
            """, path]
        let output = Pipe()
        blocker.standardOutput = output
        try blocker.run()
        defer { blocker.terminate() }
        let said = output.fileHandleForReading.availableData
        #expect(String(decoding: said, as: UTF8.self).contains("locked"))

        let keeper = LeaseKeeper()
        keeper.insert(id, leaseUntil: job.leaseExpiresAt)
        keeper.start(store: store, worker: "w", leaseDuration: 1.5, logger: Logger(label: "test"))
        defer { keeper.stop() }
        let lost = await keeper.lost(id)
        #expect(Date() >= job.leaseExpiresAt ?? .distantFuture, "given up only once the lease had run out")
        #expect(lost?.code == .leaseLost)
        #expect(lost?.message.contains("could not be renewed before it expired") == true, "\(String(describing: lost))")
    }
}
