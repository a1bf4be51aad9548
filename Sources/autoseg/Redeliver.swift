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
        abstract: "Retry failed deliveries (dead letters) now: all, or those with the given ids (see autoseg status).")

    @OptionGroup var options: ConfigOptions
    @Option(name: .customLong("id"), help: "A delivery id (repeatable); default: every failed delivery.")
    var ids: [Int64] = []

    func run() throws {
        let dataDirectory = options.load().existingDataDirectory()
        var logger = Logger(label: "autoseg.redeliver")
        logger.logLevel = .warning
        do {
            let catalog = try Catalog(path: dataDirectory.catalogPath, logger: logger)
            let n = try catalog.retryFailedDeliveries(ids: ids.isEmpty ? nil : ids)
            print("\(n) failed deliver\(n == 1 ? "y" : "ies") pending again, due now")
        } catch {
            fail("cannot update the catalog: \(error)", code: 1)
        }
    }
}
