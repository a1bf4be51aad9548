/// `[http]`: the status API and `/metrics`.
public struct HTTPSection: Sendable, Equatable {
    /// `port`: HTTP listening port; 0 disables the HTTP server.
    public var port = 8080
    /// `host`: the address the HTTP server binds to; default loopback only ("0.0.0.0": every
    /// interface; the API shows UIDs and counts, never patient names, but has no authentication).
    public var host = "127.0.0.1"

    public init() {}

    public init(port: Int, host: String = "127.0.0.1") {
        self.port = port
        self.host = host
    }

    static let keys = ["port", "host"]

    init(reading r: ConfigReader) throws(ConfigError) {
        try r.rejectUnknownKeys(Self.keys)
        port = try r.int("port", ConfigCheck.port) ?? port
        host = try r.string("host", ConfigCheck.host) ?? host
    }

    func validate() throws(ConfigError) {
        try ConfigCheck.port.validate(port, key: "http.port")
        try ConfigCheck.host.validate(host, key: "http.host")
    }
}
