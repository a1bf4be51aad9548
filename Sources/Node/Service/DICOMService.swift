import Catalog
import DICOM
import Foundation
import Logging
import ServiceLifecycle

/// The DICOM face of the node as a `Service`: serves C-STORE/C-ECHO (through `IngestService`)
/// until graceful shutdown, then stops accepting, lets open associations finish (up to
/// `shutdown_grace`), and flushes the group committer.
public final class DICOMService: Service, @unchecked Sendable {
    let config: NodeConfig
    let dataDirectory: DataDirectory
    let ingest: IngestService
    let committer: GroupCommitter
    let logger: Logger
    /// DICOM TLS of the SCP (nil: plain TCP), file paths resolved.
    let tls: TLSConfiguration?
    /// The node's shutdown deadline, shared with the outbox.
    let shutdown: ShutdownDeadline
    private let started = DispatchSemaphore(value: 0)
    private let portBox = PortBox()

    init(config: NodeConfig, dataDirectory: DataDirectory, ingest: IngestService, committer: GroupCommitter, tls: TLSConfiguration?,
         shutdown: ShutdownDeadline, logger: Logger) {
        self.shutdown = shutdown
        self.config = config
        self.dataDirectory = dataDirectory
        self.ingest = ingest
        self.committer = committer
        self.tls = tls
        self.logger = logger
    }

    /// The port the SCP listens on, once `run()` has opened it (waits for that).
    public func waitUntilListening(timeout: Double = 30) -> Int? {
        if let p = portBox.value { return p }
        guard started.wait(timeout: .now() + timeout) == .success else { return nil }
        started.signal()
        return portBox.value
    }

    public func run() async throws {
        let scp: StorageSCP
        do throws(DICOMError) {
            scp = try StorageSCP(
                configuration: .init(
                    aeTitle: config.node.aeTitle, port: config.node.port,
                    maxAssociations: config.node.maxAssociations, maxPDU: config.node.maxPDU,
                    acseTimeout: config.node.acseTimeout, idleTimeout: config.node.idleTimeout,
                    maxNegotiating: config.node.maxNegotiating, maxNegotiatingPerHost: config.node.maxNegotiatingPerHost,
                    incomingDirectory: dataDirectory.incomingDirectory.path, tls: tls, host: config.node.host),
                delegate: ingest)
        } catch {
            committer.stop()
            throw NodeError.startup(error.message)
        }
        portBox.value = scp.port
        started.signal()
        logger.info("AutoSeg listening", metadata: [
            "autoseg.version": "\(AutoSegVersion.current)",
            "dicom.ae_title": "\(config.node.aeTitle)", "dicom.host": "\(config.node.host)", "dicom.port": "\(scp.port)",
            "node.data_dir": "\(dataDirectory.root.path)", "dicom.max_associations": "\(config.node.maxAssociations)",
            "dicom.max_pdu": "\(config.node.maxPDU)", "node.min_free_mb": "\(config.node.minFreeMB)",
            "dicom.tls": "\(tls == nil ? "off" : (tls?.caFile == nil ? "on" : "on, peer certificate required"))",
        ])

        try? await gracefulShutdown()

        logger.info("shutting down: not accepting new associations", metadata: [
            "dicom.open_associations": "\(scp.activeAssociations)", "node.grace_seconds": "\(config.node.shutdownGrace)",
        ])
        let grace = shutdown.remaining()
        let aborted = await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
            Thread.detachNewThread { c.resume(returning: scp.shutdown(grace: grace)) }
        }
        committer.stop()
        let totals = ingest.snapshot
        logger.info("DICOM service stopped", metadata: [
            "ingest.instances_stored": "\(totals.stored)", "ingest.instances_refused": "\(totals.refused)",
            "ingest.bytes": "\(totals.bytes)", "ingest.associations": "\(totals.associations)",
            "ingest.associations_rejected": "\(totals.rejectedAssociations)",
            "ingest.associations_aborted": "\(totals.abortedAssociations)",
            "ingest.contexts_rejected": "\(totals.rejectedContexts)",
            "ingest.connections_refused": "\(totals.refusedConnections)", "dicom.aborted_at_shutdown": "\(aborted)",
        ])
    }
}

private final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Int?
    var value: Int? {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}
