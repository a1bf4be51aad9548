import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Checks before start that a TCP port can be listened on, so that a conflict is reported as
/// "HTTP: cannot listen on 127.0.0.1 port 8080: Address already in use" rather than as the
/// server library's own `bind(descriptor:ptr:bytes:)` error naming no port.
enum PortProbe {
    /// nil when `host`:`port` can be bound now (port 0 always can), else why not.
    static func problem(host: String, port: Int) -> String? {
        guard port != 0 else { return nil }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var found: UnsafeMutablePointer<addrinfo>?
        let gai = getaddrinfo(host, String(port), &hints, &found)
        guard gai == 0, let info = found else { return "\(host) is not an address of this machine: \(String(cString: gai_strerror(gai)))" }
        defer { freeaddrinfo(found) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else { return String(cString: strerror(errno)) }
        return nil
    }
}
