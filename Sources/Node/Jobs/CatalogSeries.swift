import Catalog
import DICOM
import Foundation
import Pipeline

/// Series as the planner sees them, from the catalog: the files of a series (data-dir
/// relative in the catalog, absolute here) and the header of its first file.
struct CatalogSeries: Sendable {
    let catalog: Catalog
    let dataDirectory: DataDirectory

    /// The series, or nil when it has no stored instance.
    func scanned(_ seriesUID: String, study: String) throws -> ScannedSeries? {
        try scanned(seriesUID, study: study, files: catalog.instanceFiles(seriesInstanceUID: seriesUID))
    }

    /// The same, for `files` (data-dir-relative) already read from the catalog.
    func scanned(_ seriesUID: String, study: String, files relative: [String]) throws -> ScannedSeries? {
        let files = relative.map { dataDirectory.url(of: $0).path }
        guard let first = files.first else { return nil }
        let info = try FileInfo.read(path: first)
        return ScannedSeries(seriesInstanceUID: seriesUID, studyInstanceUID: study, files: files, first: info)
    }

    /// Every series of `study` with a stored instance.
    func study(_ study: String) throws -> [ScannedSeries] {
        try catalog.seriesOfStudy(study).compactMap { (try? scanned($0, study: study)) ?? nil }
    }
}
