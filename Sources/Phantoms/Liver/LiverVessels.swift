import Foundation
import Imaging

/// Branching portal and hepatic venous trees inside the phantom liver (contrast-filled
/// tubes, ~150–185 HU in the portal-venous phase), kept 1.5 mm inside the liver surface.
struct LiverVessels {
    var g: SplitMix64
    var liver: SDF
    var liverHU: Float

    /// The portal vein: an extrahepatic trunk from `trunkEnd` to the hilum, then right and left
    /// branches dividing towards the periphery.
    mutating func portal(hilum: SIMD3<Double>, rightLobe: SIMD3<Double>, leftLobe: SIMD3<Double>,
                         trunkEnd: SIMD3<Double>) -> [Stroke] {
        let hu = Float(g.uniform(160...185))
        let h = inside(hilum, towards: rightLobe)
        var s: [Stroke] = [.capsule(trunkEnd, h, radius: 6.5, value: hu)]
        tree(from: h, direction: unit(rightLobe - h), radius: 5.5, depth: 0, value: hu, into: &s)
        tree(from: h, direction: unit(leftLobe - h), radius: 4.5, depth: 0, value: hu, into: &s)
        return s
    }

    /// Hepatic veins: trunks from the confluence at the IVC towards `targets`, dividing.
    mutating func hepatic(confluence: SIMD3<Double>, targets: [SIMD3<Double>]) -> [Stroke] {
        let hu = Float(g.uniform(145...175))
        let c = inside(confluence, towards: targets[0])
        var s: [Stroke] = []
        for (i, t) in targets.enumerated() {
            tree(from: c, direction: unit(t - c), radius: 4.5 - 0.5 * Double(i), depth: 0, value: hu, into: &s)
        }
        return s
    }

    /// Moves `p` towards `target` until it is at least 8 mm inside the liver.
    func inside(_ p: SIMD3<Double>, towards target: SIMD3<Double>) -> SIMD3<Double> {
        var q = p
        for _ in 0..<40 where liver(q) > -8 { q += 0.05 * (target - p) }
        return q
    }

    /// One segment, then two children turned apart, until the radius is small or the tip
    /// leaves the liver.
    mutating func tree(from p: SIMD3<Double>, direction: SIMD3<Double>, radius r: Double, depth: Int,
                       value: Float, into s: inout [Stroke]) {
        let length = g.uniform(0.8...1.2) * (12 + 4 * r)
        let q = p + length * direction
        let clip = liver
        s.append(.capsule(p, q, radius: r, value: value, clip: { x in clip(x) + 1.5 }))
        guard r > 1.8, depth < 6, liver(q) < -3 else { return }
        var n = LiverShapes.randomUnit(&g)
        n -= (n * direction).sum() * direction
        let nn = (n * n).sum().squareRoot()
        guard nn > 1e-3 else { return }
        n /= nn
        for sign in [1.0, -1.0] {
            let a = g.uniform(0.3...0.7)
            let d = unit(a.cos * direction + sign * a.sin * n)
            tree(from: q, direction: d, radius: r * g.uniform(0.68...0.82), depth: depth + 1, value: value, into: &s)
        }
    }

    func unit(_ v: SIMD3<Double>) -> SIMD3<Double> { v / max(1e-9, (v * v).sum().squareRoot()) }
}

private extension Double {
    var cos: Double { Foundation.cos(self) }
    var sin: Double { Foundation.sin(self) }
}
