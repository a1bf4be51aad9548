import Foundation
import Imaging

/// A nodule against the mediastinum seen as what it is: a ball cut by the lung boundary.
///
/// Only the lung side of a juxtamediastinal nodule is visible (the mediastinum behind it has the
/// same density), so its segmented part is a cap: axis ratio up to 1.84 for a hemisphere, an
/// inscribed radius half the nodule's, its cut face on the lung boundary. A hilar vessel's root
/// leaves the mediastinum as a tube. The test fits a sphere to the object's **lung-side**
/// surface only (faces between it and aerated lung; the contact face is the cut) and asks that
/// the object *is* that ball clipped by the lung mask: a cap's lung-side surface is spherical and
/// fills the clipped ball; a tube's lung-side surface is a cylinder, and the ball fitted to it
/// reaches into parenchyma beside the tube (or, along a long tube, misses its ends).
struct MediastinalCap: Sendable, CustomStringConvertible {
    /// Sphere centre (box-local mm, slice/row/column axes) and radius (mm).
    var center: SIMD3<Double>
    var radius: Double
    /// RMS distance (mm) of the lung-side surface points from the sphere.
    var residual: Double
    /// Dice of the object with the fitted ball clipped by the lung mask.
    var dice: Double
    /// Share of the fitted ball's voxels inside the lung mask (1: free-standing, ½: half embedded).
    var visibleShare: Double
    /// Share of the object's contact area with non-lung through the faces above and below it.
    var axialContact: Double
    /// Axis ratio of the fitted ball clipped by the lung mask, on the object's voxels (1 for a
    /// free ball, 1.84 for a hemisphere).
    var clippedElongation: Double
    /// Area-weighted mean outward normal of the contact with non-lung (box-local slice, row,
    /// column axes; its length is 1 for a flat cut face, less for a curved or split contact).
    var contactNormal: SIMD3<Double>
    /// Whether a contact mostly through the slices faces the mediastinum (`facesMediastinum`;
    /// only walked when `axialContact` is over `maximumAxialContact`).
    var mediastinalSide = false

    /// Fewest lung-side surface faces for a fit: fewer is a handful of voxels (below resolution).
    static let minimumFaces = 20
    /// Least Dice of the object with its clipped ball: a blurred ball segmented at half its
    /// plateau is the ball to within a voxel at its margin; at 2.5–10 mm radius on ≤ 1.4 mm
    /// voxels that costs Dice 0.1–0.2 (a ½–1 voxel shell), never the 0.3–0.5 that a tube's
    /// lung-side surface leaves between its fitted ball and itself.
    static let minimumDice = 0.75
    /// Largest RMS residual of the lung-side surface relative to the radius: voxel faces scatter
    /// about a smooth sphere by ≈ ⅓ voxel (≈ 0.3–0.5 mm), 10–15 % of a 3–5 mm radius.
    static let maximumResidual = 0.2
    /// Least share of the fitted ball in the lung: a nodule seen on CT at the mediastinum has at
    /// least about half its volume on the lung side (more embedded, it is a mediastinal mass and
    /// its lung-side bulge is a shallow dome whose sphere is ill-determined).
    static let minimumVisibleShare = 0.4

    /// Most of the contact through the faces above and below: the mediastinal pleura is near
    /// vertical, so a cut face against it is seen sideways; tissue below or above inside the
    /// lungs' hull is the diaphragm's dome (or the apex), whose partial volume through the slice
    /// and the vessels on it make caps too.
    /// A contact mostly through the slices is kept when it faces the mediastinum
    /// (`facesMediastinum`, MediastinalSide.swift): tissue running on to the other lung is
    /// between the lungs, where the dome never is.
    static let maximumAxialContact = 0.5

    /// Whether this is a juxtamediastinal nodule: a ball at least `NoduleSegmenter.roundInnerRadius`
    /// across its radius (a vessel's cut end is as round below it), filled by the object.
    var isNodule: Bool {
        radius >= NoduleSegmenter.roundInnerRadius && residual <= Self.maximumResidual * radius
            && dice >= Self.minimumDice && visibleShare >= Self.minimumVisibleShare
            && (axialContact <= Self.maximumAxialContact || mediastinalSide)
    }

    var description: String {
        String(format: "cap fit: radius %.1f mm, residual %.2f mm, Dice %.2f, visible %.0f%%, contact %.0f%% axial%@, normal (%.2f %.2f %.2f)",
               radius, residual, dice, 100 * visibleShare, 100 * axialContact, mediastinalSide ? " (facing the mediastinum)" : "",
               contactNormal.x, contactNormal.y, contactNormal.z)
    }

