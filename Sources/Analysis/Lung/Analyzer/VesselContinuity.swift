import Foundation
import Imaging

/// Vessel continuity around a segmented candidate (issue 12; the CAD literature's "vessel
/// tracking" feature): the vessels that cross a shell just outside the candidate's surface, each
/// with its calibre.
///
/// A vessel branch point is a parent vessel splitting into children of comparable calibre
/// (Murray's law: a parent of radius r splits into two of ≈ 0.79 r), so three or more vessels
/// leave it, each nearly as thick as the spot itself. A nodule has at most a few feeding vessels,
/// much thinner than itself, and ground glass is a haze around which the vessels simply go on.
/// The shell lies `shellInner`…`shellOuter` mm from the candidate's surface: outside its
/// partial-volume edge (smoothing and the scanner's blur, ≈ 1–1.5 mm) and close enough that
/// a vessel leaving it has not yet branched again.
enum VesselContinuity {
    /// Inner and outer distance (mm) of the shell from the candidate's surface (see above).
    static let shellInner: Float = 2.0, shellOuter: Float = 4.0
    /// Vessel density on the lightly smoothed image: the solid channel's clamp (−350 HU) less a
    /// margin for the partial volume of a 2 mm vessel at 0.6 mm smoothing; parenchyma and ground
    /// glass (≤ −400 HU in its usual range) stay below it.
    static let vesselHU: Float = -400
    /// Fewest voxels of a crossing (a vessel of 1 mm diameter cut by a 2 mm shell holds more).
    static let minimumVoxels = 4

    /// A vessel crossing the shell: its radius (mm, the largest distance from its centreline to
    /// its wall inside the shell: the vessel's own inscribed radius) and its voxels in the shell.
    struct Crossing: Sendable {
        var radius: Double
        var voxels: Int
    }

    /// The crossings around `nodule` (box-local mask), thickest first.
    static func crossings(_ nodule: Mask, _ b: NoduleBox) -> [Crossing] {
        let d = b.dimensions, sm = b.smoothed.voxels, lung = b.lung.voxels
        var vessels = Mask(dimensions: d, geometry: nodule.geometry, repeating: 0)
        for i in 0..<d.count where lung[i] != 0 && sm[i] >= vesselHU && nodule.voxels[i] == 0 { vessels.voxels[i] = 1 }
        let toNodule = DistanceTransform.euclideanToForeground(nodule).voxels
        let radius = DistanceTransform.euclidean(vessels).voxels
        var inShell = [Bool](repeating: false, count: d.count)
        for i in 0..<d.count where vessels.voxels[i] != 0 && toNodule[i] > shellInner && toNodule[i] <= shellOuter {
            inShell[i] = true
        }
        var out: [Crossing] = []
        for i in 0..<d.count where inShell[i] {
            guard let cells = SeedGrowth.grow(d, seeds: [i], inside: { inShell[$0] }) else { continue }
            var r: Float = 0
            for j in cells { inShell[j] = false; r = max(r, radius[j]) }
            if cells.count >= minimumVoxels { out.append(Crossing(radius: Double(r), voxels: cells.count)) }
        }
        return out.sorted { $0.radius > $1.radius }
    }
}
