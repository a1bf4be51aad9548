/// An `allowed_callers` entry: a calling AE title, optionally tied to one host
/// (`"AE"` or `"AE@host"`).
public struct AllowedCaller: Sendable, Equatable, CustomStringConvertible {
    public var aeTitle: String
    /// The peer's address as the network layer reports it (an IP); nil: any host.
    public var host: String?

    public init(aeTitle: String, host: String? = nil) {
        self.aeTitle = aeTitle
        self.host = host
    }

    /// Parses `"AE"` or `"AE@host"` (split at the last `@`); nil if the AE title is not
    /// valid or the host is empty or has spaces.
    public init?(entry: String) {
        var ae = entry
        var host: String?
        if let at = entry.lastIndex(of: "@") {
            ae = String(entry[..<at])
            host = String(entry[entry.index(after: at)...])
        }
        guard ConfigCheck.isValidAETitle(ae) else { return nil }
        if let host, !ConfigCheck.host.isValid(host) { return nil }
        self.init(aeTitle: ae, host: host)
    }

    /// True if `callingAE` is this AE title (trailing spaces ignored on both sides, otherwise
    /// exact) and, when a host is set, `peerHost` is exactly that host.
    public func matches(callingAE: String, peerHost: String) -> Bool {
        guard AllowedCaller.trimTrailingSpaces(callingAE) == AllowedCaller.trimTrailingSpaces(aeTitle) else {
            return false
        }
        return host.map { $0 == peerHost } ?? true
    }

    /// `AE` or `AE@host`, as written in the configuration.
    public var description: String {
        host.map { "\(aeTitle)@\($0)" } ?? aeTitle
    }

    private static func trimTrailingSpaces(_ s: String) -> Substring {
        var t = Substring(s)
        while t.last == " " { t = t.dropLast() }
        return t
    }
}
