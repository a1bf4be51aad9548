import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The exclusive lock a running node holds on its `data_dir` (`data_dir/autoseg.lock`), so that
/// two nodes never share one spool and catalog (both would analyze and deliver the same series).
///
/// An advisory `flock` on an open file: the kernel releases it when the node's process ends,
/// however it ends (no stale lock after a crash or `kill -9`), and `fork`ed children (the delivery
/// processes) do not inherit it (the descriptor is close-on-exec). The file says who holds it —
/// pid, host, AE title and ports, start time — so the second node can name the holder.
public final class DataDirectoryLock: Sendable {
    public let path: String
    private let descriptor: Int32

    /// Takes the lock or throws `NodeError.startup` naming the holder.
    public init(_ dataDirectory: DataDirectory, holder: String) throws {
        path = dataDirectory.root.appendingPathComponent("autoseg.lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw NodeError.startup("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let why = errno
            let held = Self.contents(fd)
            close(fd)
            if why == EWOULDBLOCK {
                throw NodeError.startup("data_dir \(dataDirectory.root.path) is in use by another AutoSeg node"
                                        + (held.isEmpty ? "" : " (\(held))") + "; one data_dir per node")
            }
            throw NodeError.startup("cannot lock \(path): \(String(cString: strerror(why)))")
        }
        descriptor = fd
        let line = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName), \(holder), since "
            + ISO8601DateFormatter().string(from: Date())
        _ = ftruncate(fd, 0)
        _ = line.withCString { pwrite(fd, $0, strlen($0), 0) }
        _ = fsync(fd)
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// What the lock file says (one line, at most 512 bytes).
    static func contents(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return "" }
        return String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
