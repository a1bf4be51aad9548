import Foundation
import Logging

extension Catalog {
    /// Brings the catalog in line with the spool (DESIGN §1), before the node listens.
    ///
    /// - deletes leftover temporary files (`spool.removeTemporaryFiles`);
    /// - every instance file of `spool` without a row (matched by `file_path`) is read with
    ///   `reader` and recorded (file path and size from the disk; received time, calling AE and
    ///   host as the reader found them in the file, "" when it has none), in batched transactions; a file `reader` cannot read, or whose record lacks a UID, is
    ///   moved aside with `spool.quarantine` (never deleted) with a warning;
    ///   a file holding an instance already catalogued at another existing path is left
    ///   alone and counted as a duplicate (warning);
    /// - rows whose file no longer exists become `missing` (logged); `missing` rows whose
    ///   file is back become `stored`.
    ///
    /// One directory walk and one query of the known paths, so 100 000 files are fine.
    /// `reader` is called without the catalog's lock held.
    public func reconcile(spool: some SpoolFiles, reader: (URL) throws -> InstanceRecord) throws -> ReconcileReport {
        let clock = ContinuousClock()
        let started = clock.now
        var report = ReconcileReport()

        report.tempFilesRemoved = spool.removeTemporaryFiles(logger: logger)
        if report.tempFilesRemoved > 0 {
            logger.info("removed leftover temporary files", metadata: ["catalog.count": "\(report.tempFilesRemoved)"])
        }

        var known: [String: KnownRow] = [:]
        for row in try withConnection({ c in
            try c.query("SELECT id, file_path, status FROM instances") {
                KnownRow(id: $0.int64(0), path: $0.text(1), missing: $0.text(2) == InstanceStatus.missing.rawValue)
            }
        }) {
            known[row.path] = row
        }

        let found = spool.instanceFiles(logger: logger)
        report.scanned = found.count
        var toRestore: [KnownRow] = []
        var toMarkMissing: [KnownRow] = []
        var newFiles: [String] = []
        for path in found {
            if let row = known.removeValue(forKey: path) {
                if row.missing { toRestore.append(row) }
            } else {
                newFiles.append(path)
            }
        }
        // Rows the walk did not see (normally gone; a path outside the layout is checked directly).
        for row in known.values {
            if spool.isRegularFile(row.path) {
                if row.missing { toRestore.append(row) }
            } else if !row.missing {
                toMarkMissing.append(row)
            }
        }
        known = [:]

        report.markedMissing = try setStatus(of: toMarkMissing, to: .missing)
        report.restored = try setStatus(of: toRestore, to: .stored)

        let batchSize = 500
        var start = 0
        while start < newFiles.count {
            let chunk = newFiles[start..<min(start + batchSize, newFiles.count)]
            start += batchSize
            var records: [InstanceRecord] = []
            for path in chunk {
                guard spool.isRegularFile(path) else { continue }
                let url = spool.url(of: path)
                var record: InstanceRecord
                do {
                    record = try reader(url)
                } catch {
                    report.unreadable += 1
                    quarantine(path, reason: "\(error)", spool: spool)
                    continue
                }
                record.filePath = path
                record.fileSize = spool.fileSize(path) ?? record.fileSize
                if let missing = record.missingIdentifier {
                    report.unreadable += 1
                    quarantine(path, reason: "\(missing) is empty", spool: spool)
                    continue
                }
                records.append(record)
            }
            let (added, duplicates) = try recordFound(records, spool: spool)
            report.added += added
            report.duplicates += duplicates
        }

        let elapsed = clock.now - started
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return report
    }

    /// Sets the status of rows still at their path and not already in that status, in
    /// transactions of 1000; logs each (the first 20, then a count). Returns rows changed.
    private func setStatus(of rows: [KnownRow], to status: InstanceStatus) throws -> Int {
        var changed = 0
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + 1000, rows.count)]
            start += 1000
            let paths = try withConnection { c in
                try c.transaction {
                    var paths: [String] = []
                    for row in chunk {
                        let n = try c.run(
                            "UPDATE instances SET status = ?1 WHERE id = ?2 AND file_path = ?3 AND status <> ?1",
                            [.text(status.rawValue), .integer(row.id), .text(row.path)])
                        if n > 0 { paths.append(row.path) }
                    }
                    return paths
                }
            }
            for path in paths {
                changed += 1
                guard changed <= 20 else { continue }
                if status == .missing {
                    logger.warning("catalogued file is missing", metadata: ["catalog.file": "\(path)"])
                } else {
                    logger.info("missing file is back", metadata: ["catalog.file": "\(path)"])
                }
            }
        }
        if changed > 20 {
            logger.warning("instance status changed", metadata: [
                "catalog.status": "\(status.rawValue)", "catalog.count": "\(changed)",
            ])
        }
        return changed
    }

    /// Records files found by the walk in one transaction. A SOP Instance UID already
    /// catalogued at this very path (stored meanwhile) is skipped; one catalogued at another
    /// path whose file exists is a duplicate and is skipped; otherwise the record is upserted.
    private func recordFound(_ records: [InstanceRecord], spool: some SpoolFiles) throws -> (added: Int, duplicates: Int) {
        guard !records.isEmpty else { return (0, 0) }
        let logger = self.logger
        return try withConnection { c in
            try c.transaction {
                var changes = HierarchyChanges()
                var added = 0
                var duplicates = 0
                for record in records {
                    let existing = try c.queryFirst(
                        "SELECT file_path FROM instances WHERE sop_instance_uid = ?",
                        [.text(record.sopInstanceUID)]) { $0.text(0) }
                    if let existing {
                        if existing == record.filePath { continue }
                        if spool.isRegularFile(existing) {
                            duplicates += 1
                            logger.warning("file holds an instance already catalogued elsewhere; left in place", metadata: [
                                "catalog.file": "\(record.filePath)", "catalog.catalogued_file": "\(existing)",
                                "sop.uid": "\(record.sopInstanceUID)",
                            ])
                            continue
                        }
                    }
                    try c.upsert(record, changes: &changes, logger: logger)
                    added += 1
                }
                try c.removeEmptyParents(changes)
                return (added, duplicates)
            }
        }
    }

    private func quarantine(_ path: String, reason: String, spool: some SpoolFiles) {
        let destination = spool.quarantine(path, logger: logger)
        logger.warning("unreadable file in spool moved to quarantine", metadata: [
            "catalog.file": "\(path)", "catalog.quarantine": "\(destination ?? "(not moved)")",
            "catalog.error": "\(reason)",
        ])
    }
}

/// A catalogued instance path as read once at the start of reconcile.
private struct KnownRow {
    var id: Int64
    var path: String
    var missing: Bool
}
