import Foundation
import Imaging

/// The parenchyma's local level (a background field) and the detection field with artefact
/// darkening taken out, so lesions are judged against the liver around them.
///
/// Beam hardening between dense structures (spine, ribs, contrast-filled vessels) and photon-
/// starvation streaks darken the parenchyma in bands and regions tens of mm wide (on the
/// shared real case a 110 mL region of the posterior right lobe reads 32 HU below the median).
/// Thresholded against the liver's global median, such a region becomes one large candidate
/// that swallows the lesions inside it and is then rightly rejected as no darker than its own
/// surroundings. A robust local median of the parenchyma over a window larger than the lesions
/// sought follows the shading but not the lesions (a lesion fills a minority of the window);
/// adding back the darkening (median − local level, only where the local level is darker)
/// leaves lesions standing out against their own surroundings.
enum LiverBackground {
    /// Window edge (mm) of the local median: a 5 mL lesion (21 mm) fills under a fifth of a
    /// 30 mm cube, while artefact shading varies over several centimetres.
    static let windowMM = 30.0
    /// Spacing (mm) of the nodes where the median is taken (interpolated in between):
    /// a fifth of the window, far below the scale of the shading it follows.
    static let nodeMM = 6.0
    /// Sampling stride (voxels of the detection grid) within a window: the median of a
    /// 30 mm window needs no more than every other voxel per axis.
    static let stride = 2
    /// Smallest share of a node's window that must be parenchyma for a local level; fewer
    /// (the liver's edge, the hilum) gives no correction there.
    static let minimumParenchyma = 0.25

    /// Hypodense candidates found on the corrected field (`LiverCandidates.hypodense`, the same
    /// rules) that touch none of `first` (those found against the global median), with the
    /// corrected field they are to be refined on. Where there is no shading the corrected field
    /// is the original one and every candidate is one of `first` already.
    static func candidates(_ f: LiverField, beside first: [LesionCandidate]) -> (LiverField, [LesionCandidate]) {
        let g = corrected(f)
        if LiverCandidates.debug {
            FileHandle.standardError.write("liver shading-corrected pass\n".data(using: .utf8)!)
        }
        var taken = Mask(dimensions: f.smooth.dimensions, geometry: f.smooth.geometry, repeating: 0)
        for c in first { LiverCandidates.paint(c, into: &taken) }
        let new = LiverCandidates.hypodense(g).filter { LiverCandidates.inside($0, taken) == 0 }
        return (g, new)
    }

    /// The detection field on the artefact-corrected image: `smooth` + (median − local level)
    /// where the local level is below the median. The threshold stays that of the original
    /// field: on the shared real case the SD re-measured on the corrected field (6.0 against
    /// 8.6 HU) let a 13 mm fissural structure (72 % enclosed) grow past the surface-lesion
    /// thickness and be called a lesion, so the shading only is taken out, not the texture.
    static func corrected(_ f: LiverField) -> LiverField {
        let level = localLevel(f)
        var g = f
        let mu = Float(f.median)
        for i in 0..<g.smooth.voxels.count { g.smooth.voxels[i] += mu - min(mu, level.voxels[i]) }
        return g
    }

    /// The robust local level of the parenchyma (liver voxels between fat and contrast-filled
    /// vessel) on the detection grid: the median over a `windowMM` cube at nodes `nodeMM`
    /// apart, trilinearly interpolated; the global median where too little parenchyma is near.
    static func localLevel(_ f: LiverField) -> Volume<Float> {
        let s = f.smooth, d = s.dimensions, sp = s.geometry.spacing
        let mu = Float(f.median), top = mu + Float(LiverCandidates.hyperThreshold(f))
        let bottom = LiverCandidates.fatHU
        let base = bottom.rounded(.down), bins = Int(top - base) + 2
        let step = SIMD3(max(1, Int((nodeMM / sp.slice).rounded())), max(1, Int((nodeMM / sp.row).rounded())),
                         max(1, Int((nodeMM / sp.column).rounded())))
        let half = SIMD3(max(1, Int((windowMM / 2 / sp.slice).rounded())), max(1, Int((windowMM / 2 / sp.row).rounded())),
                         max(1, Int((windowMM / 2 / sp.column).rounded())))
        let n = SIMD3((d.slices - 1) / step.x + 2, (d.rows - 1) / step.y + 2, (d.columns - 1) / step.z + 2)
        var nodes = [Float](repeating: mu, count: n.x * n.y * n.z)
        var histogram = [Int](repeating: 0, count: bins)
        for a in 0..<n.x {
            for b in 0..<n.y {
                for c in 0..<n.z {
                    let centre = SIMD3(a * step.x, b * step.y, c * step.z)
                    var sampled = 0, count = 0
                    for i in 0..<bins { histogram[i] = 0 }
                    for z in Swift.stride(from: max(0, centre.x - half.x), through: min(d.slices - 1, centre.x + half.x), by: stride) {
                        for y in Swift.stride(from: max(0, centre.y - half.y), through: min(d.rows - 1, centre.y + half.y), by: stride) {
                            let row = d.index(z, y, 0)
                            for x in Swift.stride(from: max(0, centre.z - half.z), through: min(d.columns - 1, centre.z + half.z), by: stride) {
                                sampled += 1
                                let v = s.voxels[row + x]
                                guard f.liver.voxels[row + x] != 0, v > bottom, v < top else { continue }
                                histogram[Int(v - base)] += 1
                                count += 1
                            }
                        }
                    }
                    guard count > 0, Double(count) >= minimumParenchyma * Double(sampled) else { continue }
                    var seen = 0, k = 0
                    while k < bins - 1 && 2 * (seen + histogram[k]) < count { seen += histogram[k]; k += 1 }
                    nodes[(a * n.y + b) * n.z + c] = base + Float(k) + 0.5
                }
            }
        }
        var out = s
        for z in 0..<d.slices {
            let (a, fa) = (z / step.x, Float(z % step.x) / Float(step.x))
            for y in 0..<d.rows {
                let (b, fb) = (y / step.y, Float(y % step.y) / Float(step.y))
                for x in 0..<d.columns {
                    let (c, fc) = (x / step.z, Float(x % step.z) / Float(step.z))
                    let node = { (i: Int, j: Int, k: Int) in nodes[((a + i) * n.y + b + j) * n.z + c + k] }
                    let lo = (node(0, 0, 0) * (1 - fc) + node(0, 0, 1) * fc) * (1 - fb) + (node(0, 1, 0) * (1 - fc) + node(0, 1, 1) * fc) * fb
                    let hi = (node(1, 0, 0) * (1 - fc) + node(1, 0, 1) * fc) * (1 - fb) + (node(1, 1, 0) * (1 - fc) + node(1, 1, 1) * fc) * fb
                    out.voxels[d.index(z, y, x)] = lo * (1 - fa) + hi * fa
                }
            }
        }
        return out
    }
}
