import Foundation
import Imaging

/// Where a nodule sits relative to the lung's anatomy.
public enum InsertionSite: String, Sendable, CaseIterable {
    /// In the parenchyma, its edge at least `InsertionSiteMap.clearanceMM` from the pleura and
    /// from large vessels.
    case parenchyma
    /// Touching a vessel (its edge on the vessel's wall), away from the pleura.
    case juxtavascular
    /// On the costal pleura: centre 1 mm less than its radius inside the lung (a 1 mm cap in
    /// the chest wall).
    case juxtapleural
    /// Against the mediastinum with a sixth, a third or half of its volume in the mediastinal
    /// soft tissue.
    case mediastinalSixth = "juxtamediastinal-1/6"
    case mediastinalThird = "juxtamediastinal-1/3"
    case mediastinalHalf = "juxtamediastinal-1/2"

    /// Share of the sphere's volume to embed in the tissue outside the lung (nil: none).
    func embedded(radius: Double) -> Double? {
        switch self {
        case .parenchyma, .juxtavascular: return nil
        case .juxtapleural: return InsertionSiteMap.capFraction(height: 1, radius: radius)
        case .mediastinalSixth: return 1.0 / 6
        case .mediastinalThird: return 1.0 / 3
        case .mediastinalHalf: return 0.5
        }
    }
}

/// An independent map of a real chest CT's lungs for choosing insertion sites (deliberately not
/// the analyzer's lung mask, which is what the insertions test), on a grid of about 2 mm:
/// - air = HU < −400 inside the body (largest non-air component, holes filled per slice);
///   the air components of at least 100 mL whose median is not gas (−950 HU: bowel, stomach);
///   pure gas (block mean < −950 HU: trachea and main bronchi) out;
/// - the lung field = that air with its holes filled per slice on each side of the body's
///   midline (vessels and nodules inside; never the mediastinum between touching lungs);
/// - vessels = lung field ≥ −500 HU (on 2 mm blocks only vessels of about 2–3 mm and up);
///   large vessels = those left by an opening with a 2.5 mm ball (5 mm calibre and up:
///   segmental and larger arteries and veins);
/// - outside the lung field, per row of each slice: tissue with lung field on both sides
///   (between the lungs) is mediastinal (mediastinum, heart, hila, spine); the rest is the wall.
public struct InsertionSiteMap: Sendable {
    public let grid: Geometry
    public let dimensions: Dimensions
    /// 1 = lung field.
    let field: Mask
    /// Distances (mm) from each coarse voxel to: outside the field, the wall, the mediastinal
    /// tissue, vessels, large vessels.
    let toOutside: Volume<Float>, toWall: Volume<Float>, toMediastinum: Volume<Float>
    let toVessel: Volume<Float>, toLargeVessel: Volume<Float>

    /// Edge clearance (mm) of a parenchymal nodule from the pleura and from large vessels: the
    /// usual "isolated nodule" definition in CAD studies (no contact within a centimetre).
    public static let clearanceMM = 10.0
    /// Least distance (mm) of a juxtavascular or boundary nodule's edge from the other kinds of
    /// boundary, so each site tests one kind of contact.
    static let otherBoundaryMM = 8.0
    /// Air threshold (HU) separating aerated lung from tissue (as the analyzer and most lung
    /// segmentations use).
    static let airHU: Float = -400
    /// Block mean at or below which air is pure gas (airway lumen, bowel): the emphysema
    /// threshold (LAA−950).
    static let gasHU: Float = -950

