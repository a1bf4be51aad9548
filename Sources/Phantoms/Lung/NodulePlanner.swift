import Foundation
import Imaging

/// Draws a case's nodules (3–12) and finds each a place: inside one lung with a margin (checked
/// on the labels at points around it), away from other nodules, airways and large vessels; or
/// against the costal pleura (juxtapleural); or touching a small vessel.
///
/// Sizes: a size bin is drawn first (solid: 3–4, 4–6, 6–8, 8–15, 15–30 mm with weights 16, 24,
/// 20, 24, 16 %; ground-glass and part-solid: 6–8, 8–15, 15–30 mm with 20, 50, 30 %), then a
/// diameter uniformly within it, so every bin appears across seeds.
enum NodulePlanner {
    static func plan(_ m: ChestModel, structures: ChestStructures, seed: UInt64) -> [NoduleDesign] {
        var g = SplitMix64(state: seed).derived(30)
        let count = 3 + Int(g.next() % 10)
        let attachable = structures.vessels.filter { $0.radius >= 0.6 && $0.radius <= 2.4 && $0.length > 4 }
        let bigVessels = structures.vessels.filter { $0.radius >= 2.5 }
        var placed: [NoduleDesign] = []
        // A design keeps its type and size while places are tried (so easy-to-place kinds are not
        // favoured); only after 200 failed places is it drawn again.
        nodule: for _ in 0..<count {
            for _ in 0..<5 {
                var n = design(&g)
                if n.vesselAttached && attachable.isEmpty { n.vesselAttached = false }
                for _ in 0..<200 {
                    guard let c = location(for: n, m, attachable: attachable, structures: structures, rng: &g)
                    else { continue }
                    n.center = c
                    guard fits(n, m, placed: placed, structures: structures, bigVessels: bigVessels) else { continue }
                    placed.append(n)
                    continue nodule
                }
            }
        }
        return placed
    }

    static func design(_ g: inout SplitMix64) -> NoduleDesign {
        let u = g.fraction()
        let kind: NoduleDesign.Kind = u < 0.6 ? .solid : (u < 0.82 ? .groundGlass : .partSolid)
        let bins: [(ClosedRange<Double>, Double)] = kind == .solid
            ? [(3...4, 16), (4...6, 24), (6...8, 20), (8...15, 24), (15...30, 16)]
            : [(6...8, 20), (8...15, 50), (15...30, 30)]
        let total = bins.reduce(0) { $0 + $1.1 }
        var pick = g.fraction() * total, range = bins[0].0
        for (r, w) in bins {
            range = r
            if pick < w { break }
            pick -= w
        }
        let r = g.uniform(range) / 2
        var e = SIMD3(exp(g.uniform(-0.12...0.12)), exp(g.uniform(-0.12...0.12)), exp(g.uniform(-0.12...0.12)))
        e /= Foundation.pow(e.x * e.y * e.z, 1.0 / 3.0)
        var n = NoduleDesign(kind: kind, center: .zero, radii: e * r, axes: NoduleDesign.randomAxes(&g),
                             value: kind == .solid ? Float(g.uniform(-20...60)) : Float(g.uniform(-750...(-500))))
        if kind == .solid && g.fraction() < 0.22 {
            n.juxtapleural = true
        } else if g.fraction() < (kind == .solid ? 0.3 : 0.2) {
            n.vesselAttached = true
        }
        if 2 * r >= 6 && g.fraction() < 0.3 {
            let lobes = 3 + Int(g.next() % 4)
            n.lobes = (0..<lobes).map { _ in (NoduleDesign.randomDirection(&g), g.uniform(0.08...0.2)) }
            // Keep the mean radius near r.
            n.radii /= 1 + 0.25 * n.lobes.reduce(0) { $0 + $1.amplitude }
        }
        if kind == .solid && !n.juxtapleural && 2 * r >= 8 && g.fraction() < 0.25 {
            n.spikes = (0..<(6 + Int(g.next() % 9))).map { _ in
                (NoduleDesign.randomDirection(&g), g.uniform(3...10), g.uniform(0.4...0.8))
            }
        }
        if kind == .partSolid {
            n.value = Float(g.uniform(-700...(-520)))
            let cr = r * g.uniform(0.35...0.6)
            n.core = (NoduleDesign.randomDirection(&g) * (r * g.uniform(0...0.15)), cr, Float(g.uniform(-10...50)))
        }
        return n
    }

