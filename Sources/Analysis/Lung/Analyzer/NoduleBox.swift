import Foundation
import Imaging

/// A small full-resolution box around a candidate: the voxels (lightly smoothed), which of them
/// are lung (from the coarse lung mask, trilinear so the pleural boundary is not blocky), and
/// each voxel's distance from the candidate.
struct NoduleBox {
    /// Where the box is in the full grid.
    let box: IndexBox
    let raw: Volume<Float>
    let smoothed: Volume<Float>
    let lung: Mask
    /// Box-local index of the candidate's voxel.
    let center: SIMD3<Int>

    /// Each voxel's distance (mm) from the candidate's voxel.
    let distance: [Float]

    /// The box of half-size `halfMM` around `position`, clipped to the grid; nil if outside.
    /// `coarseLungs` is the lung mask on the block-averaged grid with block size `factor`.
    init?(volume v: Volume<Float>, coarseLungs: Volume<UInt8>, factor: SIMD3<Int>, position: SIMD3<Double>, halfMM: Double) {
        let d = v.dimensions, g = v.geometry
        let x = g.index(of: position)
        let c = SIMD3(Int(x.slice.rounded()), Int(x.row.rounded()), Int(x.column.rounded()))
        guard d.contains(c.x, c.y, c.z) else { return nil }
        let h = SIMD3(max(1, Int((halfMM / g.spacing.slice).rounded(.up))), Int((halfMM / g.spacing.row).rounded(.up)),
                      Int((halfMM / g.spacing.column).rounded(.up)))
        let lo = pointwiseMax(c &- h, .zero), hi = pointwiseMin(c &+ h, SIMD3(d.slices - 1, d.rows - 1, d.columns - 1))
        box = IndexBox(lower: .init(slice: lo.x, row: lo.y, column: lo.z), upper: .init(slice: hi.x, row: hi.y, column: hi.z))
        raw = NoduleCandidates.cropFloat(v, box)
        let ctr = c &- lo
        center = ctr
        let sigma = 0.6
        smoothed = Gaussian.smooth(raw, sigmaSlice: min(sigma, 0.5 * g.spacing.slice), sigmaRow: sigma, sigmaColumn: sigma)
        let bd = box.dimensions, cd = coarseLungs.dimensions
        // Coarse continuous index along each axis: (i − (k − 1)/2) / k; trilinear weights per axis.
        func axis(_ n: Int, _ first: Int, _ k: Int, _ limit: Int) -> [(Int, Int, Float)] {
            (0..<n).map { i in
                let q = (Double(first + i) - Double(k - 1) / 2) / Double(k)
                let i0 = Int(q.rounded(.down))
                return (min(max(i0, 0), limit - 1), min(max(i0 + 1, 0), limit - 1), Float(q - Double(i0)))
            }
        }
        let ax = (axis(bd.slices, lo.x, factor.x, cd.slices), axis(bd.rows, lo.y, factor.y, cd.rows),
                  axis(bd.columns, lo.z, factor.z, cd.columns))
        var m = Mask(dimensions: bd, geometry: raw.geometry, repeating: 0)
        var dist = [Float](repeating: 0, count: bd.count)
        let sp = g.spacing
        coarseLungs.voxels.withUnsafeBufferPointer { L in
            @inline(__always) func at(_ s: Int, _ r: Int, _ c: Int) -> Float { L[cd.index(s, r, c)] != 0 ? 1 : 0 }
            for s in 0..<bd.slices {
                let (s0, s1, fs) = ax.0[s]
                let ds = Double(s - ctr.x) * sp.slice
                for r in 0..<bd.rows {
                    let (r0, r1, fr) = ax.1[r]
                    let dr = Double(r - ctr.y) * sp.row
                    for cc in 0..<bd.columns {
                        let (c0, c1, fc) = ax.2[cc]
                        let a = (at(s0, r0, c0) * (1 - fc) + at(s0, r0, c1) * fc) * (1 - fr)
                            + (at(s0, r1, c0) * (1 - fc) + at(s0, r1, c1) * fc) * fr
                        let b = (at(s1, r0, c0) * (1 - fc) + at(s1, r0, c1) * fc) * (1 - fr)
                            + (at(s1, r1, c0) * (1 - fc) + at(s1, r1, c1) * fc) * fr
                        let i = bd.index(s, r, cc)
                        m.voxels[i] = a * (1 - fs) + b * fs >= 0.5 ? 1 : 0
                        let dc = Double(cc - ctr.z) * sp.column
                        dist[i] = Float((ds * ds + dr * dr + dc * dc).squareRoot())
                    }
                }
            }
        }
        lung = m
        distance = dist
    }

