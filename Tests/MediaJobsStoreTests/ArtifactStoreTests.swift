import Crypto
import Foundation
import MediaJobsCore
import Testing
@testable import MediaJobsStore

@Suite("ArtifactStore")
struct ArtifactStoreTests {
    func makeStore() throws -> (ArtifactStore, TemporaryFolder) {
        let folder = try TemporaryFolder()
        let store = try ArtifactStore(root: folder.url.appendingPathComponent("artifacts"))
        return (store, folder)
    }

    @Test("put(moving:) names the file by its SHA-256 and moves it into sha256/ab/")
    func putMoving() throws {
        let (store, folder) = try makeStore()
        defer { folder.remove() }
        let bytes = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let staged = store.temporaryURL(extension: "mp3")
        try bytes.write(to: staged)
        let stored = try store.put(moving: staged)
        let expected = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        #expect(stored.sha256 == expected)
        #expect(stored.bytes == 3_000_000)
        let url = try store.url(for: stored.sha256)
        #expect(url.path.hasSuffix("/artifacts/sha256/\(expected.prefix(2))/\(expected)"))
        #expect(try Data(contentsOf: url) == bytes)
        #expect(!FileManager.default.fileExists(atPath: staged.path))
        #expect(try store.verify(sha256: stored.sha256))
    }

    @Test("storing the same bytes twice keeps one file and drops the second source")
    func dedupe() throws {
        let (store, folder) = try makeStore()
        defer { folder.remove() }
        let first = try store.put(data: Data("same bytes".utf8))
        let staged = store.temporaryURL()
        try Data("same bytes".utf8).write(to: staged)
        let second = try store.put(moving: staged)
        #expect(first.sha256 == second.sha256)
        #expect(!FileManager.default.fileExists(atPath: staged.path))
        let shard = try store.url(for: first.sha256).deletingLastPathComponent()
        #expect(try FileManager.default.contentsOfDirectory(atPath: shard.path).count == 1)
    }

    @Test("put(copying:) leaves the user's file in place")
    func putCopying() throws {
        let (store, folder) = try makeStore()
        defer { folder.remove() }
        let original = folder.url.appendingPathComponent("talk.wav")
        try Data("RIFF....WAVE".utf8).write(to: original)
        let stored = try store.put(copying: original)
        #expect(FileManager.default.fileExists(atPath: original.path))
        #expect(store.contains(stored.sha256))
        #expect(try Data(contentsOf: store.url(for: stored.sha256)) == Data("RIFF....WAVE".utf8))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.temporaryDirectory.path)
        #expect(leftovers.isEmpty)
    }

    @Test("a bad sha256 is refused, never turned into a path", arguments: [
        "../../etc/passwd", "", "ABCDEF" + String(repeating: "0", count: 58), String(repeating: "a", count: 63),
        String(repeating: "a", count: 62) + "/x", String(repeating: "g", count: 64),
    ])
    func badSHA(_ sha: String) throws {
        let (store, folder) = try makeStore()
        defer { folder.remove() }
        #expect(throws: MediaJobsError.self) { try store.url(for: sha) }
        #expect(!store.contains(sha))
    }

    @Test("verify notices a file whose bytes changed")
    func verifyDetectsCorruption() throws {
        let (store, folder) = try makeStore()
        defer { folder.remove() }
        let stored = try store.put(data: Data("original".utf8))
        let url = try store.url(for: stored.sha256)
        try Data("tampered".utf8).write(to: url)
        #expect(try store.verify(sha256: stored.sha256) == false)
        #expect(throws: MediaJobsError.self) { try store.verify(sha256: String(repeating: "0", count: 64)) }
    }

    @Test("a missing source file is an input.file_not_found error naming it")
    func missingSource() throws {
        let (store, folder) = try makeStore()
        defer { folder.remove() }
        let missing = folder.url.appendingPathComponent("nope.wav")
        do {
            _ = try store.put(copying: missing)
            Issue.record("expected an error")
        } catch {
            #expect(code(of: error) == .fileNotFound)
            #expect("\(error)".contains("nope.wav"))
        }
    }
}

@Suite("MediaJobsHome")
struct MediaJobsHomeTests {
    @Test("the flag wins, then MEDIAJOBS_HOME, then XDG_DATA_HOME, then ~/.local/share")
    func resolution() {
        let env = ["HOME": "/home/ana", "MEDIAJOBS_HOME": "/srv/mj", "XDG_DATA_HOME": "/data"]
        #expect(MediaJobsHome.resolve(explicit: "/tmp/h", environment: env).url.path == "/tmp/h")
        #expect(MediaJobsHome.resolve(explicit: "~/mj", environment: env).url.path == "/home/ana/mj")
        #expect(MediaJobsHome.resolve(explicit: nil, environment: env).url.path == "/srv/mj")
        var noVariable = env
        noVariable["MEDIAJOBS_HOME"] = nil
        #expect(MediaJobsHome.resolve(explicit: nil, environment: noVariable).url.path == "/data/mediajobs")
        noVariable["XDG_DATA_HOME"] = nil
        #expect(MediaJobsHome.resolve(explicit: nil, environment: noVariable).url.path
                == "/home/ana/.local/share/mediajobs")
        let home = MediaJobsHome.resolve(explicit: "/srv/mj", environment: [:])
        #expect(home.databaseURL.path == "/srv/mj/mediajobs.sqlite")
        #expect(home.artifactsURL.path == "/srv/mj/artifacts")
        #expect(home.configURL.path == "/srv/mj/config.json")
    }

    @Test("prepare creates the folders; a file in the way is an error naming the path")
    func prepare() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let home = MediaJobsHome(url: folder.url.appendingPathComponent("home"))
        try home.prepare()
        #expect(FileManager.default.fileExists(atPath: home.artifactsURL.appendingPathComponent("tmp").path))
        #expect(FileManager.default.fileExists(atPath: home.artifactsURL.appendingPathComponent("sha256").path))
        let blocked = folder.url.appendingPathComponent("file")
        try Data().write(to: blocked)
        do {
            try MediaJobsHome(url: blocked).prepare()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains(blocked.path))
        }
    }
}

