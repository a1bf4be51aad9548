import Catalog
import Foundation
import Logging

/// The file-system half of reconcile (`Catalog.reconcile(spool:reader:)`): one walk of
/// `spool/<study>/<series>/*.dcm`, removal of leftover `*.part` files in `spool/.incoming`,
/// and moving unreadable files to `quarantine/`. Paths are relative to the data directory,
/// as catalogued; failures are logged with `catalog.*` metadata, as the catalog's own.
extension DataDirectory: SpoolFiles {
    public func isRegularFile(_ relative: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url(of: relative).path, isDirectory: &isDirectory)
            && !isDirectory.boolValue
    }

    public func fileSize(_ relative: String) -> Int64? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url(of: relative).path) else { return nil }
        return (attributes[.size] as? NSNumber)?.int64Value
    }

    /// Deletes every `*.part` file anywhere under `spool/.incoming`; returns how many.
    public func removeTemporaryFiles(logger: Logger) -> Int {
        let files = FileManager.default
        let incomingPath = incomingDirectory.path
        guard let walk = files.enumerator(atPath: incomingPath) else { return 0 }
        var removed = 0
        while let name = walk.nextObject() as? String {
            guard name.hasSuffix(".part") else { continue }
            let path = incomingPath + "/" + name
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            do {
                try files.removeItem(atPath: path)
                removed += 1
            } catch {
                logger.warning("cannot remove temporary file", metadata: [
                    "catalog.file": "\(path)", "catalog.error": "\(error)",
                ])
            }
        }
        return removed
    }

    /// Every `*.dcm` entry of `spool/<study>/<series>/`, as `spool/<study>/<series>/<name>`.
    /// Hidden entries (`.incoming`) are skipped; folders that cannot be listed are logged.
    public func instanceFiles(logger: Logger) -> [String] {
        let spoolPath = spoolDirectory.path
        guard let studies = list(spoolPath, required: true, logger: logger) else { return [] }
        var found: [String] = []
        for study in studies where !study.hasPrefix(".") {
            guard let seriesNames = list(spoolPath + "/" + study, required: false, logger: logger) else { continue }
            for series in seriesNames where !series.hasPrefix(".") {
                let folder = spoolPath + "/" + study + "/" + series
                guard let names = list(folder, required: false, logger: logger) else { continue }
                for name in names where name.hasSuffix(".dcm") && !name.hasPrefix(".") {
                    found.append(Self.spoolFolder + "/" + study + "/" + series + "/" + name)
                }
            }
        }
        return found
    }

    /// Moves an unreadable file to `quarantine/<study>/<series>/<name>` (never deletes it; a
    /// name already taken gets `.1`, `.2`, … before its extension); returns the new relative
    /// path, or nil if it could not be moved (logged).
    public func quarantine(_ relative: String, logger: Logger) -> String? {
        let files = FileManager.default
        var inside = relative
        if inside.hasPrefix(Self.spoolFolder + "/") { inside.removeFirst(Self.spoolFolder.count + 1) }
        let target = Self.quarantineFolder + "/" + inside
        var candidate = target
        var attempt = 0
        while files.fileExists(atPath: url(of: candidate).path) {
            attempt += 1
            let ext = (target as NSString).pathExtension
            let stem = (target as NSString).deletingPathExtension
            candidate = ext.isEmpty ? "\(stem).\(attempt)" : "\(stem).\(attempt).\(ext)"
        }
        do {
            try files.createDirectory(at: url(of: candidate).deletingLastPathComponent(), withIntermediateDirectories: true)
            try files.moveItem(atPath: url(of: relative).path, toPath: url(of: candidate).path)
            return candidate
        } catch {
            logger.error("cannot move unreadable file to quarantine", metadata: [
                "catalog.file": "\(relative)", "catalog.quarantine": "\(candidate)", "catalog.error": "\(error)",
            ])
            return nil
        }
    }

    /// Names in a folder; nil (logged if it is a folder) when it cannot be listed.
    private func list(_ path: String, required: Bool, logger: Logger) -> [String]? {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            if exists && isDirectory.boolValue || required {
                logger.warning("cannot list spool folder", metadata: [
                    "catalog.folder": "\(path)", "catalog.error": "\(error)",
                ])
            }
            return nil
        }
    }
}
