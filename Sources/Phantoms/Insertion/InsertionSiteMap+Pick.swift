import Foundation
import Imaging

extension InsertionSiteMap {
    /// Largest error allowed between the embedded share reached and the site's target (a
    /// boundary that is not flat at the nodule's scale cannot always be matched exactly).
    static let fractionTolerance = 0.05
    /// Largest slant (|z| of the boundary normal) of a juxtapleural or juxtamediastinal site:
    /// steeper contacts are the diaphragm's dome or the apex, seen through the slices.
    static let maxNormalZ = 0.5

    /// The coarse places where a nodule of `radius` mm satisfies `site`'s rule (boundary sites
    /// are refined when picked).
    public struct Places: Sendable {
        public let site: InsertionSite
        public let radius: Double
        let indices: [Int]
        public var count: Int { indices.count }
    }

    /// A centre for a nodule of `radius` mm at `site`, drawn with `rng` (see `pick(from:)`).
    public func pick(_ site: InsertionSite, radius: Double, rng: inout SplitMix64,
                     avoid: [(point: SIMD3<Double>, distance: Double)] = [], attempts: Int = 200) -> SIMD3<Double>? {
        pick(from: places(site, radius: radius), rng: &rng, avoid: avoid, attempts: attempts)
    }

    public func places(_ site: InsertionSite, radius r: Double) -> Places {
        let d = dimensions, g = grid
        let margin = Int(((r + 5) / g.spacing.slice).rounded(.up))
        let clearance = Float(Self.clearanceMM), other = Float(Self.otherBoundaryMM), rf = Float(r)
        let voxel = Float(max(g.spacing.slice, g.spacing.row, g.spacing.column))
        var places: [Int] = []
        for s in margin..<max(margin, d.slices - margin) {
            for i in d.index(s, 0, 0)..<d.index(s, 0, 0) + d.sliceSize where field.voxels[i] != 0 {
                let ok: Bool
                switch site {
                case .parenchyma:
                    ok = toOutside.voxels[i] >= rf + clearance && toLargeVessel.voxels[i] >= rf + clearance
                case .juxtavascular:
                    ok = toVessel.voxels[i] >= rf && toVessel.voxels[i] <= rf + voxel && toOutside.voxels[i] >= rf + other
                case .juxtapleural:
                    ok = abs(toWall.voxels[i] - (rf - 1)) <= voxel && toMediastinum.voxels[i] >= rf + other
                case .mediastinalSixth, .mediastinalThird, .mediastinalHalf:
                    ok = toMediastinum.voxels[i] <= max(voxel, rf) && toWall.voxels[i] >= 2 * rf + other
                }
                if ok { places.append(i) }
            }
        }
        return Places(site: site, radius: r, indices: places)
    }

    /// A centre drawn with `rng` among `places`, farther than its distance from every point of
    /// `avoid` (other insertions, known nodules); nil if none is found in `attempts` draws.
    public func pick(from pl: Places, rng: inout SplitMix64, avoid: [(point: SIMD3<Double>, distance: Double)] = [],
                     attempts: Int = 200) -> SIMD3<Double>? {
        let d = dimensions, g = grid, places = pl.indices, site = pl.site, r = pl.radius
        let target = site.embedded(radius: r)
        guard !places.isEmpty else { return nil }
        for _ in 0..<attempts {
            let i = places[Int(rng.next() % UInt64(places.count))]
            let s = i / d.sliceSize, row = (i % d.sliceSize) / d.columns, c = i % d.columns
            var p = g.point(slice: Double(s), row: Double(row), column: Double(c))
            if let target {
                let distance = site == .juxtapleural ? toWall : toMediastinum
                guard let n = normal(distance, s, row, c), abs(n.z) <= Self.maxNormalZ,
                      let q = refine(p, along: n, radius: r, target: target) else { continue }
                p = q
            }
            if avoid.contains(where: { ((p - $0.point) * (p - $0.point)).sum() < $0.distance * $0.distance }) { continue }
            return p
        }
        return nil
    }

    /// Unit gradient (patient axes) of a distance map at a coarse voxel: the boundary's normal,
    /// pointing away from the boundary; nil where flat.
    func normal(_ m: Volume<Float>, _ s: Int, _ r: Int, _ c: Int) -> SIMD3<Double>? {
        let d = m.dimensions, g = m.geometry, sp = g.spacing
        func diff(_ a: (Int, Int, Int), _ b: (Int, Int, Int), _ h: Double) -> Double {
            guard d.contains(a.0, a.1, a.2), d.contains(b.0, b.1, b.2) else { return 0 }
            return Double(m[a.0, a.1, a.2] - m[b.0, b.1, b.2]) / h
        }
        let v = g.sliceDirection * diff((s + 1, r, c), (s - 1, r, c), 2 * sp.slice)
            + g.rowDirection * diff((s, r + 1, c), (s, r - 1, c), 2 * sp.row)
            + g.columnDirection * diff((s, r, c + 1), (s, r, c - 1), 2 * sp.column)
        let n = (v * v).sum().squareRoot()
        return n > 0.2 ? v / n : nil
    }

    /// Moves `p` along `n` (toward the lung as t grows) until the sphere's share outside the lung
    /// field is `target` (bisection over ±(r + 3) mm); nil if not within `fractionTolerance`.
    func refine(_ p: SIMD3<Double>, along n: SIMD3<Double>, radius r: Double, target: Double) -> SIMD3<Double>? {
        var lo = -(r + 3), hi = r + 3
        for _ in 0..<12 {
            let t = (lo + hi) / 2
            if embeddedFraction(center: p + n * t, radius: r) > target { lo = t } else { hi = t }
        }
        let q = p + n * ((lo + hi) / 2)
        return abs(embeddedFraction(center: q, radius: r) - target) <= Self.fractionTolerance ? q : nil
    }
}
