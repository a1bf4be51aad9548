import Analysis
import DICOM
import Foundation

/// Finds DICOM files under the inputs (files or folders, recursively) and groups them by
/// series. Files that are not DICOM are listed with the reason, never fatal.
public enum SeriesScan {
    public struct Result: Sendable {
        public var series: [ScannedSeries]
        public var skipped: [(path: String, reason: String)]
    }

    /// Folders under `excluding` are not walked (`autoseg run` skips its own output folder, so
    /// results written inside an input folder are not read back as input on a re-run).
    public static func scan(_ inputs: [String], excluding: [URL] = []) -> Result {
        var files: [String] = [], skipped: [(String, String)] = []
        let fm = FileManager.default
        let excluded = Set(excluding.map { $0.standardizedFileURL.resolvingSymlinksInPath().path })
        for input in inputs {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: input, isDirectory: &isDir) else {
                skipped.append((input, "no such file or folder"))
                continue
            }
            if !isDir.boolValue { files.append(input); continue }
            let base = URL(fileURLWithPath: input)
            guard let e = fm.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey, .isDirectoryKey]) else { continue }
            for case let url as URL in e {
                let kind = try? url.resourceValues(forKeys: [.isRegularFileKey, .isDirectoryKey])
                if kind?.isDirectory == true {
                    if excluded.contains(url.standardizedFileURL.resolvingSymlinksInPath().path) { e.skipDescendants() }
                    continue
                }
                guard kind?.isRegularFile == true else { continue }
                let name = url.lastPathComponent
                if name.hasPrefix(".") || name.hasSuffix(".json") || name.hasSuffix(".nii") { continue }
                files.append(url.path)
            }
        }
        files.sort()
        let infos = ParallelMap.map(files) { path -> Swift.Result<FileInfo, DICOMError> in
            do throws(DICOMError) { return .success(try FileInfo.read(path: path)) } catch { return .failure(error) }
        }
        var bySeries: [String: ScannedSeries] = [:], order: [String] = []
        for (path, r) in zip(files, infos) {
            switch r {
            case .failure(let e): skipped.append((path, "not readable as DICOM: \(e)"))
            case .success(let info):
                guard !info.seriesInstanceUID.isEmpty else { skipped.append((path, "no SeriesInstanceUID")); continue }
                if bySeries[info.seriesInstanceUID] == nil {
                    order.append(info.seriesInstanceUID)
                    bySeries[info.seriesInstanceUID] = ScannedSeries(seriesInstanceUID: info.seriesInstanceUID,
                                                                     studyInstanceUID: info.studyInstanceUID, files: [], first: info)
                }
                bySeries[info.seriesInstanceUID]!.files.append(path)
            }
        }
        return Result(series: order.map { bySeries[$0]! }, skipped: skipped)
    }
}
