import Foundation
import Imaging

/// Shape across scales: the Hessian of the lung image at the candidate, Gaussian derivatives at
/// the scale σ of its strongest dot response and at 2σ. Printed in the debug listing
/// (AUTOSEG_LUNG_DEBUG=1) as a diagnostic, not a rejection rule: tried as one (issue 12, branch
/// `lungfp`) it did not separate cleanly. HU capped at 100: the lidc-0001 false positives at 2σ
/// 0.05 (hilar vessel root), 0.20, 0.23, 0.34, 0.45, 0.60, the true nodules 0.49 and 0.82; 5 → 3
/// false positives but phantom ground-glass nodules beside vessels lost (quality seeds 1002,
/// 1003). Capped at the candidate's core: 5 → 4 (the root at 0.20), a phantom ground-glass
/// nodule lost (seed 1006, 0.05). At 2σ only with a solid core: no gain.
///
/// A nodule is a blob: all three curvatures negative (bright in every direction) and of similar
/// size. A vessel is a tube (two large negative, one near zero along its axis). Where vessels
/// branch or a vessel root leaves the hilum, the dot filter answers at a small scale and the spot
/// looks blob-like there, but a window twice as wide takes in the branches: along them the
/// curvature is weak. The test: at σ and at 2σ the weakest curvature must be at least
/// `minimumCurvatureRatio` of the strongest. For an ellipsoid the curvatures at its centre go as
/// 1/axis², so a nodule within the elongation the segmenter already accepts (axis ratio ≤
/// `maxElongation`) passes at σ; blurring at a larger scale only makes an isolated object
/// rounder, so it passes at 2σ too, unless something elongated runs through it.
///
/// Only lung voxels count (others at the parenchyma's HU), so the chest wall and the mediastinum
/// beside a juxtapleural nodule are not taken for a plate; HU are capped at the candidate's own
/// core (the radial profile's brightest central shell; at most 100, soft tissue): the test asks
/// for the shape of the candidate's material, so a calcification, or the vessels beside a
/// ground-glass nodule (800 HU brighter than it), count no more than the nodule itself. At 2σ
/// the ±3σ window is clipped to the segmentation box (half-size 3.5σ + 8 mm) for σ over 3 mm;
/// the weights are normalised over what remains.
extension NoduleSegmenter {
    /// 1 / `maxElongation`²: the weakest-to-strongest curvature ratio of an ellipsoid at the
    /// longest axis ratio a nodule may have (see above).
    static let minimumCurvatureRatio = 1 / (maxElongation * maxElongation)
    /// Highest HU the Hessian sees (soft tissue; above is calcium or contrast).
    static let hessianCapHU: Float = 100

    /// Eigenvalues of the σ²-normalised Hessian at the box's centre, sorted λ1 ≤ λ2 ≤ λ3 (most
    /// negative first), at scale `sigma` (mm), HU capped at `cap`; the window is ±3σ clipped to the box.
    static func centreCurvatures(_ b: NoduleBox, sigma: Double, background: Double, cap: Double) -> (Double, Double, Double) {
        let d = b.dimensions, sp = b.spacing, raw = b.raw.voxels, lung = b.lung.voxels
        let reach = 3 * sigma, s2 = sigma * sigma
        let bg = Float(background), top = Float(cap)
        var h = [Double](repeating: 0, count: 6), wsum = 0.0
        func span(_ c: Int, _ step: Double, _ n: Int) -> ClosedRange<Int> {
            let k = Int(reach / step)
            return max(0, c - k)...min(n - 1, c + k)
        }
        for s in span(b.center.x, sp.slice, d.slices) {
            let z = Double(s - b.center.x) * sp.slice
            for r in span(b.center.y, sp.row, d.rows) {
                let y = Double(r - b.center.y) * sp.row
                for c in span(b.center.z, sp.column, d.columns) {
                    let x = Double(c - b.center.z) * sp.column
                    let q = (z * z + y * y + x * x) / s2
                    guard q <= 9 else { continue }
                    let i = d.index(s, r, c)
                    let v = Double(lung[i] != 0 ? min(raw[i], top) - bg : 0)
                    let g = Foundation.exp(-0.5 * q)
                    wsum += g
                    guard v != 0 else { continue }
                    // σ² ∂i∂j G = G (di dj / σ² − δij): normalised so curvatures compare across scales.
                    let gv = g * v
                    h[0] += gv * (z * z / s2 - 1); h[1] += gv * z * y / s2; h[2] += gv * z * x / s2
                    h[3] += gv * (y * y / s2 - 1); h[4] += gv * y * x / s2; h[5] += gv * (x * x / s2 - 1)
                }
            }
        }
        guard wsum > 0 else { return (0, 0, 0) }
        let e = SymmetricEigen3.eigenvalues(h[0] / wsum, h[1] / wsum, h[2] / wsum, h[3] / wsum, h[4] / wsum, h[5] / wsum)
        let l = [e.0, e.1, e.2].sorted()
        return (l[0], l[1], l[2])
    }

    /// The scales (× the candidate's σ) at which the candidate's shape is measured.
    static let blobScales = [1.0, 2.0]

    /// Nil if blob-like at every scale of `scales` (its curvatures, in that order), else why
    /// not (tube or plate, or not bright at its centre).
    static func notBlob(_ curvatures: [(Double, Double, Double)], scales: [Double]) -> String? {
        for (f, l) in zip(scales, curvatures) {
            let at = String(format: "%.0fσ", f)
            guard l.0 < 0 else { return "not brighter than its surroundings at \(at)" }
            let ratio = l.2 / l.0
            guard ratio < minimumCurvatureRatio else { continue }
            let shape = l.1 / l.0 < 0.5 ? "plate" : "tube"
            return "\(shape)-like at \(at): curvatures " + String(format: "%.0f %.0f %.0f, weakest/strongest %.2f < %.2f",
                                                                   l.0, l.1, l.2, ratio, minimumCurvatureRatio)
        }
        return nil
    }
}
