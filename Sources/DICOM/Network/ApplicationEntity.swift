/// A remote DICOM application entity: `AE@HOST:PORT`.
public struct ApplicationEntity: Sendable, Equatable, Codable, CustomStringConvertible {
    public var aeTitle: String
    public var host: String
    public var port: Int

    public init(aeTitle: String, host: String, port: Int) {
        self.aeTitle = aeTitle
        self.host = host
        self.port = port
    }

    /// Parses `AE@HOST:PORT` (HOST may be a bracketed IPv6 address).
    public init(parsing text: String) throws(DICOMError) {
        guard let at = text.firstIndex(of: "@"), let colon = text.lastIndex(of: ":"), at < colon else {
            throw DICOMError(.invalidInput, "expected AE@HOST:PORT, got '\(text)'")
        }
        let ae = String(text[..<at])
        var host = String(text[text.index(after: at)..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw DICOMError(.invalidInput, "bad port in '\(text)' (expected 1...65535)")
        }
        guard ApplicationEntity.isValidAETitle(ae) else {
            throw DICOMError(.invalidInput, "bad AE title '\(ae)' (1-16 printable characters, no backslash)")
        }
        guard !host.isEmpty else { throw DICOMError(.invalidInput, "empty host in '\(text)'") }
        self.init(aeTitle: ae, host: host, port: port)
    }

    /// 1...16 printable ASCII characters, no backslash, not only spaces (PS3.5 AE VR).
    public static func isValidAETitle(_ ae: String) -> Bool {
        guard (1...16).contains(ae.utf8.count) else { return false }
        guard ae.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C }) else { return false }
        return ae.contains { $0 != " " }
    }

    public var description: String { "\(aeTitle)@\(host):\(port)" }
}
