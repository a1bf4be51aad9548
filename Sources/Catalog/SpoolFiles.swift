import Foundation
import Logging

/// The files reconcile brings the catalog in line with, without their layout: the node's
/// `DataDirectory` owns where they are and implements this. Every path is relative to the
/// data directory, as catalogued (`InstanceRecord.filePath`). Nothing here throws: what
/// cannot be listed, removed or moved is logged to the `logger` given and left alone.
public protocol SpoolFiles {
    /// Every instance file of the spool, in one walk.
    func instanceFiles(logger: Logger) -> [String]
    /// Deletes the temporary files of receptions that never finished; returns how many.
    func removeTemporaryFiles(logger: Logger) -> Int
    /// Whether a regular file (not a folder) is at `relative`.
    func isRegularFile(_ relative: String) -> Bool
    /// The size of the file at `relative`; nil if it cannot be read.
    func fileSize(_ relative: String) -> Int64?
    /// Moves an unreadable file out of the spool (never deletes it); returns its new path,
    /// or nil if it could not be moved.
    func quarantine(_ relative: String, logger: Logger) -> String?
    /// The file at `relative`, as handed to reconcile's reader.
    func url(of relative: String) -> URL
}
