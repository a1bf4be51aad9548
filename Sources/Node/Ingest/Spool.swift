import Foundation

/// Where instances live on disk (DESIGN §5):
/// `data_dir/spool/<StudyUID>/<SeriesUID>/<SOPInstanceUID>.dcm`, with datasets received
/// into `data_dir/spool/.incoming/` first. Only valid UIDs are ever used as path parts.
public struct Spool: Sendable {
    public let dataDirectory: URL
    public var spoolDirectory: URL { dataDirectory.appendingPathComponent("spool") }
    public var incomingDirectory: URL { spoolDirectory.appendingPathComponent(".incoming") }
    public var catalogPath: String { dataDirectory.appendingPathComponent("autoseg.sqlite").path }

    public init(dataDirectory: URL) {
        self.dataDirectory = dataDirectory.standardizedFileURL
    }

    /// Creates the folders; removes nothing.
    func prepare() throws(FileSystem.Failure) {
        for dir in try FileSystem.makeDirectories(incomingDirectory.path) {
            try FileSystem.syncDirectory(dir)
        }
    }

    /// Path relative to the data directory, as catalogued.
    static func relativePath(study: String, series: String, instance: String) -> String {
        "spool/\(study)/\(series)/\(instance).dcm"
    }

    func absolutePath(relative: String) -> String {
        dataDirectory.appendingPathComponent(relative).path
    }

    /// The data-dir-relative form of an absolute path inside the data directory.
    func relativePath(of url: URL) -> String {
        let base = dataDirectory.path.hasSuffix("/") ? dataDirectory.path : dataDirectory.path + "/"
        let path = url.standardizedFileURL.path
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }
}
