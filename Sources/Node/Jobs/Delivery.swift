import Catalog
import DICOM
import Foundation
import Logging

/// One batch of results to one destination over one association (`StorageSCU`, in a delivery
/// process: `DeliveryProcesses`), with
/// `delivery_timeout` for connecting, association acceptance and each C-STORE response. Each
/// result is recorded the moment its own response arrives (a crash mid-batch re-sends only
/// what was not acknowledged). A permanent refusal (`isPermanent`) becomes a dead letter after
/// `dead_letter_after` attempts; anything else is retried with exponential back-off.
struct Delivery: Sendable {
    let config: NodeConfig
    let catalog: Catalog
    let dataDirectory: DataDirectory
    /// `security.cert_file`/`key_file` (and `ca_file`) for peers with `tls = true`.
    let credentials: TLSConfiguration?
    /// Peers as last (re)loaded (their TLS settings).
    let settings: LiveSettings
    let processes: DeliveryProcesses
    let logger: Logger

    /// The CA store used to verify a TLS peer when `security.ca_file` is not set.
    static let systemCADirectory = "/etc/ssl/certs"

    /// Sends `items` to `dest`; returns how many the peer acknowledged.
    @discardableResult
    func send(_ items: [DeliveryRecord], to dest: Destination) -> Int {
        let t0 = Date()
        var byPath: [String: DeliveryRecord] = [:]
        var paths: [String] = []
        for d in items {
            let path = dataDirectory.url(of: d.filePath).path
            if FileManager.default.fileExists(atPath: path) {
                byPath[path] = d
                paths.append(path)
            } else {
                failed(d, status: nil, error: "result file \(d.filePath) is missing from the outbox", permanent: true)
            }
        }
        guard !paths.isEmpty else { return 0 }
        var ok = 0
        var answered = Set<String>()
        var failure: String?
        let batch = DeliveryBatch(peer: ApplicationEntity(aeTitle: dest.aeTitle, host: dest.host, port: dest.port),
                                  callingAE: config.node.aeTitle, maxPDU: config.node.maxPDU,
                                  timeout: config.pipeline.deliveryTimeout, tls: tls(for: dest), paths: paths)
        do {
            try processes.send(batch) { r in
                guard let d = byPath[r.path], answered.insert(r.path).inserted else { return }
                if r.succeeded {
                    ok += 1
                    do { try catalog.deliverySucceeded(d.id, status: r.status.hex) } catch {
                        logger.error("cannot record a delivery", metadata: ["delivery.id": "\(d.id)", "error": "\(error)"])
                    }
                } else if r.sent {
                    failed(d, status: r.status.hex, error: "peer answered \(r.status)\(r.message.isEmpty ? "" : ": \(r.message)")",
                           permanent: Self.isPermanent(r.status))
                } else {
                    failed(d, status: nil, error: r.message, permanent: false)
                }
            }
        } catch {
            failure = "\(error)"
        }
        for (path, d) in byPath where !answered.contains(path) {
            failed(d, status: nil, error: failure ?? "no C-STORE response", permanent: false)
        }
        logger.info("results delivered", metadata: [
            "delivery.peer": "\(dest.aeTitle)@\(dest.host):\(dest.port)", "delivery.acknowledged": "\(ok)",
            "delivery.attempted": "\(paths.count)", "delivery.seconds": "\(secondsText(Date().timeIntervalSince(t0)))",
        ])
        return ok
    }

    /// DICOM TLS when the configured peer at this address asks for it: the node's client
    /// credentials, the peer verified against `security.ca_file` or the system's CAs, unless
    /// the peer says `insecure = true`.
    func tls(for dest: Destination) -> TLSConfiguration? {
        guard let peer = settings.peers.first(where: {
                  $0.tls && $0.aeTitle == dest.aeTitle && $0.host == dest.host && $0.port == dest.port
              })
        else { return nil }
        return PeerTLS.client(peer: peer, credentials: credentials)
    }

    /// A refusal that no retry can change (PS3.4 C.4.2.1.4, PS3.7 C): the SOP class is not
    /// supported (0122), not authorized (0124), the data set does not match (A9xx) or cannot be
    /// understood (Cxxx). Out of resources (A7xx) and processing failures (0110) are transient.
    static func isPermanent(_ status: DIMSEStatus) -> Bool {
        let v = status.rawValue
        if v & 0xF000 == 0xC000 || v & 0xFF00 == 0xA900 { return true }
        return [0x0122, 0x0124, 0x0117].contains(v)
    }

    /// Exponential back-off: 1 s after the first failure, doubling, capped at `retry_max_seconds`.
    func retryDelay(afterAttempts attempts: Int) -> Double {
        min(config.pipeline.retryMaxSeconds, pow(2, Double(min(attempts, 30))))
    }

    func failed(_ d: DeliveryRecord, status: String?, error: String, permanent: Bool) {
        let delay = retryDelay(afterAttempts: d.attempts)
        let deadLetter = permanent && d.attempts + 1 >= config.pipeline.deadLetterAfter
        var meta: Logger.Metadata = [
            "result.uid": "\(d.resultUID)", "delivery.peer": "\(d.peerAE)@\(d.host):\(d.port)",
            "delivery.attempt": "\(d.attempts + 1)", "error": "\(error)",
        ]
        if deadLetter {
            logger.error("delivery refused permanently: dead letter, not retried until `autoseg redeliver`", metadata: meta)
        } else {
            meta["delivery.retry_in_s"] = "\(secondsText(delay))"
            logger.warning("delivery failed, will retry", metadata: meta)
        }
        do {
            try catalog.deliveryFailed(d.id, status: status, error: error, retryAt: Date().addingTimeInterval(delay),
                                       deadLetter: deadLetter)
        } catch {
            logger.error("cannot record a delivery failure", metadata: ["delivery.id": "\(d.id)", "error": "\(error)"])
        }
    }
}

/// How the node talks TLS to a configured peer (deliveries, `autoseg echo PEER`).
public enum PeerTLS {
    /// The TLS settings for talking to `peer` as a client (nil: plain TCP, or no credentials).
    public static func client(peer: Peer, credentials: TLSConfiguration?) -> TLSConfiguration? {
        guard peer.tls, let credentials else { return nil }
        var t = credentials
        if peer.insecure {
            t.caFile = nil
            t.caDirectory = nil
            t.requirePeerCertificate = false
        } else if t.caFile == nil && t.caDirectory == nil {
            t.caDirectory = Delivery.systemCADirectory
            t.requirePeerCertificate = true
        }
        return t
    }
}