@Suite("MediaJobsHome's artifact folder")
struct ArtifactFolderChoiceTests {
    @Test("--artifacts wins, then MEDIAJOBS_ARTIFACTS, then config.json storage.artifacts_dir, then <home>/artifacts")
    func precedence() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let home = MediaJobsHome(url: folder.url.appendingPathComponent("home"))
        try FileManager.default.createDirectory(at: home.url, withIntermediateDirectories: true)
        try Data(#"{"storage": {"artifacts_dir": "/mnt/config"}}"#.utf8).write(to: home.configURL)
        let env = ["HOME": "/home/ana", "MEDIAJOBS_ARTIFACTS": "/mnt/env"]

        let flag = try home.choosingArtifacts(explicit: "/mnt/flag", environment: env)
        #expect(flag.artifactsURL.path == "/mnt/flag")
        #expect(flag.artifactsSource == "--artifacts")
        #expect(flag.url == home.url && flag.databaseURL == home.databaseURL)
        let variable = try home.choosingArtifacts(explicit: nil, environment: env)
        #expect(variable.artifactsURL.path == "/mnt/env")
        #expect(variable.artifactsSource == "MEDIAJOBS_ARTIFACTS")
        let configured = try home.choosingArtifacts(explicit: nil, environment: ["HOME": "/home/ana", "MEDIAJOBS_ARTIFACTS": ""])
        #expect(configured.artifactsURL.path == "/mnt/config")
        #expect(configured.artifactsSource == "config.json storage.artifacts_dir")
        try FileManager.default.removeItem(at: home.configURL)
        let standard = try home.choosingArtifacts(explicit: nil, environment: ["HOME": "/home/ana"])
        #expect(standard.artifactsURL.path == home.url.path + "/artifacts")
        #expect(standard.artifactsSource == "default")
    }

    @Test("~ is expanded; a relative flag is taken from the current folder, a relative artifacts_dir from the home")
    func relativePaths() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let home = MediaJobsHome(url: folder.url.appendingPathComponent("home"))
        try FileManager.default.createDirectory(at: home.url, withIntermediateDirectories: true)
        let env = ["HOME": "/home/ana"]
        #expect(try home.choosingArtifacts(explicit: "~/shared", environment: env).artifactsURL.path == "/home/ana/shared")
        let current = FileManager.default.currentDirectoryPath
        #expect(try home.choosingArtifacts(explicit: "out/store", environment: env).artifactsURL.path
                == URL(fileURLWithPath: current).appendingPathComponent("out/store").standardizedFileURL.path)
        try Data(#"{"storage": {"artifacts_dir": "../elsewhere"}}"#.utf8).write(to: home.configURL)
        #expect(try home.choosingArtifacts(explicit: nil, environment: env).artifactsURL.path
                == folder.url.appendingPathComponent("elsewhere").path)
    }

    @Test("an empty flag, an empty or misspelt setting are input errors naming the flag or the field")
    func badSettings() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let home = MediaJobsHome(url: folder.url)
        #expect(throws: MediaJobsError.invalidInput("--artifacts", "the folder is empty")) {
            try home.choosingArtifacts(explicit: "", environment: [:])
        }
        try Data(#"{"storage": {"artifacts_dir": ""}}"#.utf8).write(to: home.configURL)
        #expect(throws: MediaJobsError(.invalidInput, "config.json: storage.artifacts_dir: the folder is empty")) {
            try home.choosingArtifacts(explicit: nil, environment: [:])
        }
        try Data(#"{"storage": {"artifact_dir": "/x"}}"#.utf8).write(to: home.configURL)
        do {
            _ = try home.choosingArtifacts(explicit: nil, environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("config.json: storage.artifact_dir: unknown field (known: artifacts_dir)"))
        }
    }

    @Test("prepare makes the chosen artifact folder, not <home>/artifacts")
    func prepareUsesTheChosenFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let home = try MediaJobsHome(url: folder.url.appendingPathComponent("home"))
            .choosingArtifacts(explicit: folder.url.appendingPathComponent("shared").path, environment: [:])
        try home.prepare()
        #expect(FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("shared/sha256").path))
        #expect(FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("shared/tmp").path))
        #expect(!FileManager.default.fileExists(atPath: home.url.appendingPathComponent("artifacts").path))
    }
}
