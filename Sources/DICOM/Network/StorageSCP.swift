import CDcmtk

/// What a caller asks for when it opens an association.
public struct AssociationRequest: Sendable, Equatable {
    public var callingAE: String
    public var calledAE: String
    public var peerHost: String
}

/// The answer to an association request.
public enum AssociationDecision: Sendable, Equatable {
    case accept
    /// Permanent rejection: calling AE title not recognised.
    case rejectCallingAE(reason: String)
    /// Permanent rejection: called AE title not recognised.
    case rejectCalledAE(reason: String)
    /// Transient rejection: temporary congestion (e.g. disk below the watermark).
    case rejectNoResources(reason: String)
}

/// The answer to one C-STORE: a DIMSE status and, on failure, an error comment.
public struct StoreOutcome: Sendable, Equatable {
    public var status: DIMSEStatus
    public var comment: String
    public init(_ status: DIMSEStatus, _ comment: String = "") {
        self.status = status
        self.comment = comment
    }
    public static let success = StoreOutcome(.success)
}

/// A received C-STORE whose dataset sits in `tempPath`, parsed and consistent with the command.
public struct StoreRequest: Sendable {
    public var tempPath: String
    public var callingAE: String
    public var peerHost: String
    public var associationID: UInt64
    public var info: FileInfo
}

/// What happened on an association, given when it ends.
public struct AssociationSummary: Sendable {
    public var associationID: UInt64
    public var callingAE: String
    public var calledAE: String
    public var peerHost: String
    public var instancesStored: UInt64
    public var instancesFailed: UInt64
    public var bytesStored: UInt64
    public var seconds: Double
    public var endReason: String
}

/// The owner of a `StorageSCP`: decides on associations and makes stores durable.
/// Every method is called on one of DCMTK's association threads, never on the Swift
/// cooperative pool, and may block (it is the C-STORE handler: the answer waits for it).
public protocol StorageSCPDelegate: AnyObject, Sendable {
    func acceptAssociation(_ request: AssociationRequest) -> AssociationDecision
    /// Before the dataset is read off the wire; a non-nil outcome skips it and answers that.
    func precheckStore(callingAE: String) -> StoreOutcome?
    /// Make the instance durable and catalogue it; answer success only then. On failure
    /// the delegate removes `request.tempPath`.
    func store(_ request: StoreRequest) -> StoreOutcome
    func storeRefused(associationID: UInt64, callingAE: String, status: DIMSEStatus?, reason: String)
    func associationRejected(_ request: AssociationRequest, reason: String)
    func associationEnded(_ summary: AssociationSummary)
    /// `count` connections from `peerHost` were closed at once, unread, because too many were
    /// still negotiating (`reason` says which cap). Called for the first one from a source,
    /// then at most every 5 s with the number closed since.
    func connectionsRefused(peerHost: String, count: Int, reason: String)
    /// An association was accepted with some proposed presentation contexts rejected
    /// (`reasons`: "<SOP class>: <why>" per context, "; "-separated); `accepted` contexts
    /// remain (0: the peer can store nothing on it), `rejected` were refused.
    func contextsRejected(associationID: UInt64, callingAE: String, peerHost: String, reasons: String, accepted: Int,
                          rejected: Int)
}

extension StorageSCPDelegate {
    public func contextsRejected(associationID: UInt64, callingAE: String, peerHost: String, reasons: String,
                                 accepted: Int, rejected: Int) {}
}

/// DICOM TLS settings (DCMTK, BCP 195 profile). Files are PEM; the private key must not be
/// encrypted and must match the certificate.
public struct TLSConfiguration: Sendable, Equatable, Codable {
    /// Our certificate (may carry the chain after it).
    public var certificateFile: String
    /// Our private key.
    public var privateKeyFile: String
    /// Trusted CA certificates for peers; nil (and no `caDirectory`): peer certificates are
    /// neither requested nor checked.
    public var caFile: String?
    /// A directory of hashed CA certificates (`openssl rehash`), in addition to `caFile`.
    public var caDirectory: String?
    /// With a CA: refuse a peer that presents no valid certificate (true), or check a
    /// certificate only when one is presented (false).
    public var requirePeerCertificate: Bool