    var dimensions: Dimensions { raw.dimensions }
    var spacing: Spacing { raw.spacing }

    /// Number of voxels of `m` on the box's faces.
    func touchesBorder(_ m: Mask) -> Int {
        let d = m.dimensions
        var n = 0
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns where m.voxels[d.index(s, r, c)] != 0 {
                    if s == 0 || s == d.slices - 1 || r == 0 || r == d.rows - 1 || c == 0 || c == d.columns - 1 { n += 1 }
                }
            }
        }
        return n
    }
}

/// Ball opening and closing of a mask in a nodule box, computed on the mask's bounding box padded
/// by the ball's reach (plus two voxels) instead of the whole box: the object of a candidate fills
/// a small part of its box. The result is the same voxel for voxel as `Morphology` on the whole
/// box: every voxel the ball can reach from the object lies in the padded box, the padding's
/// outer layer is background as in the whole box (so the nearest background of any voxel is in
/// it, and erosion sees it), and the kernel picks the same (windowed or full-transform) path
/// because each padded axis is either the whole axis or longer than the ball's half-width.
enum BoxMorphology {
    static func open(_ m: Mask, radius: Double) -> Mask {
        cropped(m, radius: radius) { Morphology.open($0, radius: radius) }
    }

    static func close(_ m: Mask, radius: Double) -> Mask {
        cropped(m, radius: radius) { Morphology.close($0, radius: radius) }
    }

    static func cropped(_ m: Mask, radius: Double, _ op: (Mask) -> Mask) -> Mask {
        let d = m.dimensions, sp = m.spacing
        var lo = SIMD3<Int>(repeating: .max), hi = SIMD3<Int>(repeating: .min)
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                let base = d.index(s, r, 0)
                for c in 0..<d.columns where m.voxels[base + c] != 0 {
                    lo = pointwiseMin(lo, SIMD3(s, r, c)); hi = pointwiseMax(hi, SIMD3(s, r, c))
                }
            }
        }
        guard hi.x >= 0 else { return op(m) }
        // The kernel's half-widths (`Morphology.withinRadius`: r² with its 1e-5 slack), plus two voxels.
        let limit = radius * radius * (1 + 1e-5)
        func reach(_ spacing: Double) -> Int { min(Int((limit / (spacing * spacing)).squareRoot()), 1 << 20) + 2 }
        let p = SIMD3(reach(sp.slice), reach(sp.row), reach(sp.column))
        lo = pointwiseMax(lo &- p, .zero)
        hi = pointwiseMin(hi &+ p, SIMD3(d.slices - 1, d.rows - 1, d.columns - 1))
        let box = IndexBox(lower: .init(slice: lo.x, row: lo.y, column: lo.z), upper: .init(slice: hi.x, row: hi.y, column: hi.z))
        let bd = box.dimensions
        guard bd.count < d.count else { return op(m) }
        let part = op(LungMask.crop(m, box) { $0 })
        var out = Mask(dimensions: d, geometry: m.geometry, repeating: 0)
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                let src = bd.index(s, r, 0), dst = d.index(s + lo.x, r + lo.y, lo.z)
                for c in 0..<bd.columns { out.voxels[dst + c] = part.voxels[src + c] }
            }
        }
        return out
    }
}
