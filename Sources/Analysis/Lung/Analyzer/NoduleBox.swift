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
        var m = [UInt8](repeating: 0, count: bd.count)
        var dist = [Float](repeating: 0, count: bd.count)
        let sp = g.spacing
        coarseLungs.voxels.withUnsafeBufferPointer { L in
            m.withUnsafeMutableBufferPointer { mb in
                dist.withUnsafeMutableBufferPointer { db in
                    for s in 0..<bd.slices {
                        let (s0, s1, fs) = ax.0[s]
                        let ds = Double(s - ctr.x) * sp.slice
                        for r in 0..<bd.rows {
                            let (r0, r1, fr) = ax.1[r]
                            let dr = Double(r - ctr.y) * sp.row
                            let dsr = ds * ds + dr * dr
                            // The four coarse rows around this row (slice s0 or s1, row r0 or r1).
                            let l00 = L.baseAddress! + cd.index(s0, r0, 0), l01 = L.baseAddress! + cd.index(s0, r1, 0)
                            let l10 = L.baseAddress! + cd.index(s1, r0, 0), l11 = L.baseAddress! + cd.index(s1, r1, 0)
                            let row = bd.index(s, r, 0)
                            for cc in 0..<bd.columns {
                                let (c0, c1, fc) = ax.2[cc]
                                let i = row + cc
                                let dc = Double(cc - ctr.z) * sp.column
                                db[i] = Float((dsr + dc * dc).squareRoot())
                                let x000 = l00[c0], x001 = l00[c1], x010 = l01[c0], x011 = l01[c1]
                                let x100 = l10[c0], x101 = l10[c1], x110 = l11[c0], x111 = l11[c1]
                                let any = (x000 | x001 | x010 | x011 | x100 | x101 | x110 | x111) != 0
                                let all = x000 != 0 && x001 != 0 && x010 != 0 && x011 != 0 && x100 != 0 && x101 != 0
                                    && x110 != 0 && x111 != 0
                                // Eight equal corners interpolate to that value (0 exactly; 1 within
                                // a few ulps): only mixed corners need the arithmetic.
                                guard any else { continue }
                                if all { mb[i] = 1; continue }
                                @inline(__always) func f(_ x: UInt8) -> Float { x != 0 ? 1 : 0 }
                                let a = (f(x000) * (1 - fc) + f(x001) * fc) * (1 - fr) + (f(x010) * (1 - fc) + f(x011) * fc) * fr
                                let b = (f(x100) * (1 - fc) + f(x101) * fc) * (1 - fr) + (f(x110) * (1 - fc) + f(x111) * fc) * fr
                                mb[i] = a * (1 - fs) + b * fs >= 0.5 ? 1 : 0
                            }
                        }
                    }
                }
            }
        }
        lung = Mask(dimensions: bd, geometry: raw.geometry, voxels: m)
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

    /// The dilation (every voxel it adds lies within the padded box); the lung mask's airway walls.
    static func dilate(_ m: Mask, radius: Double) -> Mask {
        cropped(m, radius: radius) { Morphology.dilate($0, radius: radius) }
    }

    /// The closing where it is read only within `within` mm of voxel `center`: computed on the
    /// smaller of the object's padded bounding box and the box reaching `within` mm plus twice the
    /// ball's reach (plus two voxels) around `center`. A voxel's closing depends only on the
    /// object within twice the radius of it (dilation, then erosion, each reaching the radius),
    /// and each axis of that box is again either whole or longer than the ball's half-width (the
    /// kernel's path is the same). Voxels farther than `within` from `center` are not the closing.
    static func close(_ m: Mask, radius: Double, center: SIMD3<Int>, within: Double) -> Mask {
        let d = m.dimensions, sp = m.spacing
        func reach(_ spacing: Double) -> Int {
            Int((within / spacing).rounded(.up)) + 2 * halfWidth(radius, spacing) + 2
        }
        let p = SIMD3(reach(sp.slice), reach(sp.row), reach(sp.column))
        let lo = pointwiseMax(center &- p, .zero), hi = pointwiseMin(center &+ p, SIMD3(d.slices - 1, d.rows - 1, d.columns - 1))
        let near = IndexBox(lower: .init(slice: lo.x, row: lo.y, column: lo.z), upper: .init(slice: hi.x, row: hi.y, column: hi.z))
        guard let object = paddedBox(m, radius: radius) else { return Morphology.close(m, radius: radius) }
        return apply(m, in: near.dimensions.count < object.dimensions.count ? near : object) {
            Morphology.close($0, radius: radius)
        }
    }

    /// `Morphology.withinRadius`'s half-width (voxels) along an axis: r² with its 1e-5 slack.
    static func halfWidth(_ radius: Double, _ spacing: Double) -> Int {
        let limit = radius * radius * (1 + 1e-5)
        return min(Int((limit / (spacing * spacing)).squareRoot()), 1 << 20)
    }

    /// The bounding box of `m`'s voxels padded by the ball's half-width plus two voxels, clipped
    /// to the volume; nil if `m` is empty.
    static func paddedBox(_ m: Mask, radius: Double) -> IndexBox? {
        let d = m.dimensions, sp = m.spacing
        var lo = SIMD3<Int>(repeating: .max), hi = SIMD3<Int>(repeating: .min)
        m.voxels.withUnsafeBufferPointer { v in
            for s in 0..<d.slices {
                for r in 0..<d.rows {
                    let base = d.index(s, r, 0)
                    var first = -1, last = -1
                    for c in 0..<d.columns where v[base + c] != 0 {
                        if first < 0 { first = c }
                        last = c
                    }
                    guard first >= 0 else { continue }
                    lo = pointwiseMin(lo, SIMD3(s, r, first)); hi = pointwiseMax(hi, SIMD3(s, r, last))
                }
            }
        }
        guard hi.x >= 0 else { return nil }
        let p = SIMD3(halfWidth(radius, sp.slice), halfWidth(radius, sp.row), halfWidth(radius, sp.column)) &+ 2
        lo = pointwiseMax(lo &- p, .zero)
        hi = pointwiseMin(hi &+ p, SIMD3(d.slices - 1, d.rows - 1, d.columns - 1))
        return IndexBox(lower: .init(slice: lo.x, row: lo.y, column: lo.z), upper: .init(slice: hi.x, row: hi.y, column: hi.z))
    }

    /// `op` on the part of `m` in `box`, pasted into an empty mask of `m`'s size.
    static func apply(_ m: Mask, in box: IndexBox, _ op: (Mask) -> Mask) -> Mask {
        let d = m.dimensions, bd = box.dimensions
        guard bd.count < d.count else { return op(m) }
        let part = op(LungMask.crop(m, box) { $0 })
        var out = [UInt8](repeating: 0, count: d.count)
        part.voxels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for s in 0..<bd.slices {
                    for r in 0..<bd.rows {
                        let from = bd.index(s, r, 0)
                        let to = d.index(s + box.lower.slice, r + box.lower.row, box.lower.column)
                        (dst.baseAddress! + to).update(from: src.baseAddress! + from, count: bd.columns)
                    }
                }
            }
        }
        return Mask(dimensions: d, geometry: m.geometry, voxels: out)
    }

    static func cropped(_ m: Mask, radius: Double, _ op: (Mask) -> Mask) -> Mask {
        guard let box = paddedBox(m, radius: radius) else { return op(m) }
        return apply(m, in: box, op)
    }
}