    public init(certificateFile: String, privateKeyFile: String, caFile: String? = nil,
                caDirectory: String? = nil, requirePeerCertificate: Bool = true) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.caFile = caFile
        self.caDirectory = caDirectory
        self.requirePeerCertificate = requirePeerCertificate
    }

    /// Loads the key, certificate and CA files and checks them (key matches certificate,
    /// BCP 195 profile) without opening a port. The error message names the file at fault.
    public func check(asServer: Bool = true) throws(DICOMError) {
        try withDCMTK(kind: .setup) { withBridgeConfig { dk_tls_check($0, asServer ? 1 : 0) } }
    }

    /// Calls `body` with the bridge's view of these settings (valid only inside `body`).
    func withBridgeConfig<R>(_ body: (UnsafePointer<dk_tls_config>) -> R) -> R {
        certificateFile.withCString { cert in
            privateKeyFile.withCString { key in
                withOptionalCString(caFile) { ca in
                    withOptionalCString(caDirectory) { dir in
                        var c = dk_tls_config(cert_file: cert, key_file: key, ca_file: ca, ca_dir: dir,
                                              require_peer_cert: requirePeerCertificate ? 1 : 0)
                        return withUnsafePointer(to: &c) { body($0) }
                    }
                }
            }
        }
    }
}

private func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}

