import Crypto
import Foundation
import MediaJobsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files named by the SHA-256 of their bytes: `<root>/sha256/ab/abcdef…`.
///
/// A file is hashed as it streams (1 MiB at a time, never whole in memory), fsynced, then renamed
/// into place from `<root>/tmp/` (same filesystem, so the rename is atomic) and its folder fsynced.
/// Storing the same bytes twice keeps one file. Stored files are never modified.
///
/// The folder may be shared by several machines (a network mount): staged files are named after
/// the host, the process and a random UUID, so writers never collide, and two writers storing the
/// same bytes at once both succeed and leave one intact file (the later rename replaces the earlier
/// file with identical bytes). Readers that hand bytes out (`verifiedURL(for:)`, `export`) check
/// them against their name first, remembering in memory which unchanged files passed.
public struct ArtifactStore: Sendable {
    public let root: URL
    private static let chunkSize = 1 << 20
    let verified = VerifiedFiles()

    /// Opens the store at `root`, creating its folders when missing. Throws `store.failure` naming the
    /// folder when it cannot be created or written.
    public init(root: URL) throws {
        self.root = root.standardizedFileURL
        try prepare()
    }

    /// Where producers stage files before `put(moving:)`.
    public var temporaryDirectory: URL { root.appendingPathComponent("tmp", isDirectory: true) }

    private var objectsDirectory: URL { root.appendingPathComponent("sha256", isDirectory: true) }

    /// Where workers keep synchronous providers' answers until their job has ended (`answers/<job id>/`): on the
    /// store's filesystem, so keeping one is a rename, and outside `tmp/`, which holds only throwaway files.
    public var answersDirectory: URL { root.appendingPathComponent("answers", isDirectory: true) }

