import Foundation
import Imaging

/// Which tissue a cap's contact mostly through the slices is: the diaphragm's dome or a tilted
/// mediastinal surface (issue 12).
///
/// `MediastinalCap.maximumAxialContact` rejects a cap whose contact with non-lung lies mostly
/// through the faces above and below it: the diaphragm's dome seen through the slice. But the
/// mediastinum is not a vertical wall everywhere: over the heart's shoulders, the aortic arch and
/// the hila it slopes, and a nodule half embedded there touches it as much through the slices as
/// sideways. The anatomy tells the two apart in the axial plane. The mediastinum is the tissue
/// *between the lungs*: from the cap, along the horizontal part of its contact's normal, the
/// tissue runs on to the other lung. The dome is tissue *under one lung*: cut by an axial slice
/// it is an island that the same lung surrounds (the costophrenic recesses reach below its top),
/// or the cap sits on its top and the horizontal line at the cap's centre stays in that lung.
extension MediastinalCap {
    /// Whether the contact faces the mediastinum: a walk in the axial plane of the fitted ball's
    /// centre, from that centre along the contact normal's horizontal part, on the coarse lung
    /// labels (1 right, 2 left) leaves the cap's lung within the ball's radius and a coarse
    /// voxel (the cut face), then crosses non-lung tissue inside the lungs' hull and reaches the
    /// **other** lung or the midline (the middle of the hull's x extent in that slice).
    /// Re-entering the same lung (a dome's island), leaving the hull (the chest wall) or never
    /// leaving the lung (tissue straight below: the dome's top) is not mediastinum.
    func facesMediastinum(_ b: NoduleBox, lungs: Volume<UInt8>, hulls: LungHulls) -> Bool {
        let g = b.raw.geometry, sp = g.spacing
        func unit(_ v: SIMD3<Double>) -> SIMD3<Double> { v / (v * v).sum().squareRoot() }
        let us = unit(g.sliceDirection), ur = unit(g.rowDirection), uc = unit(g.columnDirection)
        // The contact normal in patient axes, then its part in the axial plane (patient z is cranial).
        let n = contactNormal.x * us + contactNormal.y * ur + contactNormal.z * uc
        let h = SIMD3(n.x, n.y, 0), length = (h * h).sum().squareRoot()
        guard length > 1e-6 else { return false }
        let dir = h / length
        let start = g.point(slice: center.x / sp.slice, row: center.y / sp.row, column: center.z / sp.column)
        let lg = lungs.geometry, ld = lungs.dimensions
        func label(_ p: SIMD3<Double>) -> UInt8? {
            let x = lg.index(of: p)
            let s = Int(x.slice.rounded()), r = Int(x.row.rounded()), c = Int(x.column.rounded())
            guard ld.contains(s, r, c) else { return nil }
            return lungs.voxels[ld.index(s, r, c)]
        }
        let stepMM = 0.5 * min(lg.spacing.row, lg.spacing.column)
        let coarse = max(lg.spacing.row, lg.spacing.column)
        // The cap's own lung: the first lung label back from the centre, into the visible part.
        var side: UInt8 = 0
        for k in stride(from: 0.0, through: radius, by: stepMM) where side == 0 { side = label(start - k * dir) ?? 0 }
        guard side != 0 else { return false }
        // The midline of this slice: the middle of the lungs' hull across the patient's x (the
        // mediastinum straddles it; a dome lies under one lung, to one side of it).
        let ls = Int(lg.index(of: start).slice.rounded())
        guard ls >= 0, ls < hulls.hulls.count, hulls.hulls[ls].count >= 3 else { return false }
        let xs = hulls.hulls[ls].map { lg.point(slice: Double(ls), row: $0.y, column: $0.x).x }
        let midline = 0.5 * (xs.min()! + xs.max()!)
        let startSide = start.x < midline
        var left = false, t = 0.0
        while true {
            let p = start + t * dir
            guard let l = label(p) else { return false }
            if !left {
                if l == 0 {
                    left = true
                } else if t > radius + coarse {
                    return false  // still in the lung past the ball: the contact lies below or above
                }
            } else {
                if l != 0 { return l != side }
                if (p.x < midline) != startSide { return true }  // across the midline: between the lungs
                if hulls.depth(p) <= 0 { return false }  // out through the chest wall
            }
            t += stepMM
        }
    }
}
