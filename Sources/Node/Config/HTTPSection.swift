/// `[http]`: the status API and `/metrics`.
public struct HTTPSection: Sendable, Equatable {
    /// `port`: HTTP listening port; 0 disables the HTTP server.
    public var port = 8080

    public init() {}

    public init(port: Int) {
        self.port = port
    }

    static let keys = ["port"]

    init(reading r: ConfigReader) throws(ConfigError) {
        try r.rejectUnknownKeys(Self.keys)
        port = try r.int("port", ConfigCheck.port) ?? port
    }

    func validate() throws(ConfigError) {
        try ConfigCheck.port.validate(port, key: "http.port")
    }
}
