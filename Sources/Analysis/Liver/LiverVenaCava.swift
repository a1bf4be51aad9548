import Foundation
import Imaging

/// The inferior vena cava where the liver mask took it in: in the portal-venous phase the
/// retrohepatic IVC is isodense with the parenchyma (a real scan: 94 vs 98 HU), so the band
/// and the hole filling put it inside the liver; a reference liver (TotalSegmentator, expert
/// LiTS/MSD masks) leaves it out. Density cannot cut it, so a shape prior does, anchored on
/// the aorta (`LiverAorta`), fitted to the faint dark rim of its wall and tracked as a tube.
///
/// Anatomy, not this scan's numbers: the IVC runs cranio-caudally in a groove on the liver's
/// posterior-medial (bare-area) surface, to the patient's right of the aorta at about its
/// antero-posterior level, in front of the right crus and vertebral body; its cross-section
/// is an oval wider than deep that changes slowly along it. So, per slice: the liver voxel
/// nearest the aortic centre on the aorta's right, not in front of the aorta (the IVC's
/// medial wall, facing the retroperitoneal fat); an oval there, its medial end on that
/// voxel, extending to the right; its semi-axes and antero-posterior shift chosen where the
/// oval's border is darkest against both its inside and the liver around it (wall and fat
/// plane), summed over the slices within `windowMM` (one cross-section for a tube segment,
/// where one slice's noise would pick any oval). The liver voxels inside the oval are the IVC.
enum LiverVenaCava {
    /// Transverse semi-axes searched (mm): the IVC's transverse diameter is 16–32 mm (steps
    /// of 1.5 mm, about a voxel's width: finer steps cost time and move the border by less).
    static let transverseMM = Array(stride(from: 8.0, through: 16.0, by: 1.5))
    /// Antero-posterior semi-axes searched (mm): its AP diameter is 10–22 mm (it is flattened,
    /// wider than deep).
    static let anteroposteriorMM = Array(stride(from: 5.0, through: 11.0, by: 1.5))
    /// Shifts (mm) of the oval's centre in front of (−) or behind (+) the medial wall point:
    /// the wall point may sit on the oval's front or back half.
    static let shiftsMM = Array(stride(from: -6.0, through: 6.0, by: 2.0))
    /// Half-width of the border band (mm): the wall and its fat plane are 1–2 mm.
    static let rimMM = 1.0
    /// Reference bands on each side of the border (mm from it): inside the lumen beyond
    /// `reference.inner`, outside in the liver from `inner` to `outer`.
    static let reference: (inner: Double, outer: Double) = (1.5, 4)
    /// Slices within this distance (mm) share one cross-section: the IVC's calibre changes
    /// slowly between the hepatic and the renal veins (centimetres).
    static let windowMM = 8.0
    /// Farthest (mm) the medial wall point may be from the aortic centre: the IVC's centre is
    /// 30–55 mm right of the aorta's, its medial wall half a calibre nearer.
    static let maximumReachMM = 45.0
    /// In-plane smoothing (mm): the rim is a few mm wide and ~8 HU deep, below the noise of
    /// single voxels.
    static let smoothingMM = 1.0
    /// Fewest voxels in each band for a fit on a slice.
    static let minimumBandVoxels = 8

    /// One candidate cross-section.
    struct Oval: Sendable {
        var transverse: Double
        var anteroposterior: Double
        var shift: Double
    }

    static let ovals: [Oval] = transverseMM.flatMap { a in
        anteroposteriorMM.flatMap { b in shiftsMM.map { Oval(transverse: a, anteroposterior: b, shift: $0) } }
    }

    /// The IVC inside `liver` (a mask on `f.source`'s grid); empty without an aorta.
    static func inLiver(_ f: LiverField, liver: Mask) -> Mask {
        var cava = Mask(dimensions: liver.dimensions, geometry: liver.geometry, repeating: 0)
        let aorta = LiverAorta.find(f)
        guard !aorta.isEmpty else { return cava }
        let d = liver.dimensions, g = liver.geometry, fx = f.grid.factor.x
        // Per slice: the medial wall point, then every oval's rim score there (on the smoothed
        // source around the walls only: smoothing the whole region costs more than the fit).
        var walls = [SIMD3<Double>?](repeating: nil, count: d.slices)
        for s in 0..<d.slices {
            guard let a = aorta[min(aorta.count - 1, s / fx)] else { continue }
            walls[s] = medialWall(liver, slice: s, aorta: a)
        }
        guard let box = fitBox(walls, liver) else { return cava }
        let image = Gaussian.smooth(LiverCrop.crop(f.source, box), sigmaSlice: 0.25 * g.spacing.slice,
                                    sigmaRow: smoothingMM, sigmaColumn: smoothingMM)
        var scores = [[Double]](repeating: [], count: d.slices)
        for s in 0..<d.slices {
            guard let wall = walls[s] else { continue }
            scores[s] = rimScores(image, box, liver, slice: s, wall: wall)
        }
        let window = Int((windowMM / g.spacing.slice).rounded())
        for s in 0..<d.slices {
            guard let wall = walls[s] else { continue }
            var total = [Double](repeating: 0, count: ovals.count)
            for t in max(0, s - window)...min(d.slices - 1, s + window) where !scores[t].isEmpty {
                for k in ovals.indices { total[k] += scores[t][k] }
            }
            guard let best = total.indices.max(by: { total[$0] < total[$1] }), total[best] > 0 else { continue }
            let o = ovals[best]
            let centre = SIMD2(wall.x - o.transverse, wall.y + o.shift)
            for r in 0..<d.rows {
                for c in 0..<d.columns where liver[s, r, c] != 0 {
                    let p = g.point(slice: Double(s), row: Double(r), column: Double(c))
                    if radius(SIMD2(p.x, p.y), centre, o) <= 1 { cava[s, r, c] = 1 }
                }
            }
        }
        return cava
    }

