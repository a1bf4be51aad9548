import Foundation
import Imaging

/// The inferior vena cava where the liver mask took it in: in the portal-venous phase the
/// retrohepatic IVC is isodense with the parenchyma (a real scan: 94 vs 98 HU, no rim at the
/// reference boundary either), so the band and the hole filling put it inside the liver; a
/// reference liver (TotalSegmentator, expert LiTS/MSD masks) leaves it out. Density cannot
/// find it, so geometry does: where the tube lies and what lies behind it, anchored on the
/// aorta (`LiverAorta`).
///
/// Anatomy, not this scan's numbers: the retrohepatic IVC runs cranio-caudally in a groove on
/// the liver's posterior-medial (bare-area) surface, to the patient's right of the aorta at
/// about its antero-posterior level, directly in front of the right crus and the
/// retro-caval fat. So its posterior wall *is* the liver mask's posterior border there, with
/// tissue darker than enhanced parenchyma behind it (fat, crus muscle), while its front and
/// sides are in the liver. Per slice, an oval of the IVC's normal calibre is scored at every
/// centre in the search window by the share of its posterior arc that faces such tissue (the
/// oval itself inside the mask); the tube is the path through the slices with the largest
/// total score whose centre moves no faster than a cranio-caudal vessel does
/// (`driftMMPerMM`), found by dynamic programming; a slice's oval is taken out where its arc
/// lies mostly on that border (`minimumContact`). An IVC the band left out (enhanced, brighter
/// than the band) faces nothing dark from inside the mask, so nothing is taken then.
enum LiverVenaCava {
    /// The oval's semi-axes (mm): the normal retrohepatic IVC is 20–25 mm wide and flattened
    /// between the liver and the crus to about two thirds of that front to back; its calibre
    /// cannot be read on an isodense vessel, so the middle of the normal range is used.
    static let transverseMM = 11.25
    static let anteroposteriorMM = 7.5
    /// Where the oval's centre is searched, from the aortic centre (mm, patient right and
    /// front/back): the IVC's centre is 30–55 mm to the right of the aorta's (the right crus
    /// between them), ±5 mm; at about the aorta's AP level, from 30 mm in front (the IVC
    /// runs forward as it nears the atrium) to 15 mm behind.
    static let rightOfAortaMM: ClosedRange<Double> = 25...60
    static let behindAortaMM: ClosedRange<Double> = -30...15
    /// Grid step of the search (mm): about one in-plane voxel.
    static let stepMM = 1.0
    /// How far inside and outside the oval's border the mask is read (mm): beyond the vessel
    /// wall and a partial-volume voxel.
    static let probeMM = 2.0
    /// Points on the oval's border (5° apart: ~1 mm on an IVC-sized oval).
    static let borderPoints = 72
    /// The posterior arc: border points whose outward normal points backwards by more than
    /// 30° from the transverse axis (cos 60° = 0.5 of it posterior).
    static let posteriorNormal = 0.5
    /// Share of the inner border ring (`probeMM` inside the oval) that must lie in the mask:
    /// the oval is a vessel the mask took in, not a bite out of its edge (a tenth of the ring
    /// may fall out where the detection grid's blocks make the mask's border jagged).
    static let minimumInside = 0.9
    /// Share of the posterior arc on dark tissue for a slice's oval to be taken out: most of
    /// its back wall on the retro-caval fat and crus (a posterior liver surface that merely
    /// touches them over a short stretch is not the IVC).
    static let minimumContact = 0.5
    /// Fastest drift of the tube's centre (mm per mm of height): the retrohepatic IVC runs
    /// within ~25° of cranio-caudal (it moves a few mm forward over the liver's height).
    static let driftMMPerMM = 0.5

    /// The IVC inside `liver` (a mask on `f.source`'s grid); empty without an aorta.
    static func inLiver(_ f: LiverField, liver: Mask) -> Mask {
        var cava = Mask(dimensions: liver.dimensions, geometry: liver.geometry, repeating: 0)
        let sections = LiverAorta.find(f).compactMap { $0 }
        guard !sections.isEmpty, liver.dimensions.slices > 0 else { return cava }
        let ax = Double(LiverStatistics.median(sections.map { Float($0.centre.x) }))
        let ay = Double(LiverStatistics.median(sections.map { Float($0.centre.y) }))
        let xs = Array(stride(from: ax - rightOfAortaMM.upperBound, through: ax - rightOfAortaMM.lowerBound, by: stepMM))
        let ys = Array(stride(from: ay + behindAortaMM.lowerBound, through: ay + behindAortaMM.upperBound, by: stepMM))
        let d = liver.dimensions, g = liver.geometry, states = xs.count * ys.count
        let dark = Float(f.median - LiverField.band(sigma: f.sigma))
        var scores = [[Float]](repeating: [], count: d.slices)
        for s in 0..<d.slices {
            scores[s] = sliceScores(f, liver, slice: s, xs: xs, ys: ys, dark: dark)
        }
        // The tube: the path of largest total score, moving ≤ `reach` grid steps per slice.
        let reach = max(1, Int((driftMMPerMM * g.spacing.slice / stepMM).rounded()))
        var total = scores[0], back = [[Int32]](repeating: [], count: d.slices)
        for s in 1..<d.slices {
            var next = [Float](repeating: 0, count: states), from = [Int32](repeating: 0, count: states)
            for i in 0..<xs.count {
                for j in 0..<ys.count {
                    var best = -Float.infinity, arg = 0
                    for di in max(0, i - reach)...min(xs.count - 1, i + reach) {
                        for dj in max(0, j - reach)...min(ys.count - 1, j + reach) where total[di * ys.count + dj] > best {
                            best = total[di * ys.count + dj]; arg = di * ys.count + dj
                        }
                    }
                    next[i * ys.count + j] = best + scores[s][i * ys.count + j]
                    from[i * ys.count + j] = Int32(arg)
                }
            }
            total = next; back[s] = from
        }
        guard var state = total.indices.max(by: { total[$0] < total[$1] }), total[state] > 0 else { return cava }
        for s in stride(from: d.slices - 1, through: 0, by: -1) {
            if scores[s][state] >= Float(minimumContact) {
                let centre = SIMD2(xs[state / ys.count], ys[state % ys.count])
                let (rows, columns) = box(around: centre, slice: s, g, d)
                for r in rows {
                    for c in columns where liver[s, r, c] != 0 {
                        let p = g.point(slice: Double(s), row: Double(r), column: Double(c))
                        if radius(SIMD2(p.x, p.y), centre) <= 1 { cava[s, r, c] = 1 }
                    }
                }
            }
            if s > 0 { state = Int(back[s][state]) }
        }
        return cava
    }

