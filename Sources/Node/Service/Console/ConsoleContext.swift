import Catalog
import DICOM
import Foundation

/// What the console works with: the status server's source (configuration, read-only catalog,
/// ingest counters), when the node started, its access policy, and for actions the node's
/// writing catalog and a way to wake the workers and the outbox.
struct ConsoleContext: Sendable {
    let source: StatusSource
    let started: Date
    let access: ConsoleAccess

    /// The catalog actions write through: the node's own (one writer per process).
    var writer: Catalog { source.writer ?? source.catalog }

    /// Where results of a study from `callingAE` go (as `JobRunner.destinations`): the peer
    /// with that AE title and every `send_all` peer.
    static func destinations(callingAE: String, peers: [Peer]) -> [Destination] {
        var out: [Destination] = []
        for p in peers where p.aeTitle == callingAE || p.sendAll {
            let d = Destination(aeTitle: p.aeTitle, host: p.host, port: p.port)
            if !out.contains(d) { out.append(d) }
        }
        return out
    }

    /// C-ECHO of configured peer `index`, on a thread of its own (the SCU blocks up to its
    /// ACSE timeout). Returns the line to show.
    func echo(peer index: Int) async -> (text: String, ok: Bool) {
        let peers = source.peers
        guard peers.indices.contains(index) else { return ("no peer \(index) in the configuration", false) }
        let p = peers[index]
        let target = ApplicationEntity(aeTitle: p.aeTitle, host: p.host, port: p.port)
        let tls = source.peerTLS(Destination(aeTitle: p.aeTitle, host: p.host, port: p.port))
        let scu = StorageSCU(peer: target, callingAE: source.config.node.aeTitle,
                             acseTimeout: source.config.pipeline.deliveryTimeout,
                             dimseTimeout: source.config.pipeline.deliveryTimeout, tls: tls)
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let start = Date()
                do throws(DICOMError) {
                    try scu.echo()
                    let ms = Date().timeIntervalSince(start) * 1000
                    continuation.resume(returning: ("C-ECHO \(target): success (\(String(format: "%.1f", ms)) ms)", true))
                } catch {
                    continuation.resume(returning: ("C-ECHO \(target) failed: \(error)", false))
                }
            }
        }
    }
}
