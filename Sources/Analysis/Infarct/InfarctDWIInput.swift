import Foundation
import Imaging

/// The DWI trace of an MR infarct job, made ready for `InfarctDiffusion`: checked to belong
/// with the ADC map and brought onto its grid.
enum InfarctDWIInput {
    /// Least share of the ADC map's brain voxels the DWI must cover to be read with it.
    static let minimumCoverage = 0.5

    /// The DWI on the ADC map's grid (0 where it has no data), or nil when it cannot be used and
    /// the ADC map is read alone; with notes saying what was done. Refuses a DWI of another
    /// frame of reference (its coordinates cannot be related to the ADC map's), of another
    /// modality, or one that covers too little of the ADC map's brain.
    static func onADCGrid(_ trace: InputSeries, adc: InputSeries) throws(AnalysisError) -> (Volume<Float>?, [String]) {
        let m = trace.info.modality.uppercased()
        guard m.isEmpty || m == "MR" else { throw .refused("the DWI trace must be MR; this series is \(m)") }
        let a = adc.info.frameOfReferenceUID, b = trace.info.frameOfReferenceUID
        guard a.isEmpty || b.isEmpty || a == b else {
            throw .refused("the DWI trace and the ADC map are in different frames of reference (\(b) vs \(a)): "
                           + "their voxels cannot be related")
        }
        if let bValue = trace.info.diffusionBValue, !InfarctCore.dwiBValues.contains(bValue) {
            return (nil, ["DWI series has b = \(Int(bValue)) s/mm², not a b ≈ 1000 trace: not used; core from the ADC map "
                          + "alone (ADC < 620), lower confidence"])
        }
        var notes: [String] = []
        if trace.info.diffusionBValue == nil {
            notes.append("DWI b-value not stated (no DiffusionBValue, none in the description): read as the b ≈ 1000 trace")
        }
        let g = adc.volume.geometry, d = adc.volume.dimensions
        guard trace.volume.dimensions.count > 0 else { return (nil, ["DWI series is empty: not used"]) }
        var v: Volume<Float>
        if InfarctCore.sameGrid(adc.volume, trace.volume) {
            v = trace.volume
        } else {
            v = Resample.trilinear(trace.volume, to: g, dimensions: d, outside: -1)
            let t = trace.volume.dimensions, sp = trace.volume.spacing
            notes.append("DWI (\(t), \(InfarctCore.fmt(sp.row, 2)) × \(InfarctCore.fmt(sp.column, 2)) × "
                         + "\(InfarctCore.fmt(sp.slice, 2)) mm) resampled onto the ADC grid (trilinear, patient coordinates)")
        }
        var brain = 0, covered = 0
        for i in 0..<v.voxels.count {
            if adc.volume.voxels[i] > InfarctMR.brainThreshold {
                brain += 1
                if v.voxels[i] >= 0 { covered += 1 }
            }
            if v.voxels[i] < 0 { v.voxels[i] = 0 }
        }
        let share = Double(covered) / Double(max(1, brain))
        guard share >= minimumCoverage else {
            throw .refused("the DWI trace covers \(Int((share * 100).rounded())) % of the ADC map's brain "
                           + "(needs ≥ \(Int(minimumCoverage * 100)) %): the two series do not show the same brain")
        }
        if share < 0.98 { notes.append("DWI covers \(Int((share * 100).rounded())) % of the ADC map's brain; no core outside it") }
        return (v, notes)
    }
}