/// A C-STORE / C-ECHO SCP on DCMTK: its own accept thread, which only accepts TCP connections;
/// each connection negotiates (TLS handshake, request, AC/RJ) on a thread of its own under an
/// ARTIM deadline and then serves its association there (idle_timeout enforced by a watchdog);
/// every storage SOP class DCMTK knows and the transfer syntaxes of DESIGN §6.
public final class StorageSCP: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var aeTitle: String
        /// The address to listen on ("" or "0.0.0.0": every interface).
        public var host: String
        public var port: Int
        public var maxAssociations: Int
        public var maxPDU: Int
        /// Seconds from a TCP connect to a complete A-ASSOCIATE-RQ (TLS handshake included),
        /// however slowly bytes arrive (ARTIM).
        public var acseTimeout: Int
        /// Seconds an association may wait for its peer, between messages or inside a PDU,
        /// before it is aborted (A-ABORT; a partly received dataset is removed).
        public var idleTimeout: Int
        /// Connections still negotiating at once, in total and from one peer address; more
        /// are closed at once (`StorageSCPDelegate.connectionsRefused`). They hold no
        /// `maxAssociations` slot.
        public var maxNegotiating: Int
        public var maxNegotiatingPerHost: Int
        /// Datasets are received into temporary files here (same file system as the spool).
        public var incomingDirectory: String
        /// nil: plain TCP; else every association is DICOM TLS.
        public var tls: TLSConfiguration?

        public init(aeTitle: String, port: Int, maxAssociations: Int = 16, maxPDU: Int = 131072,
                    acseTimeout: Int = 30, idleTimeout: Int = 60, maxNegotiating: Int = 16,
                    maxNegotiatingPerHost: Int = 4, incomingDirectory: String, tls: TLSConfiguration? = nil,
                    host: String = "") {
            self.aeTitle = aeTitle
            self.host = host
            self.port = port
            self.maxAssociations = maxAssociations
            self.maxPDU = maxPDU
            self.acseTimeout = acseTimeout
            self.idleTimeout = idleTimeout
            self.maxNegotiating = maxNegotiating
            self.maxNegotiatingPerHost = maxNegotiatingPerHost
            self.incomingDirectory = incomingDirectory
            self.tls = tls
        }
    }

    private let handle: OpaquePointer
    private let box: Unmanaged<DelegateBox>

    /// Opens the port and starts accepting associations.
    public init(configuration c: Configuration, delegate: StorageSCPDelegate) throws(DICOMError) {
        let box = Unmanaged.passRetained(DelegateBox(delegate))
        var callbacks = dk_scp_callbacks()
        callbacks.context = box.toOpaque()
        callbacks.accept_association = scpAcceptAssociation
        callbacks.precheck_store = scpPrecheckStore
        callbacks.store = scpStore
        callbacks.store_refused = scpStoreRefused
        callbacks.association_rejected = scpAssociationRejected
        callbacks.association_ended = scpAssociationEnded
        callbacks.connections_refused = scpConnectionsRefused
        callbacks.contexts_rejected = scpContextsRejected
        var out: OpaquePointer?
        let start = { (tls: UnsafePointer<dk_tls_config>?) -> dk_status in
            c.aeTitle.withCString { ae in
                c.incomingDirectory.withCString { dir in
                    // Every interface: DCMTK's own socket as bound, no re-bind.
                    let host = c.host == "0.0.0.0" ? "" : c.host
                    return host.withCString { hostText in
                        var config = dk_scp_config(
                            ae_title: ae, port: Int32(c.port), max_associations: Int32(c.maxAssociations),
                            max_pdu: UInt32(c.maxPDU), acse_timeout: Int32(c.acseTimeout),
                            idle_timeout: Int32(c.idleTimeout), incoming_dir: dir, tls: tls,
                            max_negotiating: Int32(c.maxNegotiating), max_negotiating_per_host: Int32(c.maxNegotiatingPerHost),
                            host: hostText)
                        return dk_scp_start(&config, callbacks, &out)
                    }
                }
            }
        }
        do throws(DICOMError) {
            // A TLS set-up failure names its file; anything else is about the port.
            let address = c.host.isEmpty ? "port \(c.port)" : "\(c.host) port \(c.port)"
            try withDCMTK(kind: .setup, context: { $0.hasPrefix("TLS ") ? "cannot set up DICOM TLS" : "DICOM: cannot listen on \(address)" }) {
                c.tls.map { $0.withBridgeConfig { start($0) } } ?? start(nil)
            }
        } catch {
            box.release()
            throw error
        }
        guard let handle = out else {
            box.release()
            throw DICOMError(.setup, "DICOM: cannot listen on port \(c.port): no SCP was started")
        }
        self.handle = handle
        self.box = box
    }

    /// The TCP port actually listened on (differs from the configured one when that was 0).
    public var port: Int { Int(dk_scp_port(handle)) }

    /// Associations open (negotiated) right now.
    public var activeAssociations: Int { Int(dk_scp_active_associations(handle)) }

    /// Connections accepted and still negotiating right now.
    public var negotiatingConnections: Int { Int(dk_scp_negotiating(handle)) }

    /// Closes the listening port and the connections still negotiating; open associations go
    /// on. Returns at once.
    public func stopAccepting() { dk_scp_stop_accepting(handle) }

    /// Stops accepting, waits up to `grace` seconds for open associations to end, then
    /// aborts the rest (one still making a received store durable answers it first). Blocks:
    /// call it off the cooperative pool. Returns how many associations had to be aborted.
    @discardableResult
    public func shutdown(grace: Double) -> Int { Int(dk_scp_shutdown(handle, grace)) }

    deinit {
        dk_scp_free(handle)
        box.release()
    }
}

final class DelegateBox {
    let delegate: StorageSCPDelegate
    init(_ delegate: StorageSCPDelegate) { self.delegate = delegate }
}

private func delegate(_ context: UnsafeMutableRawPointer?) -> StorageSCPDelegate {
    Unmanaged<DelegateBox>.fromOpaque(context!).takeUnretainedValue().delegate
}

private func str(_ p: UnsafePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }

private func write(_ text: String, to buffer: UnsafeMutablePointer<CChar>?, capacity: Int) {
    guard let buffer, capacity > 0 else { return }
    let bytes = Array(text.utf8.prefix(capacity - 1))
    bytes.withUnsafeBufferPointer { src in
        src.withMemoryRebound(to: CChar.self) { buffer.update(from: $0.baseAddress!, count: bytes.count) }
    }
    buffer[bytes.count] = 0
}

