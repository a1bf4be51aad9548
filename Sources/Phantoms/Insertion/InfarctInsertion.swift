import Foundation
import Imaging

/// Synthetic acute infarcts inserted into a real ADC map and its DWI b1000 trace (same grid), so
/// the analyzer is measured on real anatomy, real noise, real coil shading and real artefacts
/// with a known truth (the real case's own lesions have no mask here).
///
/// A lesion is an ellipsoid with a lumpy surface (random axes and orientation, the surface
/// radius modulated ±15 % by three low-order waves), rasterised with 3 × 3 × 3 subsamples per
/// voxel (partial volume), times the voxel's tissue share (CSF does not infarct: a voxel of ADC
/// a is (3000 − a) / (3000 − 900) tissue), blurred in-plane by the EPI point spread (σ half a
/// voxel). In it the tissue's ADC falls to the lesion's value (450–700 ×10⁻⁶ mm²/s: acute core to
/// mildly restricted) and its DWI rises by exp(b · ΔADC) (the trace's signal equation with S0
/// unchanged) times a T2 factor 1.0–1.2 (cytotoxic oedema). Both changes are added to the real
/// voxels as increments computed from the locally smoothed tissue values, so the real noise stays
/// as it was. The truth is where the (unblurred) lesion share is ≥ 0.5.
///
/// Three classes, after the lesions ISLES'22 holds: small cortical (0.1–1 mL, embolic, centred
/// 3–7 mm under the brain surface), deep/lacunar (0.2–1.5 mL, ≥ 28 mm deep: basal ganglia,
/// internal capsule, corona radiata), large territorial (10–60 mL, from a lateral surface point
/// ≥ 40 mm off the midline inwards through cortex and white matter, one hemisphere only).
/// Lesions are placed away from the background's own DWI hyperintensities (its real lesions and
/// artefacts, which have no truth) and from each other, and above the brain's inferior quarter
/// (skull-base susceptibility artefacts, where no truth can be told from the artefact).
public enum InfarctInsertion {
    public enum Kind: String, CaseIterable, Sendable { case cortical, deep, territorial }

    /// One inserted lesion.
    public struct Lesion: Sendable {
        public var kind: Kind
        /// Truth mask on the background's grid.
        public var truth: Mask
        public var volumeML: Double
        /// The lesion tissue's ADC (10⁻⁶ mm²/s) and T2 factor.
        public var adc: Double
        public var t2Factor: Double
        /// Centre voxel (slice, row, column).
        public var centre: SIMD3<Int>
    }

    /// The real background, analysed once: where lesions may go.
    public struct Background: Sendable {
        public var adc: Volume<Float>
        public var dwi: Volume<Float>
        var tissue: Mask
        /// Depth below the brain's outer surface, mm.
        var depth: Volume<Float>
        /// Voxels a new lesion must not touch: the background's own hyperintensities and the
        /// lesions inserted so far, with a margin.
        public var avoid: Mask
        var slices: ClosedRange<Int>
        /// The left–right in-plane axis is the column axis (else the row axis), its midline index.
        var alongColumns: Bool
        var midline: Double
        /// Locally smoothed tissue ADC and DWI: the base of the increments.
        var smoothADC: Volume<Float>
        var smoothDWI: Volume<Float>
    }

    /// ADC range of tissue (not CSF, not background), as the analyzer's.
    static let tissueADC: ClosedRange<Float> = 200...1500
    /// Margin (mm) kept around the background's hyperintensities and around each inserted lesion.
    static let marginMM = 6.0
    /// DWI brighter than this times the local tissue mean is a background hyperintensity.
    static let brightRatio: Float = 1.3

