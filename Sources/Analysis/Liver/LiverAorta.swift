import Foundation
import Imaging

/// The abdominal aorta on the detection grid: the landmark the inferior vena cava is found
/// from (`LiverVenaCava`).
///
/// Anatomy, not this scan's numbers: in any contrast phase the aortic lumen is brighter than
/// the parenchyma band, round (a tube running cranio-caudally, cut across on an axial slice),
/// 14–36 mm wide, and it lies directly in front of the vertebral body (bone behind it). Per
/// slice: bright voxels outside the liver below the bone/calcification ceiling, opened so
/// that a lumen touching the crus or the vertebra comes apart from it, cut into 2D
/// components; a round one of aortic size with bone behind it is a candidate. The aorta is
/// the candidate track that is consistent over the slices (it moves < 15 mm over a liver's
/// height); a slice without a candidate near the track has no aorta.
enum LiverAorta {
    /// Narrowest and widest aortic lumen radius (mm): a normal abdominal aorta is 15–25 mm wide,
    /// a small woman's ≥ 14 mm; 36 mm admits ectasia and a small aneurysm.
    static let minimumRadiusMM = 7.0
    static let maximumRadiusMM = 18.0
    /// Enhanced lumen is below this (HU): portal-venous 130–250, arterial up to ~400; cortical
    /// bone and wall calcification are above it (after the detection smoothing).
    static let ceilingHU: Float = 400
    /// Opening radius (mm): detaches the lumen from the crus and vertebra it touches (their
    /// contact is a few mm), while the lumen (≥ 14 mm wide) survives.
    static let openingMM = 4.0
    /// Area over the area of the circle through its farthest voxel: a disc is 1, an oval
    /// aorta cut slightly obliquely ~0.8; the vertebral body with its processes and the crus
    /// are below 0.65.
    static let minimumCircularity = 0.7
    /// Vertebral cortex (HU, smoothed): the bone that must lie behind the aorta, within its
    /// radius plus `boneReachMM` posterior and its width to each side (the aorta lies on the
    /// anterior surface of the vertebral body; prevertebral tissue is a few mm).
    static let boneHU: Float = 300
    static let boneReachMM = 25.0
    static let minimumBoneMM2 = 20.0
    /// Largest distance (mm) of a slice's aorta from the track's median centre.
    static let trackToleranceMM = 15.0

    /// One slice's aorta: centre (patient mm) and radius of the equal-area circle (mm).
    struct Section: Sendable {
        var centre: SIMD3<Double>
        var radius: Double
    }

    /// The aorta per detection-grid slice (nil where none); empty when no consistent track.
    static func find(_ f: LiverField) -> [Section?] {
        let s = f.smooth, d = s.dimensions, g = s.geometry
        let top = Float(f.median + LiverField.band(sigma: f.sigma))
        var bright = Mask(dimensions: d, geometry: g, repeating: 0)
        for i in 0..<s.voxels.count where s.voxels[i] > top && s.voxels[i] < ceilingHU && f.liver.voxels[i] == 0 {
            bright.voxels[i] = 1
        }
        let opened = Morphology.open(bright, radius: openingMM)
        var candidates: [[Section]] = []
        for slice in 0..<d.slices {
            candidates.append(Plane.components(opened, slice: slice).compactMap { section($0, slice: slice, f) })
        }
        // The track: median of each slice's largest candidate, then the candidate near it.
        let firsts = candidates.compactMap(\.first)
        guard firsts.count * 2 >= d.slices, !firsts.isEmpty else { return [] }
        let mx = Double(LiverStatistics.median(firsts.map { Float($0.centre.x) }))
        let my = Double(LiverStatistics.median(firsts.map { Float($0.centre.y) }))
        let track = candidates.map { list in
            list.filter { hypot($0.centre.x - mx, $0.centre.y - my) <= trackToleranceMM }.first
        }
        return track.compactMap { $0 }.count * 2 >= d.slices ? track : []
    }

    /// The component as an aortic section if it is round, of aortic size, with bone behind it.
    static func section(_ pixels: [(row: Int, column: Int)], slice: Int, _ f: LiverField) -> Section? {
        let g = f.smooth.geometry, sp = g.spacing
        let area = Double(pixels.count) * sp.row * sp.column
        let radius = (area / .pi).squareRoot()
        guard radius >= minimumRadiusMM, radius <= maximumRadiusMM else { return nil }
        let points = pixels.map { g.point(slice: Double(slice), row: Double($0.row), column: Double($0.column)) }
        let centre = points.reduce(SIMD3<Double>.zero, +) / Double(points.count)
        let farthest = points.map { hypot($0.x - centre.x, $0.y - centre.y) }.max() ?? 0
        let reach = farthest + 0.5 * max(sp.row, sp.column)
        guard area / (.pi * reach * reach) >= minimumCircularity else { return nil }
        guard boneBehind(centre, radius: radius, slice: slice, f) >= minimumBoneMM2 else { return nil }
        return Section(centre: centre, radius: radius)
    }

    /// Bone area (mm²) behind a centre: posterior (+y, LPS) up to radius + `boneReachMM`,
    /// within the radius to each side.
    static func boneBehind(_ c: SIMD3<Double>, radius: Double, slice: Int, _ f: LiverField) -> Double {
        let s = f.smooth, d = s.dimensions, g = s.geometry
        // Only the rows and columns within reach of the centre (any in-plane orientation).
        let i = g.index(of: c), reach = radius + boneReachMM + max(g.spacing.row, g.spacing.column)
        let r0 = max(0, Int(i.row - reach / g.spacing.row)), r1 = min(d.rows - 1, Int(i.row + reach / g.spacing.row) + 1)
        let c0 = max(0, Int(i.column - reach / g.spacing.column))
        let c1 = min(d.columns - 1, Int(i.column + reach / g.spacing.column) + 1)
        guard r0 <= r1, c0 <= c1 else { return 0 }
        var n = 0
        for r in r0...r1 {
            for col in c0...c1 where s[slice, r, col] > boneHU {
                let p = g.point(slice: Double(slice), row: Double(r), column: Double(col))
                if p.y > c.y && p.y - c.y <= radius + boneReachMM && abs(p.x - c.x) <= radius { n += 1 }
            }
        }
        return Double(n) * g.spacing.row * g.spacing.column
    }
}

/// 2D (one slice) connected components.
enum Plane {
    /// The 4-connected components of slice `slice` of `m`, largest first, as (row, column) lists.
    static func components(_ m: Mask, slice: Int) -> [[(row: Int, column: Int)]] {
        let d = m.dimensions
        var seen = [Bool](repeating: false, count: d.sliceSize)
        var out: [[(row: Int, column: Int)]] = []
        for start in 0..<d.sliceSize where !seen[start] && m.voxels[slice * d.sliceSize + start] != 0 {
            var stack = [start], list: [(row: Int, column: Int)] = []
            seen[start] = true
            while let i = stack.popLast() {
                let r = i / d.columns, c = i % d.columns
                list.append((r, c))
                for (nr, nc) in [(r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)]
                where nr >= 0 && nr < d.rows && nc >= 0 && nc < d.columns {
                    let j = nr * d.columns + nc
                    if !seen[j] && m.voxels[slice * d.sliceSize + j] != 0 { seen[j] = true; stack.append(j) }
                }
            }
            out.append(list)
        }
        return out.sorted { $0.count > $1.count }
    }
}