    /// Creates the store's folders (again, if something removed them) and checks that they can be
    /// written; errors name the folder and the reason.
    public func prepare() throws {
        for directory in [root, objectsDirectory, temporaryDirectory, answersDirectory] {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw MediaJobsError(.storeFailure, "\(directory.path): the artifact folder exists but is not a folder")
            }
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw MediaJobsError(.storeFailure, "\(directory.path): cannot create the artifact folder: "
                                     + ArtifactStore.reason(error), underlying: error)
            }
            guard access(directory.path, W_OK | X_OK) == 0 else {
                throw MediaJobsError(.storeFailure, "\(directory.path): the artifact folder is not writable: "
                                     + String(cString: strerror(errno)))
            }
        }
    }

    /// Writes, fsyncs and renames a small file inside `tmp/`, then removes it: proof that this process can store
    /// files here (on a network mount, permission bits alone do not say). Errors name the file and the reason.
    public func checkWritable() throws {
        let probe = temporaryURL(extension: "probe")
        let renamed = probe.appendingPathExtension("done")
        defer { unlink(probe.path); unlink(renamed.path) }
        let output = open(probe.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw ArtifactStore.posixError("create \(probe.path)", errno) }
        defer { closeDescriptor(output) }
        try Data("ok".utf8).withUnsafeBytes { try ArtifactStore.writeAll(output, $0, path: probe.path) }
        guard fsync(output) == 0 else { throw ArtifactStore.posixError("fsync \(probe.path)", errno) }
        guard rename(probe.path, renamed.path) == 0 else {
            throw ArtifactStore.posixError("rename \(probe.path) to \(renamed.path)", errno)
        }
        try syncDirectory(temporaryDirectory)
    }

    /// The device (`st_dev`) that holds `tmp/`, `sha256/` and `answers/`. Throws `store.failure` naming the folders
    /// when they are on different file systems: a rename from `tmp/` into `sha256/` could not be atomic then.
    @discardableResult
    public func checkOneFileSystem() throws -> UInt64 {
        var devices: [(URL, UInt64)] = []
        for folder in [temporaryDirectory, objectsDirectory, answersDirectory] {
            guard let identity = FileIdentity(path: folder.path) else {
                throw ArtifactStore.posixError("read \(folder.path)", errno)
            }
            devices.append((folder, identity.device))
        }
        if let other = devices.first(where: { $0.1 != devices[0].1 }) {
            throw MediaJobsError(.storeFailure, "\(devices[0].0.path) (device \(devices[0].1)) and \(other.0.path) "
                                 + "(device \(other.1)) are on different file systems, so storing a file is not one "
                                 + "atomic rename; mount the whole artifact folder as one file system")
        }
        return devices[0].1
    }

    /// The path of the artifact `sha256`, which must be 64 lowercase hex digits (so no path can be smuggled in).
    /// The file may not exist; see `contains(_:)`.
    public func url(for sha256: String) throws -> URL {
        guard ArtifactRef.isValidSHA256(sha256) else {
            throw MediaJobsError(.invalidInput, "artifact id '\(sha256.prefix(80))' is not 64 lowercase hex digits")
        }
        return objectsDirectory
            .appendingPathComponent(String(sha256.prefix(2)), isDirectory: true)
            .appendingPathComponent(sha256, isDirectory: false)
    }

    /// Whether the artifact's file is present.
    public func contains(_ sha256: String) -> Bool {
        guard let url = try? url(for: sha256) else { return false }
        return FileManager.default.fileExists(atPath: url.path)
    }

    /// A fresh path under `<root>/tmp/` for a producer to write to, then hand to `put(moving:)`.
    ///
    /// The name is `<host>-<pid>-<uuid>`: unique across the machines that share the folder (the UUID alone is),
    /// and it says who left a file behind.
    public func temporaryURL(extension pathExtension: String = "") -> URL {
        let name = "\(ArtifactStore.stagingPrefix)-\(UUID().uuidString.lowercased())"
        let safeExtension = pathExtension.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }
        return temporaryDirectory.appendingPathComponent(safeExtension.isEmpty ? name : "\(name).\(safeExtension)")
    }

    /// Stores `file`, which is moved (or deleted, when the same bytes are already stored).
    /// The file should be on the store's filesystem (see `temporaryURL`); otherwise it is copied.
    /// A stored file whose bytes no longer match its name is replaced by this one.
    @discardableResult
    public func put(moving file: URL) throws -> (sha256: String, bytes: Int64) {
        let source = try ReadableFile(file)
        let (sha256, bytes) = try source.hash()
        let target = try url(for: sha256)
        if isIntact(target, sha256: sha256) {
            source.close()
            unlink(file.path)
            return (sha256, bytes)
        }
        try source.sync()
        source.close()
        try makeShardDirectory(for: target)
        guard rename(file.path, target.path) == 0 else {
            let code = errno
            guard code == EXDEV else {
                throw ArtifactStore.posixError("store \(file.path) as \(target.path)", code)
            }
            // Another filesystem: copy through `tmp/`, then drop the source.
            let stored = try put(copying: file)
            unlink(file.path)
            return stored
        }
        try syncDirectory(target.deletingLastPathComponent())
        remember(target, sha256: sha256)
        return (sha256, bytes)
    }

    /// Stores a copy of `file`, leaving it where it is (for a user's input files).
    @discardableResult
    public func put(copying file: URL) throws -> (sha256: String, bytes: Int64) {
        let source = try ReadableFile(file)
        defer { source.close() }
        let staged = temporaryURL()
        let output = open(staged.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else {
            throw ArtifactStore.posixError("create \(staged.path)", errno)
        }
        var closed = false
        defer { if !closed { closeDescriptor(output); unlink(staged.path) } }
        var hasher = SHA256()
        var bytes: Int64 = 0
        try source.forEachChunk { chunk in
            hasher.update(bufferPointer: chunk)
            try ArtifactStore.writeAll(output, chunk, path: staged.path)
            bytes += Int64(chunk.count)
        }
        guard fsync(output) == 0 else { throw ArtifactStore.posixError("fsync \(staged.path)", errno) }
        closeDescriptor(output)
        closed = true
        return try place(staged, sha256: ArtifactStore.hex(hasher.finalize()), bytes: bytes)
    }

    /// Moves `file` to `destination` (a folder the caller owns, on the store's filesystem), fsyncs it there and
    /// returns its SHA-256 and size: for files that must outlive this process but are not artifacts (yet).
    @discardableResult
    public func keep(_ file: URL, at destination: URL) throws -> (sha256: String, bytes: Int64) {
        if rename(file.path, destination.path) != 0 {
            let code = errno
            guard code == EXDEV else { throw ArtifactStore.posixError("keep \(file.path) as \(destination.path)", code) }
            do {
                try FileManager.default.copyItem(at: file, to: destination)
                try FileManager.default.removeItem(at: file)
            } catch {
                throw MediaJobsError(.storeFailure, "\(destination.path): cannot keep \(file.path) there: "
                                     + ArtifactStore.reason(error), underlying: error)
            }
        }
        let kept = try ReadableFile(destination)
        defer { kept.close() }
        let hashed = try kept.hash()
        try kept.sync()
        try syncDirectory(destination.deletingLastPathComponent())
        return hashed
    }

    /// Copies artifact `sha256` to `destination` atomically: a temporary file beside it, then
    /// rename(2), so a reader sees the old file or the new one, never half of one.
    ///
    /// The bytes are hashed as they are copied: a stored file that no longer matches its name is a
    /// `store.failure` naming the artifact as corrupt, and nothing is left at `destination`.
    /// Errors writing name the destination and the reason.
    public func export(_ sha256: String, to destination: URL) throws {
        let source = try url(for: sha256)
        guard FileManager.default.fileExists(atPath: source.path) else {
            throw MediaJobsError(.artifactNotFound, "artifact \(sha256): no file at \(source.path)")
        }
        let input = try ReadableFile(source)
        defer { input.close() }
        let before = FileIdentity(descriptor: input.fd)
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString.prefix(8)).part")
        func cannotWrite(_ code: Int32) -> MediaJobsError {
            MediaJobsError(.invalidInput, "\(destination.path): cannot write (\(String(cString: strerror(code))))")
        }
        let output = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw cannotWrite(errno) }
        var placed = false
        defer { if !placed { unlink(temporary.path) } }
        var hasher = SHA256()
        var bytes: Int64 = 0
        do {
            try input.forEachChunk { chunk in
                hasher.update(bufferPointer: chunk)
                let code = ArtifactStore.writeAll(output, chunk)
                if code != 0 { throw cannotWrite(code) }
                bytes += Int64(chunk.count)
            }
        } catch {
            closeDescriptor(output)
            throw error
        }
        guard close(output) == 0 else { throw cannotWrite(errno) }
        let actual = ArtifactStore.hex(hasher.finalize())
        guard actual == sha256 else {
            verified.forget(sha256)
            throw ArtifactStore.corrupt(sha256, at: source, actual: actual, bytes: bytes)
        }
        if let before, before == FileIdentity(descriptor: input.fd) { verified.record(sha256, before) }
        guard rename(temporary.path, destination.path) == 0 else { throw cannotWrite(errno) }
        placed = true
    }

    /// The path of artifact `sha256` once its bytes are known to match its name: rehashed here, unless this
    /// process already hashed the same unchanged file (same device, inode, size and change times).
    ///
    /// Throws `artifact.not_found` when there is no file, and `store.failure` naming the artifact as corrupt when its
    /// bytes no longer match. Blocks while it hashes (about 0.1 s per 100 MB read from the page cache on the
    /// project's build machine): async callers use `verifiedURL(for:)`.
    public func verifiedURLBlocking(for sha256: String) throws -> URL {
        let target = try url(for: sha256)
        if let identity = FileIdentity(path: target.path), verified.contains(sha256, identity) { return target }
        guard FileManager.default.fileExists(atPath: target.path) else {
            throw MediaJobsError(.artifactNotFound, "artifact \(sha256): no file at \(target.path)")
        }
        let file = try ReadableFile(target)
        defer { file.close() }
        let before = FileIdentity(descriptor: file.fd)
        let (actual, bytes) = try file.hash()
        guard actual == sha256 else {
            verified.forget(sha256)
            throw ArtifactStore.corrupt(sha256, at: target, actual: actual, bytes: bytes)
        }
        if let before, before == FileIdentity(descriptor: file.fd) { verified.record(sha256, before) }
        return target
    }

    /// `verifiedURLBlocking(for:)` on a Dispatch thread, so hashing a large file never holds one of the
    /// cooperative threads that serve HTTP and run jobs.
    public func verifiedURL(for sha256: String) async throws -> URL {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<URL, any Error>) in
            DispatchQueue.global(qos: .userInitiated).async {
                done.resume(with: Result { try self.verifiedURLBlocking(for: sha256) })
            }
        }
    }

    /// The SHA-256 (64 lowercase hex digits) and size of a file, streamed, without storing it.
    public static func sha256(ofFile file: URL) throws -> (sha256: String, bytes: Int64) {
        let source = try ReadableFile(file)
        defer { source.close() }
        return try source.hash()
    }

    /// The SHA-256 of `data`, as 64 lowercase hex digits.
    public static func sha256(of data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    /// Stores `data` (replacing a stored file of that name whose bytes no longer match it).
    @discardableResult
    public func put(data: Data) throws -> (sha256: String, bytes: Int64) {
        let sha256 = ArtifactStore.hex(SHA256.hash(data: data))
        let target = try url(for: sha256)
        if isIntact(target, sha256: sha256) { return (sha256, Int64(data.count)) }
        let staged = temporaryURL()
        let output = open(staged.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw ArtifactStore.posixError("create \(staged.path)", errno) }
        do {
            try data.withUnsafeBytes { try ArtifactStore.writeAll(output, $0, path: staged.path) }
            guard fsync(output) == 0 else { throw ArtifactStore.posixError("fsync \(staged.path)", errno) }
        } catch {
            closeDescriptor(output)
            unlink(staged.path)
            throw error
        }
        closeDescriptor(output)
        return try place(staged, sha256: sha256, bytes: Int64(data.count))
    }

    /// Rehashes a stored file: true when its bytes still match its name.
    public func verify(sha256: String) throws -> Bool {
        let target = try url(for: sha256)
        guard FileManager.default.fileExists(atPath: target.path) else {
            throw MediaJobsError(.artifactNotFound, "artifact \(sha256): no file at \(target.path)")
        }
        let file = try ReadableFile(target)
        defer { file.close() }
        return try file.hash().sha256 == sha256
    }

    /// Moves a synced staged file to its name, or drops it when that name holds the same bytes (a file there that
    /// does not is replaced). Two processes placing the same bytes at once both succeed: rename(2) is atomic, and
    /// the later one replaces the earlier file with identical bytes.
    private func place(_ staged: URL, sha256: String, bytes: Int64) throws -> (sha256: String, bytes: Int64) {
        let target = try url(for: sha256)
        if isIntact(target, sha256: sha256) {
            unlink(staged.path)
            return (sha256, bytes)
        }
        try makeShardDirectory(for: target)
        guard rename(staged.path, target.path) == 0 else {
            let code = errno
            unlink(staged.path)
            throw ArtifactStore.posixError("store \(staged.path) as \(target.path)", code)
        }
        try syncDirectory(target.deletingLastPathComponent())
        remember(target, sha256: sha256)
        return (sha256, bytes)
    }

    /// Whether `target` exists and holds the bytes named `sha256` (hashed unless known unchanged since it was).
    private func isIntact(_ target: URL, sha256: String) -> Bool {
        guard FileManager.default.fileExists(atPath: target.path) else { return false }
        return (try? verifiedURLBlocking(for: sha256)) != nil
    }

    /// Notes that `target`, just written and synced by this process, holds the bytes named `sha256`.
    private func remember(_ target: URL, sha256: String) {
        if let identity = FileIdentity(path: target.path) { verified.record(sha256, identity) }
    }

    private func makeShardDirectory(for target: URL) throws {
        let directory = target.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw MediaJobsError(.storeFailure, "\(directory.path): cannot create the folder: "
                                 + ArtifactStore.reason(error), underlying: error)
        }
    }

    private func syncDirectory(_ directory: URL) throws {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ArtifactStore.posixError("open folder \(directory.path)", errno) }
        defer { closeDescriptor(fd) }
        guard fsync(fd) == 0 else { throw ArtifactStore.posixError("fsync folder \(directory.path)", errno) }
    }

    // MARK: - Helpers

    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func posixError(_ what: String, _ code: Int32) -> MediaJobsError {
        let reason = String(cString: strerror(code))
        let errorCode: MediaJobsError.Code = code == ENOENT ? .fileNotFound : .storeFailure
        return MediaJobsError(errorCode, "cannot \(what): \(reason)")
    }

    static func reason(_ error: any Error) -> String {
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }

    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        let code = writeAll(fd, buffer)
        if code != 0 { throw posixError("write \(path)", code) }
    }

    /// Writes all of `buffer`; 0, or the errno of the write that failed.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
        guard var pointer = buffer.baseAddress else { return 0 }
        var remaining = buffer.count
        while remaining > 0 {
            let written = write(fd, pointer, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            pointer += written
            remaining -= written
        }
        return 0
    }

    /// The error for a stored file whose bytes no longer hash to its name.
    static func corrupt(_ sha256: String, at file: URL, actual: String, bytes: Int64) -> MediaJobsError {
        MediaJobsError(.storeFailure, "artifact \(sha256) is corrupt: \(file.path) holds \(bytes) bytes whose SHA-256 is "
                       + "\(actual), not its name; it is not served (store the original bytes again to repair it)")
    }

    /// `<host>-<pid>`, with the host name cut to letters, digits, `.` and `-`: the start of every staged file's name.
    static let stagingPrefix: String = {
        var name = [CChar](repeating: 0, count: 256)
        let text = gethostname(&name, name.count - 1) == 0 ? name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : ""
        let host = text
            .filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }.prefix(64)
        return "\(host.isEmpty ? "host" : String(host))-\(getpid())"
    }()
}

private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}

/// An open file read in 1 MiB chunks.
private final class ReadableFile {
    let fd: Int32
    let path: String
    private var isOpen = true

    init(_ url: URL) throws {
        path = url.path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArtifactStore.posixError("open \(path)", errno) }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            closeDescriptor(fd)
            isOpen = false
            throw MediaJobsError(.invalidInput, "\(path): not a regular file")
        }
    }

    deinit { close() }

    func close() {
        if isOpen {
            closeDescriptor(fd)
            isOpen = false
        }
    }

    func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw ArtifactStore.posixError("read \(path)", errno)
            }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    func hash() throws -> (sha256: String, bytes: Int64) {
        var hasher = SHA256()
        var bytes: Int64 = 0
        try forEachChunk { chunk in
            hasher.update(bufferPointer: chunk)
            bytes += Int64(chunk.count)
        }
        return (ArtifactStore.hex(hasher.finalize()), bytes)
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw ArtifactStore.posixError("fsync \(path)", errno) }
    }
}
