import Catalog
import DICOM
import Foundation
import Logging
import Pipeline
import Results
import ServiceLifecycle
import UnixSignals

/// The whole node: every long-lived part a `Service`, in start order — outbox, analysis
/// workers, completion scheduler, DICOM (ingest), HTTP status. A `ServiceGroup` stops them
/// in reverse: HTTP first, then the DICOM port (open associations finish), the scheduler, the
/// workers (analyses in progress finish) and last the outbox (a send in progress finishes).
public final class AutoSegNode: Sendable {
    public let config: NodeConfig
    public let dataDirectory: DataDirectory
    /// The catalog the node writes (ingest, scheduler, workers, outbox).
    public let catalog: Catalog
    let ingest: IngestService
    public let dicom: DICOMService
    let outbox: Outbox
    let workers: WorkerPool
    let scheduler: CompletionScheduler
    /// The HTTP status server (nil when `http.port` is 0); it reads through its own
    /// read-only catalog connection, so `/status` never waits behind the group committer.
    let http: (any Service)?
    /// The exclusive lock on `data_dir`, held as long as the node exists.
    let lock: DataDirectoryLock
    /// Rules and peers as last (re)loaded (`reload(from:)`); `config` keeps the start's.
    public let settings: LiveSettings
    /// TLS client credentials loaded at start (nil when no peer needed them then).
    let deliveryTLS: TLSConfiguration?
    let logger: Logger

    /// Every service, in start order.
    public var services: [any Service] { [outbox, workers, scheduler, dicom] + (http.map { [$0] } ?? []) }

    init(config: NodeConfig, dataDirectory: DataDirectory, catalog: Catalog, ingest: IngestService, committer: GroupCommitter,
         tls: TLSConfiguration?, deliveryTLS: TLSConfiguration?, deliveryHelper: URL?, lock: DataDirectoryLock,
         logger: Logger) throws {
        self.config = config
        self.lock = lock
        self.deliveryTLS = deliveryTLS
        self.logger = logger
        let settings = LiveSettings(rules: config.rules, peers: config.peers)
        self.settings = settings
        self.dataDirectory = dataDirectory
        self.catalog = catalog
        self.ingest = ingest
        let shutdown = ShutdownDeadline(grace: Double(config.node.shutdownGrace))
        dicom = DICOMService(config: config, dataDirectory: dataDirectory, ingest: ingest, committer: committer, tls: tls,
                             shutdown: shutdown, logger: logger)
        outbox = Outbox(config: config, settings: settings, catalog: catalog, dataDirectory: dataDirectory, deliveryTLS: deliveryTLS,
                        deliveryHelper: deliveryHelper, shutdown: shutdown, logger: logger)
        let series = CatalogSeries(catalog: catalog, dataDirectory: dataDirectory)
        let runner = JobRunner(catalog: catalog, series: series, dataDirectory: dataDirectory,
                               executor: AnalysisExecutor(resultOptions: ResultOptions(keyImages: config.pipeline.keyImages)),
                               settings: settings, logger: logger)
        workers = WorkerPool(config: config, catalog: catalog, runner: runner, outbox: outbox.threads, logger: logger)
        scheduler = CompletionScheduler(catalog: catalog, series: series, settings: settings,
                                        stableSeconds: config.pipeline.stableSeconds, workers: workers.threads, logger: logger)
        let hook = ReloadHook()
        if config.http.port != 0 {
            let reader = try Catalog(readOnlyPath: dataDirectory.catalogPath, logger: logger)
            http = StatusServer.application(
                StatusSource(config: config, catalog: reader, ingest: ingest, dicom: dicom, dataDirectory: dataDirectory,
                             writer: catalog, wake: { [workers, outbox] in workers.threads.ring(); outbox.threads.ring() },
                             peerTLS: { [outbox] in outbox.delivery.tls(for: $0) }, settings: settings,
                             reload: { [hook] in hook.run() }), logger: logger)
        } else {
            http = nil
        }
        // The console's reload re-reads the file the node started with.
        hook.set { [weak self] in
            guard let self else { return (false, "the node is stopping") }
            let outcome = self.reload()
            return (outcome.applied, outcome.message)
        }
    }

    /// The port the DICOM service listens on, once running (waits up to `timeout` seconds).
    public func waitUntilListening(timeout: Double = 30) -> Int? { dicom.waitUntilListening(timeout: timeout) }

