import Foundation

/// `[node]`: who the node is on the network and where it keeps its data.
public struct NodeSection: Sendable, Equatable {
    /// `ae_title`: the called AE title we answer to.
    public var aeTitle = "AUTOSEG"
    /// `port`: DICOM listening port; 0 picks a free port (tests).
    public var port = 11112
    /// `host`: the address the DICOM port listens on; "0.0.0.0" (default) every interface,
    /// e.g. "127.0.0.1" for loopback only or one interface's address.
    public var host = "0.0.0.0"
    /// `data_dir`: spool/, outbox/ and autoseg.sqlite live here; relative to the current directory.
    public var dataDir = "var"
    /// `max_associations`: concurrent associations accepted.
    public var maxAssociations = 16
    /// `max_pdu`: largest PDU we receive, in bytes.
    public var maxPDU = 131072
    /// `min_free_mb`: below this much free space in `data_dir`, new associations are refused and stores answer A700.
    public var minFreeMB = 2048
    /// `acse_timeout`: seconds allowed for association negotiation (ARTIM).
    public var acseTimeout = 30
    /// `idle_timeout`: seconds an association may wait for its peer (between messages or inside
    /// a PDU) before it is aborted.
    public var idleTimeout = 60
    /// `max_negotiating`: connections still negotiating (TLS handshake, association request) at
    /// once; more are closed at once. They hold no `max_associations` slot.
    public var maxNegotiating = 16
    /// `max_negotiating_per_host`: the same per peer address.
    public var maxNegotiatingPerHost = 4
    /// `shutdown_grace`: seconds open associations get to finish on SIGTERM.
    public var shutdownGrace = 30

    public init() {}

    public init(aeTitle: String = "AUTOSEG", port: Int = 11112, dataDir: String = "var", maxAssociations: Int = 16,
                maxPDU: Int = 131072, minFreeMB: Int = 2048, acseTimeout: Int = 30, idleTimeout: Int = 60,
                maxNegotiating: Int = 16, maxNegotiatingPerHost: Int = 4, shutdownGrace: Int = 30,
                host: String = "0.0.0.0")
    {
        self.aeTitle = aeTitle
        self.host = host
        self.port = port
        self.dataDir = dataDir
        self.maxAssociations = maxAssociations
        self.maxPDU = maxPDU
        self.minFreeMB = minFreeMB
        self.acseTimeout = acseTimeout
        self.idleTimeout = idleTimeout
        self.maxNegotiating = maxNegotiating
        self.maxNegotiatingPerHost = maxNegotiatingPerHost
        self.shutdownGrace = shutdownGrace
    }

    /// `data_dir` as a file URL: an absolute path is kept, a relative one is resolved
    /// against `base` (the caller passes the current directory).
    public func dataDirectoryURL(relativeTo base: URL) -> URL {
        if dataDir.hasPrefix("/") { return URL(fileURLWithPath: dataDir, isDirectory: true).standardizedFileURL }
        return URL(fileURLWithPath: dataDir, isDirectory: true, relativeTo: base).absoluteURL.standardizedFileURL
    }

    static let keys = ["ae_title", "port", "host", "data_dir", "max_associations", "max_pdu", "min_free_mb",
                       "acse_timeout", "idle_timeout", "max_negotiating", "max_negotiating_per_host", "shutdown_grace"]

    init(reading r: ConfigReader) throws(ConfigError) {
        try r.rejectUnknownKeys(Self.keys)
        aeTitle = try r.string("ae_title", ConfigCheck.aeTitle) ?? aeTitle
        port = try r.int("port", ConfigCheck.port) ?? port
        host = try r.string("host", ConfigCheck.host) ?? host
        dataDir = try r.string("data_dir", ConfigCheck.nonEmpty) ?? dataDir
        maxAssociations = try r.int("max_associations", ConfigCheck.maxAssociations) ?? maxAssociations
        maxPDU = try r.int("max_pdu", ConfigCheck.maxPDU) ?? maxPDU
        minFreeMB = try r.int("min_free_mb", ConfigCheck.nonNegative) ?? minFreeMB
        acseTimeout = try r.int("acse_timeout", ConfigCheck.timeout) ?? acseTimeout
        idleTimeout = try r.int("idle_timeout", ConfigCheck.timeout) ?? idleTimeout
        maxNegotiating = try r.int("max_negotiating", ConfigCheck.maxNegotiating) ?? maxNegotiating
        maxNegotiatingPerHost = try r.int("max_negotiating_per_host", ConfigCheck.maxNegotiating) ?? maxNegotiatingPerHost
        shutdownGrace = try r.int("shutdown_grace", ConfigCheck.timeout) ?? shutdownGrace
    }

    func validate() throws(ConfigError) {
        try ConfigCheck.aeTitle.validate(aeTitle, key: "node.ae_title")
        try ConfigCheck.port.validate(port, key: "node.port")
        try ConfigCheck.host.validate(host, key: "node.host")
        try ConfigCheck.nonEmpty.validate(dataDir, key: "node.data_dir")
        try ConfigCheck.maxAssociations.validate(maxAssociations, key: "node.max_associations")
        try ConfigCheck.maxPDU.validate(maxPDU, key: "node.max_pdu")
        try ConfigCheck.nonNegative.validate(minFreeMB, key: "node.min_free_mb")
        try ConfigCheck.timeout.validate(acseTimeout, key: "node.acse_timeout")
        try ConfigCheck.timeout.validate(idleTimeout, key: "node.idle_timeout")
        try ConfigCheck.maxNegotiating.validate(maxNegotiating, key: "node.max_negotiating")
        try ConfigCheck.maxNegotiating.validate(maxNegotiatingPerHost, key: "node.max_negotiating_per_host")
        if maxNegotiatingPerHost > maxNegotiating {
            throw .invalid("node.max_negotiating_per_host", expected: "at most node.max_negotiating (\(maxNegotiating))",
                           got: String(maxNegotiatingPerHost))
        }
        try ConfigCheck.timeout.validate(shutdownGrace, key: "node.shutdown_grace")
    }
}
