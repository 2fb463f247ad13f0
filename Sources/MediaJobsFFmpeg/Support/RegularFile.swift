import Foundation
import MediaJobsCore

/// Refuses, before anything opens it, a path that is not a regular file: a FIFO with no writer would block an open
/// forever, a device such as `/dev/zero` never ends, a socket cannot be read as a file. `stat` looks at the inode
/// only; nothing is read.
public enum RegularFile {
    /// Throws `media.not_media` naming the path and what kind of file it is; does nothing for a regular file or a
    /// path that does not exist (the caller's open says why).
    public static func require(_ url: URL) throws {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return }
        if let kind = kind(of: info.st_mode) {
            throw MediaJobsError.media(.mediaNotMedia, url, "is \(kind), not a regular file: nothing was read from it")
        }
    }

    /// How a non-regular file is named to people; nil for a regular file.
    static func kind(of mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFIFO: "a named pipe (FIFO)"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFDIR: "a folder"
        default: "not a regular file"
        }
    }
}
