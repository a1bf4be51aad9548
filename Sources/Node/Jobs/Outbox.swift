import Catalog
import DICOM
import Foundation
import Logging
import ServiceLifecycle

/// The outbox as a node service: due deliveries grouped per destination, sent with
/// `StorageSCU` over one association each, every C-STORE status recorded; failures back off
/// exponentially per result (capped at `retry_max_seconds`, persisted). Graceful shutdown
/// lets a send in progress finish.
final class Outbox: Service, @unchecked Sendable {
    let catalog: Catalog
    let dataDirectory: DataDirectory
    let config: NodeConfig
    /// Client credentials for `[[peers]]` with `tls = true` (nil: none configured).
    let deliveryTLS: TLSConfiguration?
    let logger: Logger
    /// Rung by the workers when results are ready.
    let threads = ServiceThreads(name: "autoseg-outbox")

    init(config: NodeConfig, catalog: Catalog, dataDirectory: DataDirectory, deliveryTLS: TLSConfiguration?, logger: Logger) {
        self.config = config
        self.catalog = catalog
        self.dataDirectory = dataDirectory
        self.deliveryTLS = deliveryTLS
        self.logger = logger
    }

    func run() async throws {
        await threads.runUntilShutdown(1) { [self] _ in loop() }
    }

    private func loop() {
        while !threads.isStopping {
            var sent = 0
            do {
                let due = try catalog.dueDeliveries()
                var groups: [Destination: [DeliveryRecord]] = [:]
                for d in due { groups[Destination(aeTitle: d.peerAE, host: d.host, port: d.port), default: []].append(d) }
                for (dest, items) in groups.sorted(by: { $0.key.aeTitle < $1.key.aeTitle }) where !threads.isStopping {
                    sent += deliver(items, to: dest)
                }
            } catch {
                logger.error("outbox check failed", metadata: ["error": "\(error)"])
            }
            if sent == 0 { threads.pause(0.5) }
        }
    }

    /// Sends `items` to `dest` over one association; records each C-STORE status. Returns
    /// how many the peer acknowledged.
    func deliver(_ items: [DeliveryRecord], to dest: Destination) -> Int {
        let t0 = Date()
        // DICOM TLS when the configured peer at this address asks for it.
        let useTLS = config.peers.contains { $0.tls && $0.aeTitle == dest.aeTitle && $0.host == dest.host && $0.port == dest.port }
        let scu = StorageSCU(peer: ApplicationEntity(aeTitle: dest.aeTitle, host: dest.host, port: dest.port),
                             callingAE: config.node.aeTitle, maxPDU: config.node.maxPDU,
                             acseTimeout: min(30, config.node.acseTimeout), dimseTimeout: 60,
                             tls: useTLS ? deliveryTLS : nil)
        var byPath: [String: DeliveryRecord] = [:]
        var paths: [String] = []
        for d in items {
            let path = dataDirectory.url(of: d.filePath).path
            if FileManager.default.fileExists(atPath: path) {
                byPath[path] = d
                paths.append(path)
            } else {
                failed(d, status: nil, error: "result file \(d.filePath) is missing from the outbox")
            }
        }
        guard !paths.isEmpty else { return 0 }
        var ok = 0
        var answered = Set<String>()
        do {
            let results = try scu.send(paths: paths)
            for r in results {
                guard let d = byPath[r.path] else { continue }
                answered.insert(r.path)
                if r.succeeded {
                    ok += 1
                    do { try catalog.deliverySucceeded(d.id, status: r.status.hex) } catch {
                        logger.error("cannot record a delivery", metadata: ["delivery.id": "\(d.id)", "error": "\(error)"])
                    }
                } else {
                    failed(d, status: r.sent ? r.status.hex : nil,
                           error: r.sent ? "peer answered \(r.status)\(r.message.isEmpty ? "" : ": \(r.message)")" : r.message)
                }
            }
            for (path, d) in byPath where !answered.contains(path) {
                failed(d, status: nil, error: "no C-STORE response")
            }
        } catch {
            for d in items where byPath.values.contains(where: { $0.id == d.id }) {
                failed(d, status: nil, error: "\(error)")
            }
        }
        logger.info("results delivered", metadata: [
            "delivery.peer": "\(dest.aeTitle)@\(dest.host):\(dest.port)", "delivery.acknowledged": "\(ok)",
            "delivery.attempted": "\(paths.count)", "delivery.seconds": "\(secondsText(Date().timeIntervalSince(t0)))",
        ])
        return ok
    }

    /// Exponential back-off: 1 s after the first failure, doubling, capped at `retry_max_seconds`.
    func retryDelay(afterAttempts attempts: Int) -> Double {
        min(config.pipeline.retryMaxSeconds, pow(2, Double(min(attempts, 30))))
    }

    func failed(_ d: DeliveryRecord, status: String?, error: String) {
        let delay = retryDelay(afterAttempts: d.attempts)
        logger.warning("delivery failed, will retry", metadata: [
            "result.uid": "\(d.resultUID)", "delivery.peer": "\(d.peerAE)@\(d.host):\(d.port)",
            "delivery.attempt": "\(d.attempts + 1)", "delivery.retry_in_s": "\(secondsText(delay))", "error": "\(error)",
        ])
        do {
            try catalog.deliveryFailed(d.id, status: status, error: error, retryAt: Date().addingTimeInterval(delay))
        } catch {
            logger.error("cannot record a delivery failure", metadata: ["delivery.id": "\(d.id)", "error": "\(error)"])
        }
    }
}
