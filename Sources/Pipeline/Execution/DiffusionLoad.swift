import Analysis
import DICOM
import Foundation
import Imaging

/// Loading the DWI series of an infarct job. A scanner's trace series may hold several
/// b-values at each slice position (b0 and b1000 in one series): the loader refuses a stack
/// with two images at one position, so the files are grouped by their b-value
/// (`DiffusionNaming.bValue`, per file) and the highest b of the trace range is loaded.
enum DiffusionLoad {
    /// The highest b-value (s/mm²) of an image the ADC can be computed against: b0, or the b50
    /// some protocols use instead to null perfusion (the fit error of ln(S50/S1000)/950 is a few %).
    static let lowB = 0.0...50.0

    /// A DWI series without its ADC map: the trace and the ADC computed from it when the series
    /// also holds low-b images (ADC = ln(S_low / S_b) / (b − b_low), ×10⁶ for 10⁻⁶ mm²/s, 0 where
    /// either signal is 0: the background), else nil with the reason.
    static func loadWithADC(files: [String]) throws(VolumeError)
        -> (trace: LoadedVolume, bValue: Double, adc: Volume<Float>?, note: String)
    {
        var groups: [Double: [String]] = [:]
        for f in files {
            if let h = try? FileInfo.read(path: f), let b = DiffusionNaming.bValue(of: h) { groups[b, default: []].append(f) }
        }
        let traces = groups.keys.filter { DiffusionNaming.isTrace(bValue: $0) }
        guard let b = traces.max(), let low = groups.keys.filter({ lowB.contains($0) }).min(),
              let traceFiles = groups[b], let lowFiles = groups[low] else {
            let (volume, chosen, _) = try load(files: files)
            let said = groups.keys.sorted().map { "b=\(Int($0))" }.joined(separator: ", ")
            return (volume, chosen ?? 1000, nil,
                    "no ADC map, and the DWI series holds no b0 image beside its trace to compute one from "
                    + "(b-values \(said.isEmpty ? "not stated" : said))")
        }
        let trace = try VolumeLoader.load(files: traceFiles), s0 = try VolumeLoader.load(files: lowFiles)
        guard trace.volume.dimensions == s0.volume.dimensions else {
            return (trace, b, nil, "the DWI series' b=\(Int(low)) and b=\(Int(b)) images do not form the same grid: no ADC computed")
        }
        var adc = trace.volume
        for i in 0..<adc.voxels.count {
            let sb = Double(trace.volume.voxels[i]), sl = Double(s0.volume.voxels[i])
            adc.voxels[i] = sb > 0 && sl > 0 ? Float(max(0, log(sl / sb) / (b - low) * 1e6)) : 0
        }
        return (trace, b, adc, "no ADC map in the study: the ADC was computed from the DWI series' b=\(Int(low)) and "
                + "b=\(Int(b)) images, ln(S\(Int(low)) / S\(Int(b))) / \(Int(b - low)) s/mm² (scanner maps may differ: more b-values, "
                + "other fits)")
    }

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
