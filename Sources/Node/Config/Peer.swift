/// A `[[peers]]` entry: a known DICOM node (results go back to the peer a study came from).
/// All three keys are required.
public struct Peer: Sendable, Equatable {
    public var aeTitle: String
    public var host: String
    public var port: Int
    /// `send_all`: every result goes here too, whichever node the study came from (default false:
    /// a peer receives the results of the studies it sent).
    public var sendAll: Bool
    /// `tls`: results go to this peer over DICOM TLS, with `security.cert_file`/`key_file` as
    /// client credentials (and `security.ca_file`, when set, to verify the peer's certificate).
    public var tls: Bool
    /// `insecure`: with `tls`, do not verify the peer's certificate (default false: it is
    /// verified against `security.ca_file`, or the system's trusted CAs without one). Logged
    /// as a warning at start: anyone in the path can read and alter what is sent.
    public var insecure: Bool

    public init(aeTitle: String, host: String, port: Int, sendAll: Bool = false, tls: Bool = false, insecure: Bool = false) {
        self.aeTitle = aeTitle
        self.host = host
        self.port = port
        self.sendAll = sendAll
        self.tls = tls
        self.insecure = insecure
    }

    static let keys = ["ae_title", "host", "port", "send_all", "tls", "insecure"]

    init(reading r: ConfigReader) throws(ConfigError) {
        try r.rejectUnknownKeys(Self.keys)
        guard let aeTitle = try r.string("ae_title", ConfigCheck.aeTitle) else { throw Peer.missing("ae_title", r) }
        guard let host = try r.string("host", ConfigCheck.host) else { throw Peer.missing("host", r) }
        guard let port = try r.int("port", ConfigCheck.peerPort) else { throw Peer.missing("port", r) }
        self.init(aeTitle: aeTitle, host: host, port: port, sendAll: try r.bool("send_all") ?? false,
                  tls: try r.bool("tls") ?? false, insecure: try r.bool("insecure") ?? false)
    }

    func validate(key: String) throws(ConfigError) {
        try ConfigCheck.aeTitle.validate(aeTitle, key: key + ".ae_title")
        try ConfigCheck.host.validate(host, key: key + ".host")
        try ConfigCheck.peerPort.validate(port, key: key + ".port")
    }

    private static func missing(_ key: String, _ r: ConfigReader) -> ConfigError {
        .invalid(r.fullKey(key), "is required (a [[peers]] entry needs ae_title, host and port)")
    }
}