    /// The node's services in one group; `signals` (e.g. SIGTERM, SIGINT) shut it down gracefully.
    public func serviceGroup(gracefulShutdownSignals signals: [UnixSignal] = [], logger: Logger) -> ServiceGroup {
        ServiceGroup(services: services, gracefulShutdownSignals: signals, cancellationSignals: [], logger: logger)
    }
}

/// The console's way to the node's `reload`, set once the node exists.
final class ReloadHook: @unchecked Sendable {
    private let lock = NSLock()
    private var action: (@Sendable () -> (applied: Bool, message: String))?

    func set(_ action: @escaping @Sendable () -> (applied: Bool, message: String)) { lock.withLock { self.action = action } }

    func run() -> (applied: Bool, message: String) {
        guard let action = lock.withLock({ self.action }) else { return (false, "reload is not available yet") }
        return action()
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

/// Assembles the node from its configuration (the hummingbird-template `buildApplication`):
/// folders, catalog (migrated), reconcile with the spool, every service. Nothing listens
/// until its `ServiceGroup` runs. Tests call it with port 0 and a temporary data directory.
///
/// `deliveryHelper` is the `autoseg` executable: each delivery runs in a process of its own
/// (`autoseg deliver-batch`, see `DeliveryBatch`); nil (tests) sends in this process, one at a time.
public func buildNode(config: NodeConfig, baseDirectory: URL? = nil, deliveryHelper: URL? = nil,
                      logger: Logger) throws -> AutoSegNode {
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
    let dataDirectory = DataDirectory(root: config.node.dataDirectoryURL(relativeTo: base))
    do { try dataDirectory.prepare() } catch {
        throw NodeError.startup("cannot create data_dir folders: \(error)")
    }
    if config.http.port != 0, let why = PortProbe.problem(host: config.http.host, port: config.http.port) {
        throw NodeError.startup("HTTP: cannot listen on \(config.http.host) port \(config.http.port): \(why)")
    }
    // Before the catalog is opened: a second node on the same data_dir stops here, naming the first.
    let lock = try DataDirectoryLock(dataDirectory, holder: "AE \(config.node.aeTitle), DICOM port \(config.node.port), "
                                     + "HTTP port \(config.http.port)")
    let catalog = try Catalog(path: dataDirectory.catalogPath, logger: logger)
    try reconcile(catalog, dataDirectory: dataDirectory, logger: logger)
    let committer = GroupCommitter(catalog: catalog, logger: logger)
    let ingest = IngestService(
        dataDirectory: dataDirectory,
        policy: .init(aeTitle: config.node.aeTitle, allowedCallers: config.security.allowedCallers,
                      minFreeBytes: UInt64(config.node.minFreeMB) * 1_048_576),
        committer: committer, logger: logger)
    do {
        return try AutoSegNode(config: config, dataDirectory: dataDirectory, catalog: catalog, ingest: ingest, committer: committer,
                               tls: tls, deliveryTLS: deliveryTLS, deliveryHelper: deliveryHelper, lock: lock, logger: logger)
    } catch {
        committer.stop()
        throw error
    }
}

/// Brings the catalog in line with the spool (files added, vanished files flagged, leftover
/// temp files removed) before any service starts.
private func reconcile(_ catalog: Catalog, dataDirectory: DataDirectory, logger: Logger) throws {
    let report = try catalog.reconcile(spool: dataDirectory) { url in
        // The file meta says who sent the instance and its mtime when it arrived, so a rebuilt
        // catalog still sends results back to the PACS the study came from.
        let info = try FileInfo.read(path: url.path)
        let origin = info.provenance
        return InstanceRecord(info, filePath: dataDirectory.relativePath(of: url), receivedAt: origin.receivedAt ?? Date(),
                              callingAE: origin.callingAE ?? "", remoteHost: origin.peerHost ?? "")
    }
    logger.info("spool reconciled", metadata: [
        "reconcile.scanned": "\(report.scanned)", "reconcile.added": "\(report.added)",
        "reconcile.missing": "\(report.markedMissing)", "reconcile.restored": "\(report.restored)",
        "reconcile.unreadable": "\(report.unreadable)", "reconcile.temp_removed": "\(report.tempFilesRemoved)",
        "reconcile.seconds": "\(secondsText(report.seconds))",
    ])
}
