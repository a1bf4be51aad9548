import Foundation
import Imaging

/// Candidates for nodules half embedded in the mediastinum (issue 12), which the dot filter
/// misses: a ball cut by the mediastinal boundary is, seen from the lung, a dome of soft tissue
/// protruding into the aerated lung, and against the lung-median fill outside the mask a half
/// ball answers the Li–Sone–Doi filter weakly. Here the dome is found by what it is, a thick
/// protrusion of dense tissue into the lung, on the coarse grid:
/// 1. dense = above the midpoint of the lungs' median HU and soft tissue (0 HU): the
///    half-maximum rule of partial volume, a solid nodule's margin;
/// 2. depth = distance (mm) of every voxel from the nearest aerated (not dense) lung voxel. A
///    dome of radius r on the mediastinal boundary has depth r at its base centre (the aerated
///    lung is r away in every direction on the lung side, the mediastinum beyond is not lung);
///    a vessel's depth is its own radius;
/// 3. local maxima of the depth over dense lung-mask voxels, `minimumDepth`…`maximumDepth`, that
///    touch the lung boundary (non-lung within the depth + one coarse voxel: the ball of that
///    radius reaches the cut face) where it is mediastinal (that point more than
///    `NoduleSegmenter.mediastinalHullDepth` inside the lungs' hull, the rule of
///    `mediastinalContact`); the deepest kept first, none within another's depth.
/// Each becomes a "mediastinal" candidate a third of its depth into the lung from the cut face,
/// σ = depth / √3 (the scale at which a ball of that radius answers a dot filter best), score =
/// depth / `minimumDepth`. The segmenter judges them as any candidate (a hilar vessel root is
/// rejected there as one); they are few (tens), so they cost little.
enum MediastinalCandidates {
    /// Least depth (mm): the radius of an 8 mm nodule, the size from which a solid nodule is
    /// suspicious (Lung-RADS v2022 4A, Fleischner 2017: CT at 3 months or PET). Smaller domes
    /// are as deep as the hilar vessels' roots, and the dot filter's smaller scales see them.
    static let minimumDepth = 4.0
    /// Largest depth (mm): a 30 mm nodule's radius; beyond, a lung mass.
    static let maximumDepth = 15.0

    /// Mediastinal-dome candidates in patient mm; `hulls` on the same coarse grid as `lungs`.
    static func find(coarse: Volume<Float>, lungs: Volume<UInt8>, hulls: LungHulls) -> [NoduleCandidate] {
        guard let box = NoduleCandidates.unionBox(lungs, pad: 2) else { return [] }
        let v = NoduleCandidates.cropFloat(coarse, box)
        let lung = LungMask.crop(lungs, box) { $0 }
        let d = v.dimensions, sp = v.spacing
        var hist = [Int](repeating: 0, count: 1101)
        for i in 0..<d.count where lung.voxels[i] != 0 { hist[Int(min(100, max(-1000, v.voxels[i])) + 1000)] += 1 }
        let median = Double(NoduleCandidates.percentile(hist, 0.5) - 1000)
        let dense = Float(median / 2)  // midpoint of the lung median and soft tissue (0 HU)
        // Not aerated lung: dense lung and everything outside the lungs.
        var solid = Mask(dimensions: d, geometry: v.geometry, repeating: 1)
        for i in 0..<d.count where lung.voxels[i] != 0 && v.voxels[i] < dense { solid.voxels[i] = 0 }
        let depth = DistanceTransform.euclidean(solid).voxels
        let lo = Float(minimumDepth), hi = Float(maximumDepth)
        var maxima: [(Int, Float)] = []
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns {
                    let i = d.index(s, r, c)
                    let x = depth[i]
                    guard x >= lo, x <= hi, lung.voxels[i] != 0 else { continue }
                    var top = true
                    scan: for ds in -1...1 {
                        for dr in -1...1 {
                            for dc in -1...1 where ds != 0 || dr != 0 || dc != 0 {
                                guard d.contains(s + ds, r + dr, c + dc) else { continue }
                                let j = d.index(s + ds, r + dr, c + dc)
                                guard lung.voxels[j] != 0 else { continue }
                                if j < i ? depth[j] >= x : depth[j] > x { top = false; break scan }
                            }
                        }
                    }
                    if top { maxima.append((i, x)) }
                }
            }
        }
        maxima.sort { $0.1 > $1.1 }
        var out: [NoduleCandidate] = [], kept: [(SIMD3<Double>, Double)] = []
        let step = SIMD3(sp.slice, sp.row, sp.column)
        for (i, x) in maxima {
            let s = i / (d.rows * d.columns), r = (i / d.columns) % d.rows, c = i % d.columns
            let here = SIMD3(Double(s), Double(r), Double(c)) * step, reach = Double(x) + max(sp.row, sp.column)
            guard !kept.contains(where: { k in ((k.0 - here) * (k.0 - here)).sum() < max(k.1, Double(x)) * max(k.1, Double(x)) })
            else { continue }
            // The nearest non-lung voxel within reach: the cut face.
            let h = SIMD3(Int(reach / sp.slice), Int(reach / sp.row), Int(reach / sp.column))
            var best = reach * reach, face: SIMD3<Double>?
            for a in max(0, s - h.x)...min(d.slices - 1, s + h.x) {
                for e in max(0, r - h.y)...min(d.rows - 1, r + h.y) {
                    for f in max(0, c - h.z)...min(d.columns - 1, c + h.z) where lung.voxels[d.index(a, e, f)] == 0 {
                        let p = SIMD3(Double(a), Double(e), Double(f)) * step, q = p - here
                        let dd = (q * q).sum()
                        if dd <= best { best = dd; face = p }
                    }
                }
            }
            guard let q = face else { continue }
            let g = v.geometry
            let qPatient = g.point(slice: q.x / sp.slice, row: q.y / sp.row, column: q.z / sp.column)
            guard hulls.depth(qPatient) > NoduleSegmenter.mediastinalHullDepth else { continue }
            kept.append((here, Double(x)))
            let inward = here - q, n = inward / max(1e-9, (inward * inward).sum().squareRoot())
            let p = here + n * (Double(x) / 3)
            out.append(NoduleCandidate(position: g.point(slice: p.x / sp.slice, row: p.y / sp.row, column: p.z / sp.column),
                                       response: x, sigma: Double(x) / 3.0.squareRoot(),
                                       score: x / lo, channel: "mediastinal"))
        }
        if NoduleSegmenter.debug {
            print("  mediastinal domes: \(maxima.count) depth maxima \(minimumDepth)–\(maximumDepth) mm, \(out.count) candidates "
                + "(dense ≥ \(Int(dense)) HU):", out.map { c in
                    String(format: "(%.1f, %.1f, %.1f) depth %.1f", c.position.x, c.position.y, c.position.z, c.response)
                }.joined(separator: ", "))
        }
        return out
    }

    /// The dot filter's candidates (at most `limit` in all) followed by the mediastinal ones:
    /// appended, so the dot candidates keep their order and skips.
    static func appended(_ dot: [NoduleCandidate], coarse: Volume<Float>, lungs: Volume<UInt8>, hulls: LungHulls,
                         limit: Int) -> [NoduleCandidate] {
        let extra = find(coarse: coarse, lungs: lungs, hulls: hulls)
        return Array(dot.prefix(max(0, limit - extra.count))) + extra.prefix(limit)
    }
}