    public init?(_ v: Volume<Float>) {
        let sp = v.spacing
        func k(_ s: Double) -> Int { max(1, Int((2.0 / s).rounded())) }
        let coarse = BlockMean.downsample(v, factor: SIMD3(k(sp.slice), k(sp.row), k(sp.column)), remainder: .drop)
        let d = coarse.dimensions, g = coarse.geometry, ml = g.spacing.voxelVolume / 1000
        grid = g
        dimensions = d
        var notAir = Mask(dimensions: d, geometry: g, repeating: 0)
        for i in 0..<d.count where coarse.voxels[i] >= Self.airHU { notAir.voxels[i] = 1 }
        let body = HoleFilling.fill2DPerSlice(ConnectedComponents.largest(notAir, connectivity: .faces6))
        var air = Mask(dimensions: d, geometry: g, repeating: 0)
        for i in 0..<d.count where body.voxels[i] != 0 && notAir.voxels[i] == 0 { air.voxels[i] = 1 }
        let (cc, n) = ConnectedComponents.label(air, connectivity: .faces6)
        let sizes = ConnectedComponents.sizes(cc, count: n)
        var gas = [Int](repeating: 0, count: n + 1)
        for i in 0..<d.count where cc.voxels[i] > 0 && coarse.voxels[i] <= Self.gasHU { gas[Int(cc.voxels[i])] += 1 }
        var lung = Mask(dimensions: d, geometry: g, repeating: 0), any = false
        for i in 0..<d.count where cc.voxels[i] > 0 {
            let l = Int(cc.voxels[i])
            guard Double(sizes[l]) * ml >= 100, 2 * gas[l] < sizes[l], coarse.voxels[i] > Self.gasHU else { continue }
            lung.voxels[i] = 1
            any = true
        }
        guard any else { return nil }
        // Holes filled per slice and per side of the body's midline: lungs that touch at a
        // junction line would otherwise enclose the whole mediastinum as one slice's "hole".
        var sumC = 0.0, nBody = 0
        for i in 0..<d.count where body.voxels[i] != 0 { sumC += Double(i % d.columns); nBody += 1 }
        let midline = Int((sumC / Double(max(1, nBody))).rounded())
        var field = Mask(dimensions: d, geometry: g, repeating: 0)
        for right in [true, false] {
            var half = lung
            for i in 0..<d.count where (i % d.columns < midline) != right { half.voxels[i] = 0 }
            let filled = HoleFilling.fill2DPerSlice(half)
            for i in 0..<d.count where filled.voxels[i] != 0 { field.voxels[i] = 1 }
        }
        self.field = field
        var vessel = Mask(dimensions: d, geometry: g, repeating: 0), wall = vessel, mediastinum = vessel
        for i in 0..<d.count where field.voxels[i] != 0 && coarse.voxels[i] >= -500 { vessel.voxels[i] = 1 }
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                let base = d.index(s, r, 0)
                let cols = (0..<d.columns).filter { field.voxels[base + $0] != 0 }
                for c in 0..<d.columns where field.voxels[base + c] == 0 {
                    if let lo = cols.first, let hi = cols.last, c > lo, c < hi {
                        mediastinum.voxels[base + c] = 1
                    } else {
                        wall.voxels[base + c] = 1
                    }
                }
            }
        }
        toOutside = DistanceTransform.euclidean(field)
        toWall = DistanceTransform.euclideanToForeground(wall)
        toMediastinum = DistanceTransform.euclideanToForeground(mediastinum)
        toVessel = DistanceTransform.euclideanToForeground(vessel)
        toLargeVessel = DistanceTransform.euclideanToForeground(Morphology.open(vessel, radius: 2.5))
    }

    /// Whether patient point `p` is in the lung field (trilinear on the coarse grid, ≥ ½).
    public func inLungField(_ p: SIMD3<Double>) -> Bool { fieldValue(p) >= 0.5 }

    func fieldValue(_ p: SIMD3<Double>) -> Double {
        let x = grid.index(of: p), d = dimensions
        let f = [x.slice, x.row, x.column].map { $0.rounded(.down) }
        var sum = 0.0
        for a in 0...1 {
            for b in 0...1 {
                for e in 0...1 {
                    let s = Int(f[0]) + a, r = Int(f[1]) + b, c = Int(f[2]) + e
                    let w = (a == 0 ? 1 - (x.slice - f[0]) : x.slice - f[0]) * (b == 0 ? 1 - (x.row - f[1]) : x.row - f[1])
                        * (e == 0 ? 1 - (x.column - f[2]) : x.column - f[2])
                    guard w > 0, d.contains(s, r, c) else { continue }
                    sum += w * Double(field[s, r, c])
                }
            }
        }
        return sum
    }

    /// Volume share of a sphere cut by a plane at cap `height` (mm): h²(3R − h) / (4R³).
    public static func capFraction(height h: Double, radius r: Double) -> Double {
        let c = min(max(h, 0), 2 * r)
        return c * c * (3 * r - c) / (4 * r * r * r)
    }

    /// Share of the sphere (`center`, `radius`) outside the lung field, sampled on a lattice of
    /// at most 0.5 mm.
    public func embeddedFraction(center: SIMD3<Double>, radius: Double) -> Double {
        let step = min(0.5, radius / 5), n = Int((radius / step).rounded(.up))
        var inside = 0, out = 0
        for a in -n...n {
            for b in -n...n {
                for e in -n...n {
                    let q = SIMD3(Double(a), Double(b), Double(e)) * step
                    guard (q * q).sum() <= radius * radius else { continue }
                    inside += 1
                    if !inLungField(center + q) { out += 1 }
                }
            }
        }
        return Double(out) / Double(max(1, inside))
    }
}
