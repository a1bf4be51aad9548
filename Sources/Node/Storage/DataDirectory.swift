import DICOM
import Foundation

/// The one owner of `data_dir`'s layout (DESIGN §5): no other code spells `spool/`,
/// `outbox/`, `quarantine/` or `autoseg.sqlite`.
///
///     data_dir/autoseg.sqlite                               the catalog
///     data_dir/spool/<StudyUID>/<SeriesUID>/<SOPInstanceUID>.dcm
///     data_dir/spool/.incoming/                             datasets being received (*.part)
///     data_dir/outbox/<ResultUID>.dcm                       results to deliver
///     data_dir/outbox/.work/job-<id>/                       a job's results while written
///     data_dir/quarantine/<study>/<series>/<name>           spool files reconcile cannot read
///
/// The catalog stores paths relative to the data directory (`spool/…`, `outbox/…`):
/// `instancePath` and `resultPath` make them, `url(of:)` resolves them. Only valid UIDs are
/// ever used as path parts: any other UID (stored, DESIGN §6) names its folder or file by a
/// digest (`UID.pathComponent`). The file-system half of reconcile is
/// `DataDirectory+SpoolFiles.swift`.
public struct DataDirectory: Sendable {
    /// `data_dir` itself (standardized).
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    /// `data_dir/autoseg.sqlite`.
    public var catalogPath: String { url(of: "autoseg.sqlite").path }
    /// `data_dir/spool`: one folder per study, one per series inside.
    public var spoolDirectory: URL { url(of: Self.spoolFolder) }
    /// `data_dir/spool/.incoming`: where the SCP writes a dataset before it is renamed into the spool.
    public var incomingDirectory: URL { spoolDirectory.appendingPathComponent(".incoming") }
    /// `data_dir/outbox`: result objects waiting for (or done with) delivery.
    public var outboxDirectory: URL { url(of: Self.outboxFolder) }
    /// `data_dir/outbox/.work`: the parent of every job's work folder.
    var outboxWorkDirectory: URL { outboxDirectory.appendingPathComponent(".work") }

    /// `data_dir/outbox/.work/job-<id>`: where a job writes its results before they are
    /// fsync'd and renamed into the outbox.
    func workDirectory(job id: Int64) -> URL {
        outboxWorkDirectory.appendingPathComponent("job-\(id)")
    }

    /// `spool/<study>/<series>/<instance>.dcm`, an instance's path as catalogued; a UID that
    /// is not valid is replaced by `x<digest>` (`UID.pathComponent`).
    static func instancePath(study: String, series: String, instance: String) -> String {
        "\(spoolFolder)/\(UID.pathComponent(study))/\(UID.pathComponent(series))/\(UID.pathComponent(instance)).dcm"
    }

    /// `outbox/<sopInstanceUID>.dcm`, a result's path as catalogued (result UIDs are ours and
    /// valid; the rule of `instancePath` applies all the same).
    static func resultPath(sopInstanceUID: String) -> String {
        "\(outboxFolder)/\(UID.pathComponent(sopInstanceUID)).dcm"
    }

    /// The file at a data-dir-relative path (as catalogued).
    public func url(of relative: String) -> URL {
        root.appendingPathComponent(relative)
    }

    /// The data-dir-relative form of an absolute path inside the data directory (a path
    /// outside it is returned whole).
    func relativePath(of url: URL) -> String {
        let base = root.path.hasSuffix("/") ? root.path : root.path + "/"
        let path = url.standardizedFileURL.path
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    /// Creates `spool/.incoming` and `outbox/.work` (and their parents), syncing every
    /// folder whose entries changed; removes nothing.
    func prepare() throws(FileSystem.Failure) {
        for folder in [incomingDirectory, outboxWorkDirectory] {
            for changed in try FileSystem.makeDirectories(folder.path) {
                try FileSystem.syncDirectory(changed)
            }
        }
    }

    /// The top-level folders, relative to `root`.
    static let spoolFolder = "spool"
    static let outboxFolder = "outbox"
    static let quarantineFolder = "quarantine"
}