    /// Fits the ball to `m`'s faces against lung (`b.lung`) that are not `m`; nil if too few.
    /// `lungs`, `hulls`: the coarse lung labels and hulls, for the side of an axial contact.
    init?(_ m: Mask, _ b: NoduleBox, lungs: Volume<UInt8>, hulls: LungHulls) {
        let d = m.dimensions, sp = m.spacing, lung = b.lung.voxels
        let step = SIMD3(sp.slice, sp.row, sp.column)
        // Contact as area (mm²): on thick slices a face through the slice is several in-plane faces' area.
        let axialFace = sp.row * sp.column, sideFace = [sp.slice * sp.column, sp.slice * sp.row]
        var points: [SIMD3<Double>] = [], contact = 0.0, axial = 0.0, normal = SIMD3<Double>.zero
        let unit: [SIMD3<Double>] = [SIMD3(1, 0, 0), SIMD3(-1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, -1, 0), SIMD3(0, 0, 1), SIMD3(0, 0, -1)]
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for c in 0..<d.columns where m.voxels[d.index(s, r, c)] != 0 {
                    for (k, (a, e, f)) in [(s + 1, r, c), (s - 1, r, c), (s, r + 1, c), (s, r - 1, c), (s, r, c + 1),
                                           (s, r, c - 1)].enumerated()
                    where d.contains(a, e, f) {
                        let j = d.index(a, e, f)
                        guard m.voxels[j] == 0 else { continue }
                        guard lung[j] != 0 else {
                            let area = k < 2 ? axialFace : sideFace[k < 4 ? 0 : 1]
                            contact += area
                            normal += area * unit[k]
                            if k < 2 { axial += area }
                            continue
                        }
                        // The face between the two voxels: where a half-plateau boundary lies.
                        points.append(SIMD3(Double(s + a), Double(r + e), Double(c + f)) * 0.5 * step)
                    }
                }
            }
        }
        guard points.count >= Self.minimumFaces, let (c, radius) = Self.fitSphere(points) else { return nil }
        var sq = 0.0
        for p in points {
            let x = ((p - c) * (p - c)).sum().squareRoot() - radius
            sq += x * x
        }
        var ball = 0, inLung = 0, shared = 0, object = 0
        var clipped = Mask(dimensions: d, geometry: m.geometry, repeating: 0)
        let r2 = radius * radius
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for cc in 0..<d.columns {
                    let i = d.index(s, r, cc)
                    let p = SIMD3(Double(s), Double(r), Double(cc)) * step - c
                    let inside = (p * p).sum() <= r2
                    if m.voxels[i] != 0 { object += 1 }
                    guard inside else { continue }
                    ball += 1
                    guard lung[i] != 0 else { continue }
                    inLung += 1
                    clipped.voxels[i] = 1
                    if m.voxels[i] != 0 { shared += 1 }
                }
            }
        }
        center = c
        self.radius = radius
        residual = (sq / Double(points.count)).squareRoot()
        dice = 2 * Double(shared) / Double(max(1, inLung + object))
        visibleShare = Double(inLung) / Double(max(1, ball))
        axialContact = contact > 0 ? axial / contact : 0
        contactNormal = contact > 0 ? normal / contact : .zero
        clippedElongation = NoduleSegmenter.elongation(clipped)
        if axialContact > Self.maximumAxialContact { mediastinalSide = facesMediastinum(b, lungs: lungs, hulls: hulls) }
    }

    /// Algebraic least-squares sphere (|p|² = 2 c·p + k, k = R² − |c|²) on centred points.
    static func fitSphere(_ points: [SIMD3<Double>]) -> (SIMD3<Double>, Double)? {
        let mean = points.reduce(SIMD3<Double>.zero, +) / Double(points.count)
        var a = [[Double]](repeating: [Double](repeating: 0, count: 5), count: 4)
        for p in points {
            let q = p - mean
            let row = [2 * q.x, 2 * q.y, 2 * q.z, 1.0], y = (q * q).sum()
            for i in 0..<4 {
                for j in 0..<4 { a[i][j] += row[i] * row[j] }
                a[i][4] += row[i] * y
            }
        }
        // Gaussian elimination with partial pivoting.
        for k in 0..<4 {
            let p = (k..<4).max { abs(a[$0][k]) < abs(a[$1][k]) }!
            a.swapAt(k, p)
            guard abs(a[k][k]) > 1e-12 else { return nil }
            for i in 0..<4 where i != k {
                let f = a[i][k] / a[k][k]
                for j in k..<5 { a[i][j] -= f * a[k][j] }
            }
        }
        let c = SIMD3(a[0][4] / a[0][0], a[1][4] / a[1][1], a[2][4] / a[2][2]), k = a[3][4] / a[3][3]
        let r2 = k + (c * c).sum()
        guard r2 > 0, r2.isFinite else { return nil }
        return (c + mean, r2.squareRoot())
    }
}
