import CDcmtk

/// An error from DCMTK or from DICOM rules, with DCMTK's condition module and code when
/// there is one. New cases do not break callers: match on `kind`.
public struct DICOMError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A DCMTK call failed; `module`/`code` are its OFCondition.
        case dcmtk
        /// The network peer could not be reached or refused the association.
        case association
        /// Input that is not valid DICOM (bad UID, unreadable file, ...).
        case invalidInput
        /// Set-up of the DICOM toolkit failed (data dictionary missing, ...).
        case setup
    }

    public let kind: Kind
    public let module: UInt16
    public let code: UInt16
    public let message: String

    public init(_ kind: Kind, _ message: String, module: UInt16 = 0, code: UInt16 = 0) {
        self.kind = kind
        self.message = message
        self.module = module
        self.code = code
    }

    /// Decodes a failed bridge status; only the `withDCMTK` funnel calls it.
    fileprivate init(status: dk_status, kind: Kind, context: String?) {
        var s = status
        let text = withUnsafeBytes(of: &s.text) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        self.init(kind, context.map { "\($0): \(text)" } ?? text, module: status.module, code: status.code)
    }

    public var description: String {
        module == 0 && code == 0 ? message : "\(message) (DCMTK \(String(module, radix: 16)):\(String(code, radix: 16)))"
    }
}

/// The one funnel for bridge calls that return a `dk_status`: a failure becomes a
/// `DICOMError` of `kind` whose message is "`context`: DCMTK's text" (DCMTK's text alone
/// without a context), with its condition module and code.
@inline(__always)
func withDCMTK(_ context: String? = nil, kind: DICOMError.Kind = .dcmtk, _ body: () -> dk_status) throws(DICOMError) {
    try withDCMTK(kind: kind, context: { _ in context }, body)
}

/// `withDCMTK` whose context depends on the failure's text.
func withDCMTK(kind: DICOMError.Kind = .dcmtk, context: (_ text: String) -> String?,
               _ body: () -> dk_status) throws(DICOMError) {
    let status = body()
    if status.ok == 0 {
        throw DICOMError(status: status, kind: kind, context: context(string(fromCString: status.text)))
    }
}

/// Reads a fixed-size C char array (imported as a tuple) as a Swift string.
func string<T>(fromCString tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}
