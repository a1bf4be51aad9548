import Analysis
import DICOM
import Foundation

/// The files of one series found among inputs, with what the router and analyzers need.
public struct ScannedSeries: Sendable {
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var files: [String]
    /// Header of the first file (modality, body part, description, image type, contrast, …).
    public var first: FileInfo

    /// What the series is to an analyzer, from its attributes: an ADC map (MR, "ADC" in the
    /// description or image type), a CT perfusion map ("TMAX" / "CBF" but not "CBV" in the
    /// description), otherwise an image.
    public var role: InputRole {
        let text = ((first.seriesDescription ?? "") + " " + first.imageType.joined(separator: " ")).uppercased()
        let words = Set(text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
        if first.modality == "MR" && (words.contains("ADC") || text.contains("APPARENT DIFFUSION")) { return .adc }
        if words.contains("TMAX") { return .tmax }
        if words.contains("RCBF") || words.contains("CBF") { return .rcbf }
        return .image
    }

    /// SeriesInfo for the analyzer (units come from the loaded volume).
    public func info(units: String) -> SeriesInfo {
        SeriesInfo(seriesInstanceUID: seriesInstanceUID, modality: first.modality ?? "",
                   bodyPart: (first.bodyPartExamined ?? "").uppercased(),
                   seriesDescription: first.seriesDescription ?? "", sliceThicknessMM: first.sliceThickness,
                   imageType: first.imageType.map { $0.uppercased() }, contrastAgent: first.contrastBolusAgent ?? "",
                   units: units)
    }
}

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

/// `map` over all cores, results in input order.
enum ParallelMap {
    static func map<T: Sendable, R: Sendable>(_ items: [T], _ f: @Sendable (T) -> R) -> [R] {
        let box = ResultsBox<R>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: items.count) { i in box.set(i, f(items[i])) }
        return box.values
    }

    private final class ResultsBox<R>: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [R?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ r: R) { lock.lock(); slots[i] = r; lock.unlock() }
        var values: [R] { slots.map { $0! } }
    }
}
