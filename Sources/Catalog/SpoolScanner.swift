import Foundation
import Logging

/// The file-system half of reconcile: one walk of `spool/<study>/<series>/*.dcm`,
/// removal of leftover `*.part` files in `spool/.incoming`, and moving unreadable files
/// to `quarantine/`. Paths it returns are relative to the data directory, as catalogued.
struct SpoolScanner {
    let dataDirectory: URL
    let logger: Logger
    private let files = FileManager.default

    init(dataDirectory: URL, logger: Logger) {
        self.dataDirectory = dataDirectory
        self.logger = logger
    }

    var spoolPath: String { dataDirectory.appendingPathComponent("spool").path }
    var incomingPath: String { dataDirectory.appendingPathComponent("spool/.incoming").path }

    func absolutePath(_ relative: String) -> String {
        dataDirectory.appendingPathComponent(relative).path
    }

    func isRegularFile(_ relative: String) -> Bool {
        var isDirectory: ObjCBool = false
        return files.fileExists(atPath: absolutePath(relative), isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    func fileSize(_ relative: String) -> Int64? {
        guard let attributes = try? files.attributesOfItem(atPath: absolutePath(relative)) else { return nil }
        return (attributes[.size] as? NSNumber)?.int64Value
    }

    /// Deletes every `*.part` file anywhere under `spool/.incoming`; returns how many.
    func removeTemporaryFiles() -> Int {
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
    func instanceFiles() -> [String] {
        guard let studies = list(spoolPath, required: true) else { return [] }
        var found: [String] = []
        for study in studies where !study.hasPrefix(".") {
            guard let seriesNames = list(spoolPath + "/" + study, required: false) else { continue }
            for series in seriesNames where !series.hasPrefix(".") {
                guard let names = list(spoolPath + "/" + study + "/" + series, required: false) else { continue }
                for name in names where name.hasSuffix(".dcm") && !name.hasPrefix(".") {
                    found.append("spool/" + study + "/" + series + "/" + name)
                }
            }
        }
        return found
    }

    /// Moves an unreadable file to `quarantine/<study>/<series>/<name>` (never deletes it);
    /// returns the new relative path, or nil if it could not be moved (logged).
    func quarantine(_ relative: String) -> String? {
        var inside = relative
        if inside.hasPrefix("spool/") { inside.removeFirst("spool/".count) }
        let target = "quarantine/" + inside
        var candidate = target
        var attempt = 0
        while files.fileExists(atPath: absolutePath(candidate)) {
            attempt += 1
            let ext = (target as NSString).pathExtension
            let stem = (target as NSString).deletingPathExtension
            candidate = ext.isEmpty ? "\(stem).\(attempt)" : "\(stem).\(attempt).\(ext)"
        }
        do {
            let folder = (absolutePath(candidate) as NSString).deletingLastPathComponent
            try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try files.moveItem(atPath: absolutePath(relative), toPath: absolutePath(candidate))
            return candidate
        } catch {
            logger.error("cannot move unreadable file to quarantine", metadata: [
                "catalog.file": "\(relative)", "catalog.quarantine": "\(candidate)", "catalog.error": "\(error)",
            ])
            return nil
        }
    }

    /// Names in a folder; nil (logged if it is a folder) when it cannot be listed.
    private func list(_ path: String, required: Bool) -> [String]? {
        do {
            return try files.contentsOfDirectory(atPath: path)
        } catch {
            var isDirectory: ObjCBool = false
            let exists = files.fileExists(atPath: path, isDirectory: &isDirectory)
            if exists && isDirectory.boolValue || required {
                logger.warning("cannot list spool folder", metadata: [
                    "catalog.folder": "\(path)", "catalog.error": "\(error)",
                ])
            }
            return nil
        }
    }
}
