import Foundation
import Imaging

/// One straight piece of a tube (vessel, airway, rib), patient mm.
struct TreeSegment: Sendable {
    var a: SIMD3<Double>
    var b: SIMD3<Double>
    var radius: Double

    var length: Double { ((b - a) * (b - a)).sum().squareRoot() }

    /// Distance from `p` to the segment's axis.
    func axisDistance(_ p: SIMD3<Double>) -> Double {
        let ab = b - a
        let t = min(1, max(0, ((p - a) * ab).sum() / max(1e-12, (ab * ab).sum())))
        let e = p - (a + t * ab)
        return (e * e).sum().squareRoot()
    }

    /// The segment cut into pieces no longer than `maximum` mm (small paint boxes).
    func pieces(maximum: Double) -> [TreeSegment] {
        let n = max(1, Int((length / maximum).rounded(.up)))
        return (0..<n).map { i in
            TreeSegment(a: a + (b - a) * (Double(i) / Double(n)), b: a + (b - a) * (Double(i + 1) / Double(n)),
                        radius: radius)
        }
    }
}

/// Space-filling branching trees by territory splitting: a branch runs from its start halfway
/// to the centroid of the points it supplies, then the points are split in two across their
/// principal axis (at a random quantile, so trees are asymmetric) and each part grows a child.
/// Radii follow Murray's law with flow proportional to the points supplied (r ∝ n^⅓), so a
/// tree with N terminal points tapers from the root radius r₀ to r₀·N^−⅓.
enum BranchingTree {
    static func grow(root: SIMD3<Double>, radius: Double, points: [SIMD3<Double>],
                     rng: inout SplitMix64) -> [TreeSegment] {
        var pts = points
        var segments: [TreeSegment] = []
        var stack: [(start: SIMD3<Double>, lo: Int, hi: Int, radius: Double)] = [(root, 0, pts.count, radius)]
        while let item = stack.popLast() {
            let n = item.hi - item.lo
            guard n > 0 else { continue }
            if n == 1 {
                segments.append(TreeSegment(a: item.start, b: pts[item.lo], radius: item.radius))
                continue
            }
            var centroid = SIMD3<Double>.zero
            for i in item.lo..<item.hi { centroid += pts[i] }
            centroid /= Double(n)
            let end = item.start + 0.5 * (centroid - item.start)
            segments.append(TreeSegment(a: item.start, b: end, radius: item.radius))
            let axis = principalAxis(pts[item.lo..<item.hi], centroid)
            pts[item.lo..<item.hi].sort { ($0 * axis).sum() < ($1 * axis).sum() }
            let split = item.lo + min(n - 1, max(1, Int((Double(n) * rng.uniform(0.3...0.7)).rounded())))
            for (lo, hi) in [(item.lo, split), (split, item.hi)] {
                let r = item.radius * Foundation.pow(Double(hi - lo) / Double(n), 1.0 / 3.0)
                stack.append((end, lo, hi, r))
            }
        }
        return segments
    }

    /// Direction of largest spread (power iteration on the covariance).
    static func principalAxis(_ pts: ArraySlice<SIMD3<Double>>, _ mean: SIMD3<Double>) -> SIMD3<Double> {
        var c = [Double](repeating: 0, count: 9)
        for p in pts {
            let d = p - mean
            for i in 0..<3 { for j in 0..<3 { c[i * 3 + j] += d[i] * d[j] } }
        }
        var v = SIMD3<Double>(0.577, 0.577, 0.577)
        for _ in 0..<30 {
            var w = SIMD3<Double>.zero
            for i in 0..<3 { for j in 0..<3 { w[i] += c[i * 3 + j] * v[j] } }
            let norm = (w * w).sum().squareRoot()
            guard norm > 1e-12 else { return [1, 0, 0] }
            v = w / norm
        }
        return v
    }
}
