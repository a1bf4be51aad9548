#if canImport(Glibc)
import Glibc
#endif
import CDcmtk

/// C-ECHO and C-STORE as a service class user (DCMTK's `DcmSCU` / `DcmStorageSCU`).
public struct StorageSCU: Sendable {
    public var peer: ApplicationEntity
    public var callingAE: String
    public var maxPDU: Int
    public var acseTimeout: Int
    public var dimseTimeout: Int
    /// nil: plain TCP; else DICOM TLS with these client credentials (with a CA, the peer's
    /// certificate is verified against it).
    public var tls: TLSConfiguration?

    public init(peer: ApplicationEntity, callingAE: String = "AUTOSEG", maxPDU: Int = 131072,
                acseTimeout: Int = 30, dimseTimeout: Int = 60, tls: TLSConfiguration? = nil) {
        self.peer = peer
        self.callingAE = callingAE
        self.maxPDU = maxPDU
        self.acseTimeout = acseTimeout
        self.dimseTimeout = dimseTimeout
        self.tls = tls
    }

    /// The outcome of one file.
    public struct FileResult: Sendable {
        public var path: String
        /// A C-STORE response was received for it.
        public var sent: Bool
        public var status: DIMSEStatus
        public var sopInstanceUID: String
        public var message: String
        public var succeeded: Bool { sent && (status.isSuccess || status.isWarning) }

        public init(path: String, sent: Bool, status: DIMSEStatus, sopInstanceUID: String, message: String) {
            self.path = path
            self.sent = sent
            self.status = status
            self.sopInstanceUID = sopInstanceUID
            self.message = message
        }
    }

    private func withTarget<R>(_ body: (inout dk_scu_target) -> R) -> R {
        func make(_ tls: UnsafePointer<dk_tls_config>?) -> R {
            peer.aeTitle.withCString { peerAE in
                peer.host.withCString { host in
                    callingAE.withCString { calling in
                        var t = dk_scu_target(
                            peer_ae: peerAE, host: host, port: Int32(peer.port), calling_ae: calling,
                            max_pdu: UInt32(maxPDU), acse_timeout: Int32(acseTimeout),
                            dimse_timeout: Int32(dimseTimeout), tls: tls)
                        return body(&t)
                    }
                }
            }
        }
        return tls.map { $0.withBridgeConfig { make($0) } } ?? make(nil)
    }

    /// C-ECHO. Throws if the association or the echo fails.
    public func echo() throws(DICOMError) {
        var dimse: UInt16 = 0
        try withDCMTK("C-ECHO to \(peer)", kind: .association) { withTarget { t in dk_echo(&t, &dimse) } }
    }

    /// Sends files over as few associations as the presentation contexts allow; each
    /// file's result goes to `progress` as soon as it is known, and all are returned.
    /// Throws only when no association could be made.
    public func send(paths: [String], progress: (FileResult, Int, Int) -> Void = { _, _, _ in }) throws(DICOMError)
        -> [FileResult]
    {
        final class Collector {
            var results: [FileResult] = []
            let progress: (FileResult, Int, Int) -> Void
            init(_ p: @escaping (FileResult, Int, Int) -> Void) { progress = p }
        }
        return try withoutActuallyEscaping(progress) { (progress) throws(DICOMError) -> [FileResult] in
            let collector = Collector(progress)
            let ctx = Unmanaged.passUnretained(collector).toOpaque()
            let cPaths = paths.map { strdup($0) }
            defer { cPaths.forEach { free($0) } }
            try withDCMTK("C-STORE to \(peer)", kind: .association) {
                cPaths.map { UnsafePointer($0) }.withUnsafeBufferPointer { buf in
                    withTarget { t in
                        dk_send_files(&t, buf.baseAddress, buf.count, ctx) { ctx, r, index, total in
                            guard let ctx, let r = r?.pointee else { return }
                            let c = Unmanaged<Collector>.fromOpaque(ctx).takeUnretainedValue()
                            let result = FileResult(
                                path: r.path.map { String(cString: $0) } ?? "", sent: r.sent != 0,
                                status: DIMSEStatus(rawValue: r.dimse_status),
                                sopInstanceUID: string(fromCString: r.sop_instance_uid),
                                message: string(fromCString: r.message))
                            c.results.append(result)
                            c.progress(result, index, total)
                        }
                    }
                }
            }
            return collector.results
        }
    }
}