    /// A candidate centre for `n`, or nil.
    static func location(for n: NoduleDesign, _ m: ChestModel, attachable: [TreeSegment], structures: ChestStructures,
                         rng g: inout SplitMix64) -> SIMD3<Double>? {
        if n.juxtapleural {
            let z = g.uniform((m.zBase + m.domeRight + 10)...(m.zApex - 45))
            let side = g.fraction() < 0.5 ? -1.0 : 1.0
            let psi = g.uniform(0.5...2.6)
            let dir = SIMD3<Double>(side * sin(psi), cos(psi), 0)
            let k = m.cavityScale(z)
            let a = m.cavA * k, b = m.cavB * k
            let f = Foundation.pow(Foundation.pow(abs(dir.x) / a, m.cavP) + Foundation.pow(abs(dir.y) / b, m.cavP), 1 / m.cavP)
            let surface = SIMD3<Double>(dir.x / f, m.cavY + dir.y / f, z)
            // Inward normal of the superellipse at the surface point.
            let gx = Foundation.pow(abs(surface.x) / a, m.cavP - 1) / a * (surface.x < 0 ? -1 : 1)
            let gy = Foundation.pow(abs(surface.y - m.cavY) / b, m.cavP - 1) / b * (surface.y < m.cavY ? -1 : 1)
            var normal = SIMD3<Double>(-gx, -gy, 0)
            normal /= (normal * normal).sum().squareRoot()
            return surface + normal * (n.radii.max() * g.uniform(0.25...0.7))
        }
        if n.vesselAttached {
            let s = attachable[Int(g.next() % UInt64(attachable.count))]
            guard s.radius <= 0.55 * n.radii.min() else { return nil }
            let axis = (s.b - s.a) / s.length
            var perp = NoduleDesign.randomDirection(&g)
            perp -= (perp * axis).sum() * axis
            perp /= max(1e-9, (perp * perp).sum().squareRoot())
            let t = g.uniform(0.15...0.85)
            return s.a + (s.b - s.a) * t + perp * (n.radii.min() + 0.3 * s.radius)
        }
        let side = g.fraction() < 0.5 ? -1 : 1
        let p = SIMD3<Double>(Double(side) * g.uniform(0...m.cavA), m.cavY + m.cavB * g.unit(), g.uniform(m.zBase...m.zApex))
        return structures.isLung(p, side: side, model: m) ? p : nil
    }

    /// Whether `n` (centre set) lies inside one lung with a margin and clear of other things.
    static func fits(_ n: NoduleDesign, _ m: ChestModel, placed: [NoduleDesign], structures: ChestStructures,
                     bigVessels: [TreeSegment]) -> Bool {
        let c = n.center
        let side = m.lungSide(c)
        guard side != 0, structures.isLung(c, side: side, model: m) else { return false }
        let margin = n.juxtapleural ? 1.5 : 3.0
        let radius = n.bodyReach + margin
        for p in fibonacciSphere(160) {
            let q = c + p * radius
            if structures.isLung(q, side: side, model: m) { continue }
            if n.juxtapleural && m.cavityNorm(q) > 1 { continue }
            return false
        }
        for o in placed where ((o.center - c) * (o.center - c)).sum().squareRoot() < o.reach + n.reach + 3 {
            return false
        }
        for s in structures.airways where s.axisDistance(c) < n.bodyReach + 1.2 * s.radius + 1.5 { return false }
        for s in bigVessels where s.axisDistance(c) < n.bodyReach + s.radius + 0.5 { return false }
        for s in n.spikes {
            let tip = c + s.direction * (n.radii.max() * n.lobeFactor(s.direction) + s.length)
            if !structures.isLung(tip, side: side, model: m) { return false }
        }
        return true
    }

    static func fibonacciSphere(_ count: Int) -> [SIMD3<Double>] {
        let golden = Double.pi * (3 - 5.0.squareRoot())
        return (0..<count).map { i in
            let y = 1 - 2 * (Double(i) + 0.5) / Double(count)
            let r = (1 - y * y).squareRoot()
            return SIMD3(r * cos(golden * Double(i)), y, r * sin(golden * Double(i)))
        }
    }
}