    public static func background(adc: Volume<Float>, dwi: Volume<Float>) -> Background {
        let n = adc.voxels.count
        let head = HoleFilling.fill3D(ConnectedComponents.largest(adc.map { $0 > 100 ? 1 : 0 }, connectivity: .faces6))
        var tissue = head
        for i in 0..<n where head.voxels[i] != 0 && !tissueADC.contains(adc.voxels[i]) { tissue.voxels[i] = 0 }
        let depth = DistanceTransform.euclidean(head)
        let sp = adc.spacing
        let localDWI = smooth(dwi, within: tissue, sigma: 10)
        var bright = Mask(dimensions: adc.dimensions, geometry: adc.geometry, repeating: 0)
        for i in 0..<n where tissue.voxels[i] != 0 && dwi.voxels[i] > brightRatio * localDWI.voxels[i] { bright.voxels[i] = 1 }
        let avoid = Morphology.dilate(bright, radius: marginMM)
        let d = adc.dimensions
        var zs: [Int] = []
        for s in 0..<d.slices where (0..<d.sliceSize).contains(where: { tissue.voxels[s * d.sliceSize + $0] != 0 }) { zs.append(s) }
        let lo = (zs.first ?? 0) + ((zs.last ?? 0) - (zs.first ?? 0)) / 4, hi = max(lo, (zs.last ?? 0) - 3)
        let g = adc.geometry
        let alongColumns = abs(g.columnDirection.x) >= abs(g.rowDirection.x)
        var sum = 0.0, k = 0
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns where head.voxels[d.index(s, r, c)] != 0 {
            sum += Double(alongColumns ? c : r)
            k += 1
        } } }
        let oneVoxel = max(sp.row, sp.column)
        return Background(adc: adc, dwi: dwi, tissue: tissue, depth: depth, avoid: avoid, slices: lo...hi,
                          alongColumns: alongColumns, midline: sum / Double(max(1, k)),
                          smoothADC: smooth(adc, within: tissue, sigma: oneVoxel),
                          smoothDWI: smooth(dwi, within: tissue, sigma: oneVoxel))
    }

    /// Inserts one lesion of `kind` into `bg.adc` / `bg.dwi` (and adds it to `bg.avoid`); nil
    /// when no place was found.
    public static func insert(_ kind: Kind, into bg: inout Background, rng: inout SplitMix64, bValue: Double = 1000) -> Lesion? {
        let d = bg.adc.dimensions, sp = bg.adc.spacing
        var places: [Int] = []
        for s in bg.slices {
            for j in 0..<d.sliceSize {
                let i = s * d.sliceSize + j
                guard bg.tissue.voxels[i] != 0, bg.avoid.voxels[i] == 0 else { continue }
                let a = bg.adc.voxels[i], depth = bg.depth.voxels[i]
                let lateralMM = abs(Double(bg.alongColumns ? j % d.columns : j / d.columns) - bg.midline)
                    * (bg.alongColumns ? sp.column : sp.row)
                switch kind {
                case .cortical: if depth >= 3 && depth <= 7 && a > 600 && a < 1100 { places.append(i) }
                case .deep: if depth >= 28 && a > 600 && a < 950 { places.append(i) }
                case .territorial: if depth >= 2 && depth <= 6 && lateralMM > 40 { places.append(i) }
                }
            }
        }
        guard !places.isEmpty else { return nil }
        for _ in 0..<20 {
            let i = places[Int(rng.fraction() * Double(places.count))]
            let volume = switch kind {
            case .cortical: rng.uniform(0.1...1.0)
            case .deep: rng.uniform(0.2...1.5)
            case .territorial: rng.uniform(10...60)
            }
            if let lesion = place(kind, at: i, volumeML: volume, into: &bg, rng: &rng, bValue: bValue) { return lesion }
        }
        return nil
    }

    /// Dice of `core` against one lesion's truth, within `marginMM` of it (the background's own
    /// lesions elsewhere do not count), and whether they overlap at all.
    public static func score(core: Mask, lesion: Lesion) -> (dice: Double, detected: Bool) {
        let near = Morphology.dilate(lesion.truth, radius: marginMM)
        var both = 0, p = 0, t = 0
        for i in 0..<core.voxels.count where near.voxels[i] != 0 {
            let c = core.voxels[i] != 0, tr = lesion.truth.voxels[i] != 0
            if c { p += 1 }
            if tr { t += 1 }
            if c && tr { both += 1 }
        }
        return (2 * Double(both) / Double(max(1, p + t)), both > 0)
    }

    /// Normalised in-plane Gaussian smoothing (σ mm) over `mask`; the value itself outside it.
    static func smooth(_ v: Volume<Float>, within mask: Mask, sigma: Double) -> Volume<Float> {
        var num = v, den = v
        for i in 0..<v.voxels.count {
            num.voxels[i] = mask.voxels[i] != 0 ? v.voxels[i] : 0
            den.voxels[i] = mask.voxels[i] != 0 ? 1 : 0
        }
        num = Gaussian.smooth(num, sigmaSlice: 0, sigmaRow: sigma, sigmaColumn: sigma)
        den = Gaussian.smooth(den, sigmaSlice: 0, sigmaRow: sigma, sigmaColumn: sigma)
        var out = v
        for i in 0..<v.voxels.count where den.voxels[i] > 1e-3 { out.voxels[i] = num.voxels[i] / den.voxels[i] }
        return out
    }
}
