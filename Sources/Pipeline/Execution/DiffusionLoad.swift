import DICOM
import Foundation

/// Loading the DWI series of an infarct job. A scanner's trace series may hold several
/// b-values at each slice position (b0 and b1000 in one series): the loader refuses a stack
/// with two images at one position, so the files are grouped by their b-value
/// (`DiffusionNaming.bValue`, per file) and the highest b of the trace range is loaded.
enum DiffusionLoad {
    /// The DWI volume of `files`, and when the series held several b-values, the one chosen and
    /// a note saying so.
    static func load(files: [String]) throws(VolumeError) -> (volume: LoadedVolume, bValue: Double?, note: String?) {
        do throws(VolumeError) {
            return (try VolumeLoader.load(files: files), nil, nil)
        } catch where error.code == .duplicatePosition {
            var groups: [Double: [String]] = [:]
            var unknown = 0
            for f in files {
                guard let h = try? FileInfo.read(path: f), let b = DiffusionNaming.bValue(of: h) else {
                    unknown += 1
                    continue
                }
                groups[b, default: []].append(f)
            }
            let traces = groups.keys.filter { DiffusionNaming.isTrace(bValue: $0) }
            guard unknown == 0, groups.count >= 2, let b = traces.max(), let chosen = groups[b] else {
                let said = groups.keys.sorted().map { "b=\(Int($0))" }.joined(separator: ", ")
                throw VolumeError(.duplicatePosition,
                                  "\(error.message); the DWI series holds several images per position and their b-values "
                                  + "cannot tell a b ≈ 1000 trace apart (\(said.isEmpty ? "no DiffusionBValue" : said)"
                                  + "\(unknown > 0 ? ", \(unknown) files without one" : ""))")
            }
            let loaded = try VolumeLoader.load(files: chosen)
            let others = groups.keys.sorted().filter { $0 != b }.map { "b=\(Int($0))" }.joined(separator: ", ")
            return (loaded, b, "DWI series holds several b-values: the b=\(Int(b)) images were used (\(others) left out)")
        }
    }
}
