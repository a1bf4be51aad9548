import Foundation

/// Where a received file came from, as its File Meta Information says (PS3.10 7.1) and as
/// the file system dates it: what a catalog rebuilt from the spool needs to send results back.
public struct FileProvenance: Sendable, Equatable {
    /// The calling AE of the association that sent it: Sending Application Entity Title
    /// (0002,0017), else Source Application Entity Title (0002,0016) (DCMTK's own receive
    /// writes only that one); nil when neither is present.
    public var callingAE: String?
    /// Receiving Application Entity Title (0002,0018): the AE title it was sent to.
    public var calledAE: String?
    /// The peer's host, from Sending (0002,0027) else Source (0002,0026) Presentation Address.
    public var peerHost: String?
    /// The file's modification time: for a file the node received, when it was received.
    public var receivedAt: Date?

    public init(callingAE: String? = nil, calledAE: String? = nil, peerHost: String? = nil, receivedAt: Date? = nil) {
        self.callingAE = callingAE
        self.calledAE = calledAE
        self.peerHost = peerHost
        self.receivedAt = receivedAt
    }

    /// The host of a presentation address (PS3.10 7.1.1: a URI with the "dicom" scheme, e.g.
    /// `dicom://10.0.0.7`, `dicom://[::1]:104`); a bare host is taken as it is. nil for "".
    public static func host(ofPresentationAddress address: String) -> String? {
        var rest = Substring(address)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            rest = rest[rest.index(after: rest.startIndex)..<close]
        } else if rest.filter({ $0 == ":" }).count == 1, let colon = rest.firstIndex(of: ":") {
            rest = rest[..<colon]
        }
        return rest.isEmpty ? nil : String(rest)
    }
}