private let scpAcceptAssociation: @convention(c) (
    UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
    UnsafeMutablePointer<CChar>?, Int
) -> Int32 = { ctx, calling, called, peer, reason, reasonLen in
    let request = AssociationRequest(callingAE: str(calling), calledAE: str(called), peerHost: str(peer))
    switch delegate(ctx).acceptAssociation(request) {
    case .accept:
        return Int32(DK_ASSOC_ACCEPT)
    case .rejectCallingAE(let why):
        write(why, to: reason, capacity: reasonLen)
        return Int32(DK_ASSOC_REJECT_CALLING_AE)
    case .rejectCalledAE(let why):
        write(why, to: reason, capacity: reasonLen)
        return Int32(DK_ASSOC_REJECT_CALLED_AE)
    case .rejectNoResources(let why):
        write(why, to: reason, capacity: reasonLen)
        return Int32(DK_ASSOC_REJECT_NO_RESOURCES)
    }
}

private let scpPrecheckStore: @convention(c) (
    UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int
) -> UInt16 = { ctx, calling, comment, commentLen in
    guard let outcome = delegate(ctx).precheckStore(callingAE: str(calling)) else { return 0 }
    write(outcome.comment, to: comment, capacity: commentLen)
    return outcome.status.rawValue
}

private let scpStore: @convention(c) (
    UnsafeMutableRawPointer?, UnsafePointer<dk_store_request>?, UnsafeMutablePointer<CChar>?, Int
) -> UInt16 = { ctx, req, comment, commentLen in
    guard let r = req?.pointee, let info = r.info?.pointee else {
        write("internal error: no request", to: comment, capacity: commentLen)
        return DIMSEStatus.processingFailure.rawValue
    }
    let request = StoreRequest(
        tempPath: str(r.temp_path), callingAE: str(r.calling_ae), peerHost: str(r.peer_host),
        associationID: r.association_id, info: FileInfo(info))
    let outcome = delegate(ctx).store(request)
    write(outcome.comment, to: comment, capacity: commentLen)
    return outcome.status.rawValue
}

private let scpStoreRefused: @convention(c) (
    UnsafeMutableRawPointer?, UInt64, UnsafePointer<CChar>?, UInt16, UnsafePointer<CChar>?
) -> Void = { ctx, id, calling, status, reason in
    delegate(ctx).storeRefused(
        associationID: id, callingAE: str(calling), status: status == 0 ? nil : DIMSEStatus(rawValue: status),
        reason: str(reason))
}

private let scpAssociationRejected: @convention(c) (
    UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
    UnsafePointer<CChar>?
) -> Void = { ctx, calling, called, peer, reason in
    delegate(ctx).associationRejected(
        AssociationRequest(callingAE: str(calling), calledAE: str(called), peerHost: str(peer)), reason: str(reason))
}

private let scpAssociationEnded: @convention(c) (
    UnsafeMutableRawPointer?, UnsafePointer<dk_association_summary>?
) -> Void = { ctx, s in
    guard let s = s?.pointee else { return }
    delegate(ctx).associationEnded(AssociationSummary(
        associationID: s.association_id, callingAE: str(s.calling_ae), calledAE: str(s.called_ae),
        peerHost: str(s.peer_host), instancesStored: s.instances_stored, instancesFailed: s.instances_failed,
        bytesStored: s.bytes_stored, seconds: s.seconds, endReason: str(s.end_reason)))
}

private let scpConnectionsRefused: @convention(c) (
    UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UInt64, UnsafePointer<CChar>?
) -> Void = { ctx, peer, count, reason in
    delegate(ctx).connectionsRefused(peerHost: str(peer), count: Int(count), reason: str(reason))
}

private let scpContextsRejected: @convention(c) (
    UnsafeMutableRawPointer?, UInt64, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32, Int32
) -> Void = { ctx, id, calling, peer, reasons, accepted, rejected in
    delegate(ctx).contextsRejected(associationID: id, callingAE: str(calling), peerHost: str(peer),
                                   reasons: str(reasons), accepted: Int(accepted), rejected: Int(rejected))
}
