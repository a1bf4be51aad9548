import DICOM
import Foundation

/// `[security]`: who may connect, and DICOM TLS.
public struct SecuritySection: Sendable, Equatable {
    /// `allowed_callers`: empty means any caller; otherwise only these (others are rejected at association).
    public var allowedCallers: [AllowedCaller] = []
    /// `tls`: DICOM TLS via DCMTK; needs `cert_file` and `key_file`.
    public var tls = false
    /// `cert_file`: PEM certificate of the node.
    public var certFile: String?
    /// `key_file`: PEM private key of the node.
    public var keyFile: String?
    /// `ca_file`: PEM CA bundle to verify peers with; nil: peers are not verified. When set,
    /// a peer must present a certificate signed by one of these CAs.
    public var caFile: String?

    public init() {}

    public init(allowedCallers: [AllowedCaller] = [], tls: Bool = false, certFile: String? = nil,
                keyFile: String? = nil, caFile: String? = nil)
    {
        self.allowedCallers = allowedCallers
        self.tls = tls
        self.certFile = certFile
        self.keyFile = keyFile
        self.caFile = caFile
    }

    static let keys = ["allowed_callers", "tls", "cert_file", "key_file", "ca_file"]

    init(reading r: ConfigReader) throws(ConfigError) {
        try r.rejectUnknownKeys(Self.keys)
        if let entries = try r.strings("allowed_callers", ConfigCheck.allowedCaller) {
            allowedCallers = entries.compactMap(AllowedCaller.init(entry:))
        }
        tls = try r.bool("tls") ?? tls
        certFile = try r.string("cert_file", ConfigCheck.nonEmpty)
        keyFile = try r.string("key_file", ConfigCheck.nonEmpty)
        caFile = try r.string("ca_file", ConfigCheck.nonEmpty)
    }

    func validate() throws(ConfigError) {
        for (i, caller) in allowedCallers.enumerated() {
            try ConfigCheck.aeTitle.validate(caller.aeTitle, key: "security.allowed_callers[\(i)]")
            if let host = caller.host { try ConfigCheck.host.validate(host, key: "security.allowed_callers[\(i)]") }
        }
        for (key, value) in [("cert_file", certFile), ("key_file", keyFile), ("ca_file", caFile)] {
            if let value { try ConfigCheck.nonEmpty.validate(value, key: "security." + key) }
        }
        if tls {
            if certFile == nil { throw .invalid("security.cert_file", "is required when security.tls = true") }
            if keyFile == nil { throw .invalid("security.key_file", "is required when security.tls = true") }
        }
    }

    /// The DICOM TLS settings of the SCP, file paths resolved against `base` (relative paths
    /// are relative to the current directory, like `data_dir`); nil when `tls = false`.
    public func tlsConfiguration(relativeTo base: URL) -> TLSConfiguration? {
        tls ? credentials(relativeTo: base) : nil
    }

    /// `cert_file`/`key_file` (and `ca_file`) as TLS settings whatever `tls` says: the client
    /// credentials for `[[peers]]` with `tls = true`. nil without a certificate and key.
    public func credentials(relativeTo base: URL) -> TLSConfiguration? {
        guard let certFile, let keyFile else { return nil }
        let directory = URL(fileURLWithPath: base.path, isDirectory: true)
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : URL(fileURLWithPath: path, relativeTo: directory).absoluteURL.standardizedFileURL.path
        }
        return TLSConfiguration(certificateFile: resolve(certFile), privateKeyFile: resolve(keyFile),
                                caFile: caFile.map(resolve), requirePeerCertificate: true)
    }
}
