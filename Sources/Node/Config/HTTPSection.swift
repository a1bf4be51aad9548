/// `[http]`: the status API and `/metrics`.
public struct HTTPSection: Sendable, Equatable {
    /// `port`: HTTP listening port; 0 disables the HTTP server.
    public var port = 8080
    /// `host`: the address the HTTP server binds to; default loopback only ("0.0.0.0": every
    /// interface; the API shows UIDs and counts, never patient names, but has no authentication;
    /// the web console then requires `password_hash`).
    public var host = "127.0.0.1"
    /// `user`: the web console's user name for HTTP basic authentication.
    public var user = "admin"
    /// `password_hash`: the hash of the web console's password (or bearer token): a bcrypt hash
    /// (`$2b$…`, e.g. `htpasswd -nbBC 12 "" SECRET | tr -d ':\n'`) or `sha256:` and 64 hex digits
    /// (`printf %s SECRET | sha256sum`, for long random tokens). Empty: no login; the console then
    /// answers only on a loopback bind.
    public var passwordHash = ""
    /// `loopback_patient_names`: show patient names to unauthenticated users of a loopback
    /// console (default false: only a signed-in user sees them).
    public var loopbackPatientNames = false

    public init() {}

    public init(port: Int, host: String = "127.0.0.1") {
        self.port = port
        self.host = host
    }

    static let keys = ["port", "host", "user", "password_hash", "loopback_patient_names"]

    init(reading r: ConfigReader) throws(ConfigError) {
        try r.rejectUnknownKeys(Self.keys)
        port = try r.int("port", ConfigCheck.port) ?? port
        host = try r.string("host", ConfigCheck.host) ?? host
        user = try r.string("user", Self.userCheck) ?? user
        passwordHash = try r.string("password_hash", Self.hashCheck) ?? passwordHash
        loopbackPatientNames = try r.bool("loopback_patient_names") ?? loopbackPatientNames
    }

    /// A basic-auth user name: not empty, no colon (RFC 7617 §2), no control characters.
    static let userCheck = ConfigCheck.Text(expected: "a non-empty user name without ':' or control characters") {
        !$0.isEmpty && !$0.contains(":") && !$0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }
    static let hashCheck = ConfigCheck.Text(
        expected: "empty, a bcrypt hash ($2a$/$2b$/$2y$, 60 characters) or sha256: and 64 hex digits"
    ) { PasswordHash(configValue: $0) != nil }

    func validate() throws(ConfigError) {
        try ConfigCheck.port.validate(port, key: "http.port")
        try ConfigCheck.host.validate(host, key: "http.host")
        try Self.userCheck.validate(user, key: "http.user")
        try Self.hashCheck.validate(passwordHash, key: "http.password_hash")
    }
}
