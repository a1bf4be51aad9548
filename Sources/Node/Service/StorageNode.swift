import Catalog
import DICOM
import Foundation
import Logging
import ServiceLifecycle

/// The running node as a `Service`: reconciles the catalog with the spool, serves
/// C-STORE/C-ECHO until graceful shutdown, then stops accepting, lets open associations
/// finish (up to `shutdown_grace`), and flushes the catalog.
public final class StorageNode: Service, @unchecked Sendable {
    public let config: NodeConfig
    public let dataDirectory: DataDirectory
    public let catalog: Catalog
    let logger: Logger
    private let committer: GroupCommitter
    let ingest: IngestService
    let pipeline: PipelineService
    private var scp: StorageSCP?
    /// DICOM TLS of the SCP (nil: plain TCP), file paths resolved.
    let tls: TLSConfiguration?
    private let started = DispatchSemaphore(value: 0)
    private let portBox = PortBox()

    /// Builds the node: folders, catalog (migrated), reconcile. Nothing listens yet.
    init(config: NodeConfig, dataDirectory: DataDirectory, tls: TLSConfiguration? = nil, deliveryTLS: TLSConfiguration? = nil,
         logger: Logger) throws {
        self.config = config
        self.tls = tls
        self.logger = logger
        self.dataDirectory = dataDirectory
        do { try dataDirectory.prepare() } catch {
            throw NodeError.startup("cannot create data_dir folders: \(error)")
        }
        catalog = try Catalog(path: dataDirectory.catalogPath, logger: logger)
        committer = GroupCommitter(catalog: catalog, logger: logger)
        ingest = IngestService(
            dataDirectory: dataDirectory,
            policy: .init(aeTitle: config.node.aeTitle, allowedCallers: config.security.allowedCallers,
                          minFreeBytes: UInt64(config.node.minFreeMB) * 1_048_576),
            committer: committer, logger: logger)
        pipeline = PipelineService(config: config, dataDirectory: dataDirectory, catalog: catalog, deliveryTLS: deliveryTLS, logger: logger)
    }

    /// Brings the catalog in line with the spool (files added, vanished files flagged,
    /// leftover temp files removed). Runs before the port opens.
    func reconcile() throws {
        let dataDirectory = self.dataDirectory
        let report = try catalog.reconcile(spool: dataDirectory) { url in
            let info = try FileInfo.read(path: url.path)
            return InstanceRecord(info, filePath: dataDirectory.relativePath(of: url))
        }
        logger.info("spool reconciled", metadata: [
            "reconcile.scanned": "\(report.scanned)", "reconcile.added": "\(report.added)",
            "reconcile.missing": "\(report.markedMissing)", "reconcile.restored": "\(report.restored)",
            "reconcile.unreadable": "\(report.unreadable)", "reconcile.temp_removed": "\(report.tempFilesRemoved)",
            "reconcile.seconds": "\(String(format: "%.3f", report.seconds))",
        ])
    }

    /// The port the SCP listens on, once `run()` has opened it (waits for that).
    public func waitUntilListening(timeout: Double = 30) -> Int? {
        if let p = portBox.value { return p }
        guard started.wait(timeout: .now() + timeout) == .success else { return nil }
        started.signal()
        return portBox.value
    }

    public func run() async throws {
        try reconcile()
        do { try pipeline.start() } catch {
            committer.stop()
            throw NodeError.startup("cannot start the pipeline: \(error)")
        }
        let scp: StorageSCP
        do throws(DICOMError) {
            scp = try StorageSCP(
                configuration: .init(
                    aeTitle: config.node.aeTitle, port: config.node.port,
                    maxAssociations: config.node.maxAssociations, maxPDU: config.node.maxPDU,
                    acseTimeout: config.node.acseTimeout, idleTimeout: config.node.idleTimeout,
                    incomingDirectory: dataDirectory.incomingDirectory.path, tls: tls),
                delegate: ingest)
        } catch {
            pipeline.stop()
            committer.stop()
            throw NodeError.startup(error.message)
        }
        self.scp = scp
        portBox.value = scp.port
        started.signal()
        logger.info("AutoSeg listening", metadata: [
            "dicom.ae_title": "\(config.node.aeTitle)", "dicom.port": "\(scp.port)",
            "data_dir": "\(dataDirectory.root.path)", "max_associations": "\(config.node.maxAssociations)",
            "max_pdu": "\(config.node.maxPDU)", "min_free_mb": "\(config.node.minFreeMB)",
            "dicom.tls": "\(tls == nil ? "off" : (tls?.caFile == nil ? "on" : "on, peer certificate required"))",
        ])

        try? await gracefulShutdown()

        let open = scp.activeAssociations
        logger.info("shutting down: not accepting new associations", metadata: [
            "open_associations": "\(open)", "grace_seconds": "\(config.node.shutdownGrace)",
        ])
        let grace = Double(config.node.shutdownGrace)
        let aborted = await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
            Thread.detachNewThread { c.resume(returning: scp.shutdown(grace: grace)) }
        }
        committer.stop()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { [pipeline] in
                pipeline.stop()
                c.resume()
            }
        }
        let totals = ingest.snapshot
        logger.info("stopped", metadata: [
            "instances_stored": "\(totals.stored)", "instances_refused": "\(totals.refused)",
            "bytes": "\(totals.bytes)", "associations": "\(totals.associations)",
            "associations_rejected": "\(totals.rejectedAssociations)", "associations_aborted": "\(aborted)",
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

/// Errors that stop the node from starting or running.
public enum NodeError: Error, CustomStringConvertible {
    /// The environment does not let the node start (port in use, data dir not writable).
    case startup(String)
    /// The configuration asks for something this build cannot do.
    case configuration(String)
    public var description: String {
        switch self {
        case .startup(let s), .configuration(let s): return s
        }
    }
}

/// Assembles a node from its configuration (the hummingbird-template `buildApplication`):
/// tests call it with port 0 and a temporary data directory.
public func buildNode(config: NodeConfig, baseDirectory: URL? = nil, logger: Logger) throws -> StorageNode {
    let base = baseDirectory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    try DICOMToolkit.initialize()
    // Certificate and key are loaded and checked before anything else, so that a missing,
    // unreadable or mismatched file stops the start with one line naming it.
    let tls = config.security.tlsConfiguration(relativeTo: base)
    if let tls {
        do throws(DICOMError) { try tls.check(asServer: true) } catch { throw NodeError.startup(error.message) }
    }
    // The same certificate and key are the client credentials for peers with tls = true.
    let deliveryTLS = config.peers.contains(where: \.tls) ? config.security.credentials(relativeTo: base) : nil
    if let deliveryTLS {
        do throws(DICOMError) { try deliveryTLS.check(asServer: false) } catch { throw NodeError.startup(error.message) }
    }
    return try StorageNode(config: config, dataDirectory: DataDirectory(root: config.node.dataDirectoryURL(relativeTo: base)), tls: tls,
                           deliveryTLS: deliveryTLS, logger: logger)
}