    /// The liver voxel of slice `s` nearest the aortic centre, on its right (−x, LPS) and not
    /// in front of its anterior wall, within `maximumReachMM`.
    static func medialWall(_ liver: Mask, slice s: Int, aorta a: LiverAorta.Section) -> SIMD3<Double>? {
        let d = liver.dimensions, g = liver.geometry
        var best: SIMD3<Double>?, nearest = maximumReachMM
        for r in 0..<d.rows {
            for c in 0..<d.columns where liver[s, r, c] != 0 {
                let p = g.point(slice: Double(s), row: Double(r), column: Double(c))
                guard p.x < a.centre.x, p.y >= a.centre.y - a.radius else { continue }
                let distance = hypot(p.x - a.centre.x, p.y - a.centre.y)
                if distance <= nearest { nearest = distance; best = p }
            }
        }
        return best
    }

    /// How far (mm) an oval and its outer band reach from the wall point: right (x) and to
    /// the front or back (y).
    static let reach = SIMD2(2 * (transverseMM.last ?? 0) + reference.outer + 2,
                             (anteroposteriorMM.last ?? 0) + (shiftsMM.last ?? 0) + reference.outer + 2)

    /// The index box (all slices) holding every wall point's fit region; nil without one.
    static func fitBox(_ walls: [SIMD3<Double>?], _ liver: Mask) -> IndexBox? {
        let g = liver.geometry, d = liver.dimensions
        var lo = SIMD2(Int.max, Int.max), hi = SIMD2(Int.min, Int.min)
        for wall in walls.compactMap({ $0 }) {
            for dx in [-reach.x, reference.outer] {
                for dy in [-reach.y, reach.y] {
                    let i = g.index(of: wall + SIMD3(dx, dy, 0))
                    let rc = SIMD2(Int(i.row.rounded()), Int(i.column.rounded()))
                    lo = pointwiseMin(lo, rc); hi = pointwiseMax(hi, rc)
                }
            }
        }
        guard lo.x <= hi.x else { return nil }
        return IndexBox(lower: .init(slice: 0, row: max(0, lo.x - 1), column: max(0, lo.y - 1)),
                        upper: .init(slice: d.slices - 1, row: min(d.rows - 1, hi.x + 1), column: min(d.columns - 1, hi.y + 1)))
    }

    /// Normalised elliptic radius of `p` for an oval centred at `centre` (1 on its border).
    static func radius(_ p: SIMD2<Double>, _ centre: SIMD2<Double>, _ o: Oval) -> Double {
        let q = (p - centre) / SIMD2(o.transverse, o.anteroposterior)
        return (q * q).sum().squareRoot()
    }

    /// For every oval with its medial end on `wall`: min(mean inside, mean of the liver just
    /// outside) − mean on the border band, over liver voxels (0 if a band is too small).
    static func rimScores(_ image: Volume<Float>, _ box: IndexBox, _ liver: Mask, slice s: Int, wall: SIMD3<Double>) -> [Double] {
        let g = liver.geometry
        var points: [SIMD2<Double>] = [], values: [Double] = []
        for r in box.lower.row...box.upper.row {
            for c in box.lower.column...box.upper.column where liver[s, r, c] != 0 {
                let p = g.point(slice: Double(s), row: Double(r), column: Double(c))
                guard p.x <= wall.x + reference.outer, p.x >= wall.x - reach.x, abs(p.y - wall.y) <= reach.y else { continue }
                points.append(SIMD2(p.x, p.y))
                values.append(Double(image[s - box.lower.slice, r - box.lower.row, c - box.lower.column]))
            }
        }
        return ovals.map { o in
            let centre = SIMD2(wall.x - o.transverse, wall.y + o.shift), scale = min(o.transverse, o.anteroposterior)
            var sums = SIMD3<Double>.zero, counts = SIMD3<Int>.zero
            for (p, v) in zip(points, values) {
                let distance = (radius(p, centre, o) - 1) * scale
                if abs(distance) <= rimMM { sums.y += v; counts.y += 1 }
                else if distance < -reference.inner { sums.x += v; counts.x += 1 }
                else if distance > reference.inner && distance < reference.outer { sums.z += v; counts.z += 1 }
            }
            guard counts.min() >= minimumBandVoxels else { return 0 }
            let mean = sums / SIMD3<Double>(counts)
            return min(mean.x, mean.z) - mean.y
        }
    }
}
