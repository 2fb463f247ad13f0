import Crypto
import Foundation
import MediaJobsCore
import Testing
@testable import MediaJobsStore

#if canImport(Glibc)
import Glibc
#endif

/// The artifact folder as a fleet uses it: several writers on one folder, readers that check what they hand out.
@Suite("a shared artifact folder")
struct SharedArtifactFolderTests {
    /// Bytes that differ by `seed`, `count` long.
    static func bytes(_ seed: Int, count: Int = 2_500_000) -> Data {
        Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7) })
    }

    @Test("a staged file's name says which host and process wrote it, and stays unique")
    func stagingNames() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try ArtifactStore(root: folder.url.appendingPathComponent("artifacts"))
        let names = (0..<1000).map { _ in store.temporaryURL(extension: "mp3").lastPathComponent }
        #expect(Set(names).count == 1000)
        let first = try #require(names.first)
        #expect(first.hasPrefix(ArtifactStore.stagingPrefix + "-"))
        #expect(first.contains("-\(getpid())-"))
        #expect(first.hasSuffix(".mp3"))
    }

    @Test("writers with stores of their own put the same and different bytes at once: all succeed, one intact file each")
    func concurrentWriters() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let root = folder.url.appendingPathComponent("shared")
        // A store per writer, as separate processes or machines would have: nothing shared but the folder.
        let writers = try (0..<8).map { _ in try ArtifactStore(root: root) }
        let same = SharedArtifactFolderTests.bytes(0)
        let results = try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, store) in writers.enumerated() {
                group.addTask {
                    try await Task.detached {
                        var stored: [String] = []
                        for round in 0..<3 {
                            stored.append(try store.put(data: same).sha256)
                            let staged = store.temporaryURL()
                            try same.write(to: staged)
                            stored.append(try store.put(moving: staged).sha256)
                            let own = SharedArtifactFolderTests.bytes(100 + index * 10 + round)
                            stored.append(try store.put(data: own).sha256)
                        }
                        return stored
                    }.value
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        let expected = ArtifactStore.sha256(of: same)
        #expect(results.filter { $0 == expected }.count == 8 * 3 * 2)
        let reader = try ArtifactStore(root: root)
        for sha in Set(results) {
            #expect(try reader.verify(sha256: sha), "artifact \(sha) is not intact")
            let shard = try reader.url(for: sha).deletingLastPathComponent()
            #expect(try FileManager.default.contentsOfDirectory(atPath: shard.path).filter { $0 == sha }.count == 1)
        }
        #expect(Set(results).count == 1 + 8 * 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: reader.temporaryDirectory.path).isEmpty)
    }

    @Test("a reader refuses a file whose bytes no longer match its name: store.failure naming the artifact as corrupt")
    func verifiedReadRefusesCorruption() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try ArtifactStore(root: folder.url.appendingPathComponent("artifacts"))
        let stored = try store.put(data: Data("the original bytes".utf8))
        let path = try store.url(for: stored.sha256)
        #expect(try store.verifiedURLBlocking(for: stored.sha256) == path)

        // Same size, other bytes: only a hash tells.
        try Data("the 0riginal bytes".utf8).write(to: path)
        do {
            _ = try store.verifiedURLBlocking(for: stored.sha256)
            Issue.record("a corrupt artifact was handed out")
        } catch let error as MediaJobsError {
            #expect(error.code == .storeFailure)
            #expect(error.message.contains("artifact \(stored.sha256) is corrupt"))
            #expect(error.message.contains(path.path))
        }
        #expect(throws: MediaJobsError.self) { try store.verifiedURLBlocking(for: stored.sha256) }

        // A missing file is not found, not corrupt.
        let absent = ArtifactStore.sha256(of: Data("never stored".utf8))
        do {
            _ = try store.verifiedURLBlocking(for: absent)
            Issue.record("expected an error")
        } catch {
            #expect(code(of: error) == .artifactNotFound)
        }
    }

    @Test("a file checked once is remembered while it is unchanged; any write to it is noticed")
    func verificationIsRemembered() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try ArtifactStore(root: folder.url.appendingPathComponent("artifacts"))
        let stored = try store.put(data: Data("remember me".utf8))
        let path = try store.url(for: stored.sha256)
        _ = try store.verifiedURLBlocking(for: stored.sha256)
        #expect(store.verified.contains(stored.sha256, try #require(FileIdentity(path: path.path))))

        let handle = try FileHandle(forWritingTo: path)
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: Data("R".utf8))
        try handle.close()
        #expect(!store.verified.contains(stored.sha256, try #require(FileIdentity(path: path.path))))
        #expect(throws: MediaJobsError.self) { try store.verifiedURLBlocking(for: stored.sha256) }

        // Another store (another process) knows nothing yet, and hashes: the file is refused there too.
        let other = try ArtifactStore(root: store.root)
        #expect(throws: MediaJobsError.self) { try other.verifiedURLBlocking(for: stored.sha256) }
    }

    @Test("export refuses a corrupt artifact and leaves nothing at the destination")
    func exportRefusesCorruption() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try ArtifactStore(root: folder.url.appendingPathComponent("artifacts"))
        let bytes = SharedArtifactFolderTests.bytes(1)
        let stored = try store.put(data: bytes)
        let good = folder.url.appendingPathComponent("good.bin")
        try store.export(stored.sha256, to: good)
        #expect(try Data(contentsOf: good) == bytes)

        var damaged = bytes
        damaged[damaged.count - 1] ^= 0xFF
        try damaged.write(to: try store.url(for: stored.sha256))
        let bad = folder.url.appendingPathComponent("bad.bin")
        do {
            try store.export(stored.sha256, to: bad)
            Issue.record("a corrupt artifact was exported")
        } catch let error as MediaJobsError {
            #expect(error.code == .storeFailure)
            #expect(error.message.contains("is corrupt"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted() == ["artifacts", "good.bin"])
    }

    @Test("storing the original bytes again repairs a corrupt file")
    func putRepairsCorruption() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try ArtifactStore(root: folder.url.appendingPathComponent("artifacts"))
        let bytes = Data("precious".utf8)
        let stored = try store.put(data: bytes)
        try Data("precioUs".utf8).write(to: try store.url(for: stored.sha256))
        #expect(try store.verify(sha256: stored.sha256) == false)
        try store.put(data: bytes)
        #expect(try store.verify(sha256: stored.sha256))
        #expect(try store.verifiedURLBlocking(for: stored.sha256) == store.url(for: stored.sha256))
    }

    @Test("the checks doctor runs: a write in tmp/, and tmp/, sha256/ and answers/ on one device")
    func doctorChecks() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try ArtifactStore(root: folder.url.appendingPathComponent("artifacts"))
        try store.checkWritable()
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.temporaryDirectory.path).isEmpty)
        var info = stat()
        #expect(stat(folder.url.path, &info) == 0)
        #expect(try store.checkOneFileSystem() == UInt64(info.st_dev))
    }

    @Test("an artifact folder that cannot be created is an error naming it and the reason")
    func folderThatCannotBeCreated() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("a-file")
        try Data().write(to: file)
        for root in [file, file.appendingPathComponent("artifacts")] {
            do {
                _ = try ArtifactStore(root: root)
                Issue.record("expected an error for \(root.path)")
            } catch let error as MediaJobsError {
                #expect(error.code == .storeFailure)
                #expect(error.message.hasPrefix(root.path + ": "), "\(error)")
            }
        }
    }
}
