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
public struct ArtifactStore: Sendable {
    public let root: URL
    private static let chunkSize = 1 << 20

    /// Opens the store at `root`, creating its folders when missing.
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

    /// Creates the store's folders (again, if something removed them).
    public func prepare() throws {
        for directory in [root, objectsDirectory, temporaryDirectory, answersDirectory] {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw MediaJobsError(.storeFailure, "\(directory.path): cannot create the artifact folder: "
                                     + ArtifactStore.reason(error), underlying: error)
            }
        }
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
    public func temporaryURL(extension pathExtension: String = "") -> URL {
        let name = UUID().uuidString.lowercased()
        let safeExtension = pathExtension.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }
        return temporaryDirectory.appendingPathComponent(safeExtension.isEmpty ? name : "\(name).\(safeExtension)")
    }

    /// Stores `file`, which is moved (or deleted, when the same bytes are already stored).
    /// The file should be on the store's filesystem (see `temporaryURL`); otherwise it is copied.
    @discardableResult
    public func put(moving file: URL) throws -> (sha256: String, bytes: Int64) {
        let source = try ReadableFile(file)
        let (sha256, bytes) = try source.hash()
        let target = try url(for: sha256)
        if FileManager.default.fileExists(atPath: target.path) {
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
    /// Errors name the destination and the reason.
    public func export(_ sha256: String, to destination: URL) throws {
        let source = try url(for: sha256)
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString.prefix(8)).part")
        do {
            try FileManager.default.copyItem(at: source, to: temporary)
        } catch {
            throw MediaJobsError(.invalidInput, "\(destination.path): cannot write (\(ArtifactStore.reason(error)))")
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw MediaJobsError(.invalidInput, "\(destination.path): cannot write (\(reason))")
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

    /// Stores `data`.
    @discardableResult
    public func put(data: Data) throws -> (sha256: String, bytes: Int64) {
        let sha256 = ArtifactStore.hex(SHA256.hash(data: data))
        let target = try url(for: sha256)
        if FileManager.default.fileExists(atPath: target.path) { return (sha256, Int64(data.count)) }
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

    /// Moves a synced staged file to its name, or drops it when that name exists.
    private func place(_ staged: URL, sha256: String, bytes: Int64) throws -> (sha256: String, bytes: Int64) {
        let target = try url(for: sha256)
        if FileManager.default.fileExists(atPath: target.path) {
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
        return (sha256, bytes)
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
        guard var pointer = buffer.baseAddress else { return }
        var remaining = buffer.count
        while remaining > 0 {
            let written = write(fd, pointer, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw posixError("write \(path)", errno)
            }
            pointer += written
            remaining -= written
        }
    }
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
