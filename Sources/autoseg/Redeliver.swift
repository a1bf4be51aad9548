import ArgumentParser
import Catalog
import Foundation
import Logging
import Node

/// `autoseg redeliver`: the operator's retry of results the outbox gave up on (dead letters:
/// refused permanently `dead_letter_after` times) — they become pending and due now; the
/// running node's outbox sends them within half a second. Safe while the node runs.
struct Redeliver: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Retry failed deliveries (dead letters) now: all, or those with the given ids (see autoseg status).",
        discussion: """
            Without --id it also plans deliveries for results kept in the outbox because no peer was configured \
            for the AE that sent their study: each goes to the [[peers]] entry with that AE title now in the \
            configuration, and to every peer with send_all.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(name: .customLong("id"), help: "A delivery id (repeatable); default: every failed delivery.")
    var ids: [Int64] = []

    func run() throws {
        let config = options.load()
        let dataDirectory = config.existingDataDirectory()
        var logger = Logger(label: "autoseg.redeliver")
        logger.logLevel = .warning
        do {
            let catalog = try Catalog(path: dataDirectory.catalogPath, logger: logger)
            let n = try catalog.retryFailedDeliveries(ids: ids.isEmpty ? nil : ids)
            print("\(n) failed deliver\(n == 1 ? "y" : "ies") pending again, due now")
            guard ids.isEmpty else { return }
            let planned = try catalog.planUndelivered { callingAE in
                config.peers.filter { $0.aeTitle == callingAE || $0.sendAll }
                    .map { Destination(aeTitle: $0.aeTitle, host: $0.host, port: $0.port) }
            }
            let left = try catalog.undeliveredCount()
            print("\(planned) deliver\(planned == 1 ? "y" : "ies") planned for results that had no peer"
                  + (left > 0 ? "; \(left) result(s) still have none (no [[peers]] entry for their calling AE)" : ""))
        } catch {
            fail("cannot update the catalog: \(error)", code: 1)
        }
    }
}
