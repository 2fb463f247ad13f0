import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What tells one state of a file from another without reading it: device, inode, size, and the
/// modification and status-change times (the latter cannot be set back by a program).
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: timespec
    var changed: timespec

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modified = info.st_mtimespec
        changed = info.st_ctimespec
        #else
        modified = info.st_mtim
        changed = info.st_ctim
        #endif
    }

    /// The identity of the file at `path` (following links); nil when it cannot be read.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    /// The identity of an open file; nil when fstat(2) fails.
    init?(descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        self.init(info)
    }

    static func == (lhs: FileIdentity, rhs: FileIdentity) -> Bool {
        lhs.device == rhs.device && lhs.inode == rhs.inode && lhs.size == rhs.size
            && lhs.modified.tv_sec == rhs.modified.tv_sec && lhs.modified.tv_nsec == rhs.modified.tv_nsec
            && lhs.changed.tv_sec == rhs.changed.tv_sec && lhs.changed.tv_nsec == rhs.changed.tv_nsec
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(device)
        hasher.combine(inode)
        hasher.combine(size)
    }
}

/// Which stored files this process has hashed and found to match their names, by their identity then.
///
/// A later read of the same unchanged file is not hashed again; a file replaced, rewritten or touched
/// has another identity and is. Bytes that rot on disk without any write are not noticed until the
/// process restarts: the price of not rehashing every read.
final class VerifiedFiles: Sendable {
    /// Beyond this many entries the memory is cleared and files are hashed again as they are read.
    static let capacity = 100_000
    private let entries = Mutex<[String: FileIdentity]>([:])

    func contains(_ sha256: String, _ identity: FileIdentity) -> Bool {
        entries.withLock { $0[sha256] == identity }
    }

    func record(_ sha256: String, _ identity: FileIdentity) {
        entries.withLock { entries in
            if entries.count >= VerifiedFiles.capacity, entries[sha256] == nil { entries.removeAll(keepingCapacity: true) }
            entries[sha256] = identity
        }
    }

    func forget(_ sha256: String) {
        _ = entries.withLock { $0.removeValue(forKey: sha256) }
    }
}
