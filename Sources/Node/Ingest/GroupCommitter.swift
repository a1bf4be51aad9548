import Catalog
import Foundation
import Logging

/// Group commit of the catalog rows (and of the folders created for new studies and
/// series) that make stores durable, shared by all associations. Leader/follower: the
/// first store to arrive while no commit runs becomes the leader and commits everything
/// queued in one transaction; stores arriving meanwhile queue up for the next batch. A
/// single association pays no thread hand-off; N concurrent ones share transactions.
final class GroupCommitter: @unchecked Sendable {
    struct Entry {
        /// Folders whose entries changed (parents of newly created folders).
        var directories: [String]
        var record: InstanceRecord
    }

    struct Failure: Error, CustomStringConvertible {
        var message: String
        var isNoSpace: Bool
        var description: String { message }
    }

    private final class Ticket {
        let entry: Entry
        var done = false
        var failure: Failure?
        init(_ entry: Entry) { self.entry = entry }
    }

    private let catalog: Catalog
    private let logger: Logger
    private let condition = NSCondition()
    private var queue: [Ticket] = []
    private var committing = false
    private var stopping = false
    private(set) var batches = 0
    private(set) var committed = 0

    init(catalog: Catalog, logger: Logger) {
        self.catalog = catalog
        self.logger = logger
    }

    /// Blocks the calling (DCMTK association) thread until the entry is committed.
    func commit(_ entry: Entry) throws(Failure) {
        let ticket = Ticket(entry)
        condition.lock()
        guard !stopping else {
            condition.unlock()
            throw Failure(message: "node is stopping", isNoSpace: false)
        }
        queue.append(ticket)
        while !ticket.done {
            if committing {
                condition.wait()
                continue
            }
            committing = true
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()
            let failures = perform(batch)
            condition.lock()
            for t in batch {
                t.failure = failures[ObjectIdentifier(t)]
                t.done = true
            }
            batches += 1
            committed += batch.count
            committing = false
            condition.broadcast()
        }
        condition.unlock()
        if let failure = ticket.failure { throw failure }
    }

    /// Refuses new entries and waits for a running commit to finish.
    func stop() {
        condition.lock()
        stopping = true
        while committing || !queue.isEmpty { condition.wait() }
        condition.unlock()
    }

    /// Returns the failure of each ticket that failed.
    private func perform(_ batch: [Ticket]) -> [ObjectIdentifier: Failure] {
        var failures: [ObjectIdentifier: Failure] = [:]
        var synced: [String: FileSystem.Failure?] = [:]
        var good: [Ticket] = []
        for ticket in batch {
            var failed: FileSystem.Failure?
            for dir in ticket.entry.directories {
                if synced[dir] == nil {
                    do {
                        try FileSystem.syncDirectory(dir)
                        synced[dir] = .some(nil)
                    } catch {
                        synced[dir] = .some(error)
                    }
                }
                if let error = synced[dir] ?? nil { failed = error }
            }
            if let failed {
                failures[ObjectIdentifier(ticket)] = Failure(message: failed.description, isNoSpace: failed.isNoSpace)
            } else {
                good.append(ticket)
            }
        }
        guard !good.isEmpty else { return failures }
        do {
            try catalog.recordInstances(good.map(\.entry.record))
        } catch {
            let text = "\(error)"
            let noSpace = (error as? CatalogError) == .diskFull || text.contains("SQLITE_FULL")
            logger.error("catalog commit failed", metadata: ["catalog.error": "\(text)", "batch.size": "\(good.count)"])
            for ticket in good {
                failures[ObjectIdentifier(ticket)] = Failure(message: "catalog: \(text)", isNoSpace: noSpace)
            }
        }
        return failures
    }
}
