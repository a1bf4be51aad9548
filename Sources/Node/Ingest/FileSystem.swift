#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The few file-system calls durability needs, with errno turned into Swift errors.
enum FileSystem {
    struct Failure: Error, CustomStringConvertible {
        let operation: String
        let path: String
        let code: Int32
        var isNoSpace: Bool { code == ENOSPC || code == EDQUOT }
        var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }

    /// Flushes a file's data (and the metadata needed to read it back) to stable storage.
    static func syncFile(_ path: String) throws(Failure) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        guard fdatasync(fd) == 0 else { throw Failure(operation: "fdatasync", path: path, code: errno) }
    }

    /// Makes the entries of a directory (creations, renames) durable.
    static func syncDirectory(_ path: String) throws(Failure) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(operation: "fsync", path: path, code: errno) }
    }

    static func rename(_ from: String, _ to: String) throws(Failure) {
        guard Glibc.rename(from, to) == 0 else { throw Failure(operation: "rename", path: to, code: errno) }
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Creates `path` and missing parents; returns the directories whose entries changed
    /// (the parents of every directory created), which must be synced.
    static func makeDirectories(_ path: String) throws(Failure) -> [String] {
        if exists(path) { return [] }
        let parent = (path as NSString).deletingLastPathComponent
        var changed = try makeDirectories(parent)
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw Failure(operation: "mkdir", path: path, code: errno)
        }
        changed.append(parent)
        return changed
    }

    /// Bytes available to an unprivileged writer on the file system holding `path`.
    static func freeBytes(_ path: String) -> UInt64? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        return UInt64(s.f_bavail) * UInt64(s.f_frsize)
    }
}