    /// The rows and columns of slice `s` within the oval's bounding square around `centre`
    /// (any in-plane orientation), clipped to the grid.
    static func box(around centre: SIMD2<Double>, slice s: Int, _ g: Geometry, _ d: Dimensions) -> (Range<Int>, Range<Int>) {
        let z = g.point(slice: Double(s), row: 0, column: 0).z, half = transverseMM + 1
        var lo = SIMD2(Int.max, Int.max), hi = SIMD2(Int.min, Int.min)
        for dx in [-half, half] {
            for dy in [-half, half] {
                let i = g.index(of: SIMD3(centre.x + dx, centre.y + dy, z))
                let rc = SIMD2(Int(i.row.rounded(.down)), Int(i.column.rounded(.down)))
                lo = pointwiseMin(lo, rc); hi = pointwiseMax(hi, rc &+ 1)
            }
        }
        let r0 = max(0, lo.x), c0 = max(0, lo.y)
        return (r0..<max(r0, min(d.rows, hi.x + 1)), c0..<max(c0, min(d.columns, hi.y + 1)))
    }

    /// Normalised elliptic radius of `p` for the oval centred at `centre` (1 on its border).
    static func radius(_ p: SIMD2<Double>, _ centre: SIMD2<Double>) -> Double {
        let q = (p - centre) / SIMD2(transverseMM, anteroposteriorMM)
        return (q * q).sum().squareRoot()
    }

    /// The oval's border: per point its offset from the centre (mm) and outward unit normal.
    static let border: [(offset: SIMD2<Double>, normal: SIMD2<Double>)] = (0..<borderPoints).map { k in
        let t = 2 * Double.pi * Double(k) / Double(borderPoints)
        let n = SIMD2(cos(t) / transverseMM, sin(t) / anteroposteriorMM)
        return (SIMD2(transverseMM * cos(t), anteroposteriorMM * sin(t)), n / (n * n).sum().squareRoot())
    }

    /// The border's posterior arc (`posteriorNormal`).
    static let posteriorArc = border.filter { $0.normal.y > posteriorNormal }

    /// Per search centre (x-major over `xs`, `ys`) on slice `s`: the share of the oval's
    /// posterior arc whose outside is neither liver mask nor as bright as parenchyma (fat,
    /// crus), or 0 when less than `minimumInside` of its inner ring is in the mask.
    static func sliceScores(_ f: LiverField, _ liver: Mask, slice s: Int, xs: [Double], ys: [Double], dark: Float) -> [Float] {
        let d = liver.dimensions, g = liver.geometry, sg = f.smooth.geometry, sd = f.smooth.dimensions
        var out = [Float](repeating: 0, count: xs.count * ys.count)
        let z = g.point(slice: Double(s), row: Double(d.rows / 2), column: Double(d.columns / 2)).z
        func inMask(_ p: SIMD2<Double>) -> Bool? {
            let i = g.index(of: SIMD3(p.x, p.y, z))
            let r = Int(i.row.rounded()), c = Int(i.column.rounded())
            guard r >= 0, r < d.rows, c >= 0, c < d.columns else { return nil }
            return liver[s, r, c] != 0
        }
        func isDark(_ p: SIMD2<Double>) -> Bool {
            let i = sg.index(of: SIMD3(p.x, p.y, z))
            let sl = Int(i.slice.rounded()), r = Int(i.row.rounded()), c = Int(i.column.rounded())
            guard sl >= 0, sl < sd.slices, r >= 0, r < sd.rows, c >= 0, c < sd.columns else { return false }
            return f.smooth[sl, r, c] < dark
        }
        for (i, x) in xs.enumerated() {
            for (j, y) in ys.enumerated() {
                let centre = SIMD2(x, y)
                guard inMask(centre) == true else { continue }
                var inside = 0
                for b in border where inMask(centre + b.offset - probeMM * b.normal) == true { inside += 1 }
                guard Double(inside) >= minimumInside * Double(borderPoints) else { continue }
                var contact = 0
                for b in posteriorArc {
                    let p = centre + b.offset + probeMM * b.normal
                    if inMask(p) == false && isDark(p) { contact += 1 }
                }
                out[i * ys.count + j] = Float(contact) / Float(max(1, posteriorArc.count))
            }
        }
        return out
    }
}
