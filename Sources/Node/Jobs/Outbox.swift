import Catalog
import DICOM
import Foundation
import Logging
import ServiceLifecycle

/// The outbox as a node service: due deliveries grouped per destination, each destination
/// sent to on a thread of its own (`Delivery`), so a stalled or black-holed PACS delays only
/// itself. Every C-STORE status is recorded as it arrives; failures back off exponentially per
/// result (capped at `retry_max_seconds`, persisted); permanent refusals become dead letters
/// after `dead_letter_after` attempts. Graceful shutdown stops new sends and waits for those in
/// progress only until the node's shutdown deadline (`shutdown_grace`), whatever a peer does.
final class Outbox: Service, @unchecked Sendable {
    let catalog: Catalog
    let delivery: Delivery
    let shutdown: ShutdownDeadline
    let logger: Logger
    /// The dispatcher; rung by the workers when results are ready and by a finished send.
    let threads = ServiceThreads(name: "autoseg-outbox")
    private let senders = NSCondition()
    private var busy: Set<Destination> = []

    init(config: NodeConfig, settings: LiveSettings, catalog: Catalog, dataDirectory: DataDirectory,
         deliveryTLS: TLSConfiguration?, deliveryHelper: URL?, shutdown: ShutdownDeadline, logger: Logger) {
        self.catalog = catalog
        self.shutdown = shutdown
        self.logger = logger
        delivery = Delivery(config: config, catalog: catalog, dataDirectory: dataDirectory, credentials: deliveryTLS,
                            settings: settings,
                            processes: DeliveryProcesses(helper: deliveryHelper), logger: logger)
        for p in config.peers where p.tls && p.insecure {
            logger.warning("results go to this peer over TLS WITHOUT verifying its certificate (insecure = true)",
                           metadata: ["delivery.peer": "\(p.aeTitle)@\(p.host):\(p.port)"])
        }
    }

    func run() async throws {
        threads.start(1) { [self] _ in dispatch() }
        try? await gracefulShutdown()
        await threads.stopAndWait()  // no new sends
        let deadline = shutdown.begin()
        let left = await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
            Thread.detachNewThread { [self] in
                var left = waitForSenders(until: deadline)
                if left > 0 {
                    // Their peers stall: end the delivery processes; what was not acknowledged
                    // stays pending and is sent after the next start.
                    delivery.processes.terminateAll()
                    left = waitForSenders(until: Date().addingTimeInterval(2))
                }
                c.resume(returning: left)
            }
        }
        if left > 0 {
            logger.warning("shutdown grace over with deliveries in progress; they are retried at the next start",
                           metadata: ["delivery.in_progress": "\(left)"])
        }
    }

    private func dispatch() {
        while !threads.isStopping {
            do {
                var groups: [Destination: [DeliveryRecord]] = [:]
                for d in try catalog.dueDeliveries() {
                    groups[Destination(aeTitle: d.peerAE, host: d.host, port: d.port), default: []].append(d)
                }
                for (dest, items) in groups where !threads.isStopping && claim(dest) {
                    let t = Thread { [self] in
                        delivery.send(items, to: dest)
                        release(dest)
                        threads.ring()
                    }
                    t.name = "autoseg-delivery"
                    t.start()
                }
            } catch {
                logger.error("outbox check failed", metadata: ["error": "\(error)"])
            }
            threads.pause(0.5)
        }
    }

    /// True when no send to `dest` is in progress (it is then marked busy).
    private func claim(_ dest: Destination) -> Bool {
        senders.withLock { busy.insert(dest).inserted }
    }

    private func release(_ dest: Destination) {
        senders.withLock {
            busy.remove(dest)
            senders.broadcast()
        }
    }

    /// Waits until no send is in progress or `deadline` passes; returns how many still are.
    private func waitForSenders(until deadline: Date) -> Int {
        senders.withLock {
            while !busy.isEmpty && senders.wait(until: deadline) {}
            return busy.count
        }
    }
}

/// When the node's graceful shutdown must be over: fixed by the first service that starts
/// waiting on peers (now + `shutdown_grace`); the services stopping after it get what is left.
final class ShutdownDeadline: @unchecked Sendable {
    private let lock = NSLock()
    private var deadline: Date?
    let grace: Double

    init(grace: Double) {
        self.grace = grace
    }

    /// The deadline, fixed on the first call.
    func begin() -> Date {
        lock.withLock {
            if deadline == nil { deadline = Date().addingTimeInterval(grace) }
            return deadline!
        }
    }

    /// Seconds left until the deadline (fixing it if needed), at least 0.
    func remaining() -> Double { max(0, begin().timeIntervalSinceNow) }
}
