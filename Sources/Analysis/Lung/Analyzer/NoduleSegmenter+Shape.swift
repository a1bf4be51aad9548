import Foundation
import Imaging

/// Shape tests and measures of a segmented object (mediastinal contact, elongation,
/// sphericity, solid part) and the candidate's component.
extension NoduleSegmenter {
    /// Calls `body(k, a, e, f)` for every exposed face of the mask: a set voxel's face neighbour
    /// (a, e, f) inside the box but outside the mask; k = 0, 1 through the slices above and
    /// below, 2…5 in-plane. No allocation per voxel: this runs on every segmented candidate.
    @inline(__always)
    static func forEachExposedFace(_ m: Mask, _ body: (Int, Int, Int, Int) -> Void) {
        let d = m.dimensions
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns where m.voxels[d.index(s, r, c)] != 0 {
                    func face(_ k: Int, _ a: Int, _ e: Int, _ f: Int) {
                        if d.contains(a, e, f) && m.voxels[d.index(a, e, f)] == 0 { body(k, a, e, f) }
                    }
                    face(0, s + 1, r, c); face(1, s - 1, r, c); face(2, s, r + 1, c)
                    face(3, s, r - 1, c); face(4, s, r, c + 1); face(5, s, r, c - 1)
                }
            }
        }
    }

    /// Whether most of the nodule's contact with the lung boundary is against tissue more than
    /// 5 mm inside the lungs' hull (mediastinum, hilum; the costal and paravertebral wall lie on
    /// or near the hull) and that contact is at least 5 % of its surface.
    static func mediastinalContact(_ m: Mask, _ b: NoduleBox, _ hulls: LungHulls) -> Bool {
        let d = m.dimensions, g = m.geometry
        var surface = 0, contact = 0, medial = 0
        forEachExposedFace(m) { _, a, e, f in
            surface += 1
            guard b.lung.voxels[d.index(a, e, f)] == 0 else { return }
            contact += 1
            if hulls.depth(g.point(slice: Double(a), row: Double(e), column: Double(f))) > mediastinalHullDepth { medial += 1 }
        }
        return contact * 20 >= surface && medial * 2 > contact
    }

    /// Whether the nodule touches the lung boundary over at least 5 % of its surface and most of
    /// that contact is through the faces above and below it: tissue seen through the slice
    /// thickness, as the diaphragm's dome or the apex is where the lung ends in z. Their partial
    /// volume is a faint haze that looks like ground glass; a subsolid nodule lies in the lung
    /// with parenchyma above and below it.
    static func contactThroughSlices(_ m: Mask, _ b: NoduleBox) -> Bool {
        let d = m.dimensions
        var surface = 0, contact = 0, axial = 0
        forEachExposedFace(m) { k, a, e, f in
            surface += 1
            guard b.lung.voxels[d.index(a, e, f)] == 0 else { return }
            contact += 1
            if k < 2 { axial += 1 }
        }
        return contact * 20 >= surface && axial * 2 > contact
    }

    /// Share of the nodule's exposed faces that border tissue outside the lung (0…1).
    static func wallContactShare(_ m: Mask, _ b: NoduleBox) -> Double {
        let d = m.dimensions
        var surface = 0, contact = 0
        forEachExposedFace(m) { _, a, e, f in
            surface += 1
            if b.lung.voxels[d.index(a, e, f)] == 0 { contact += 1 }
        }
        return surface > 0 ? Double(contact) / Double(surface) : 0
    }

    /// Ratio of the largest to the smallest principal axis of the voxels (mm).
    static func elongation(_ m: Mask) -> Double {
        let d = m.dimensions, sp = m.spacing
        var n = 0.0, sum = SIMD3<Double>.zero, sq = [Double](repeating: 0, count: 6)
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns where m.voxels[d.index(s, r, c)] != 0 {
                    let p = SIMD3(Double(s) * sp.slice, Double(r) * sp.row, Double(c) * sp.column)
                    n += 1; sum += p
                    sq[0] += p.x * p.x; sq[1] += p.x * p.y; sq[2] += p.x * p.z
                    sq[3] += p.y * p.y; sq[4] += p.y * p.z; sq[5] += p.z * p.z
                }
            }
        }
        guard n > 1 else { return 99 }
        let mu = sum / n
        // Population covariance plus a voxel's own spread (1/12 of its size²) so thin objects stay finite.
        let e = SymmetricEigen3.eigenvalues(sq[0] / n - mu.x * mu.x + sp.slice * sp.slice / 12, sq[1] / n - mu.x * mu.y,
                                            sq[2] / n - mu.x * mu.z, sq[3] / n - mu.y * mu.y + sp.row * sp.row / 12,
                                            sq[4] / n - mu.y * mu.z, sq[5] / n - mu.z * mu.z + sp.column * sp.column / 12)
        let values = [e.0, e.1, e.2].map { max(1e-9, $0) }
        return (values.max()! / values.min()!).squareRoot()
    }

    /// The component of `m` holding the voxel nearest the candidate (within `within` mm).
    static func component(_ m: Mask, near b: NoduleBox, within: Double) -> Mask? {
        let d = m.dimensions
        var best = Double.infinity, seed = -1
        for i in 0..<d.count where m.voxels[i] != 0 && Double(b.distance[i]) < best {
            best = Double(b.distance[i])
            seed = i
        }
        guard seed >= 0, best <= within else { return nil }
        let cells = SeedGrowth.grow(d, seeds: [seed]) { m.voxels[$0] != 0 }!
        var out = Mask(dimensions: d, geometry: m.geometry, repeating: 0)
        for i in cells { out.voxels[i] = 1 }
        return out
    }

    /// π^⅓ (6V)^⅔ / A with A the exposed face area × ⅔ (a voxel surface overestimates a smooth one
    /// by 3/2 on average over orientations).
    static func sphericity(_ m: Mask, volume: Double) -> Double {
        let d = m.dimensions, sp = m.spacing
        var area = 0.0
        let faces = [sp.row * sp.column, sp.slice * sp.column, sp.slice * sp.row]
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns where m.voxels[d.index(s, r, c)] != 0 {
                    for (axis, (ds, dr, dc)) in [(0, (1, 0, 0)), (0, (-1, 0, 0)), (1, (0, 1, 0)), (1, (0, -1, 0)),
                                                 (2, (0, 0, 1)), (2, (0, 0, -1))] {
                        let (a, e, f) = (s + ds, r + dr, c + dc)
                        if !d.contains(a, e, f) || m.voxels[d.index(a, e, f)] == 0 { area += faces[axis] }
                    }
                }
            }
        }
        guard area > 0 else { return 0 }
        return min(1, Foundation.pow(Double.pi, 1.0 / 3) * Foundation.pow(6 * volume, 2.0 / 3) / (area * 2 / 3))
    }

    /// Equivalent diameter of the largest solid part (> −300 HU, opened by 1 mm to drop vessels).
    static func solidDiameter(_ m: Mask, _ b: NoduleBox) -> Double {
        var solid = m
        for i in 0..<m.voxels.count where b.smoothed.voxels[i] <= -300 { solid.voxels[i] = 0 }
        solid = ConnectedComponents.largest(Morphology.open(solid, radius: 1.0))
        let n = solid.voxels.reduce(0) { $0 + Int($1) }
        return Foundation.pow(6 * Double(n) * solid.spacing.voxelVolume / Double.pi, 1.0 / 3)
    }
}
