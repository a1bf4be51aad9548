import Foundation
import Imaging

/// The ischaemic lesion of the infarct phantom, in the brain's own frame (see `BrainAnatomy`):
/// an irregular core (union of one to four ellipsoids) in one hemisphere and a larger
/// hypoperfused region (the core grown by 4–10 mm plus one to three lobes), kept ≥ 2.5 mm
/// inside parenchyma away from CSF and ≥ 4 mm from the midline.
///
/// Each map is a function of the signed distance to these surfaces. Near a surface the profile
/// is odd-symmetric about its threshold for ±3.5 mm (half the largest voxel diagonal), so a voxel's
/// partial-volume average crosses the threshold where the voxel is half inside — which is
/// where the truth label (voxel more than half inside) changes:
/// - ADC: 620 + Δ·clamp(d/1 mm) within ±3.5 mm of the core surface (Δ = rim − 620), the rim
///   (640–700) out to 3.5–5 mm, then the tissue; deep core 350–560, heterogeneous.
/// - rCBF: M·(0.3 + 0.12·clamp(d/1 mm)) near the core surface (M = contralateral mean), deep
///   core 6–18 % of M, penumbra 65–85 % of the tissue's normal flow, normal beyond the
///   hypoperfused region's transition zone.
/// - Tmax: 6 − clamp(d/1.5) s within ±3.5 mm of the hypoperfused surface, plateau 7–14 s
///   inside, a 4–5 s transition zone 4–10 mm wide outside, then normal.
struct InfarctLesion: Sendable {
    /// +1: patient left (+x), −1: patient right.
    var side: Double
    var core: [InfarctShapes.Ellipsoid]
    var lobes: [InfarctShapes.Ellipsoid]
    var hypoMargin: Double
    var anatomy: BrainAnatomy
    var rimADC: Double, rimWidth: Double, deepADC: (mid: Double, half: Double)
    var coreFlow: (mid: Double, half: Double), penumbra: (mid: Double, half: Double)
    var plateau: (mid: Double, half: Double), transitionWidth: Double
    var fields: [InfarctShapes.Field]

    init(_ rng: inout SplitMix64, anatomy: BrainAnatomy) {
        self.anatomy = anatomy
        side = rng.fraction() < 0.5 ? -1 : 1
        rimADC = rng.uniform(640...700)
        rimWidth = rng.uniform(3.5...5)
        deepADC = (rng.uniform(430...470), rng.uniform(70...90))
        coreFlow = (rng.uniform(0.11...0.13), rng.uniform(0.04...0.05))
        penumbra = (rng.uniform(0.74...0.76), rng.uniform(0.07...0.09))
        plateau = (rng.uniform(9.5...11), rng.uniform(2...3))
        transitionWidth = rng.uniform(4...10)
        hypoMargin = rng.uniform(3...8)
        fields = (0..<4).map { _ in InfarctShapes.Field(&rng, wavelengths: 12...30) }
        // Volume target log-uniform 2–100 mL (lobes add to it); shrink after repeated misfits.
        var volume = exp(rng.uniform(log(2)...log(100)))
        core = []
        lobes = []
        for attempt in 0..<4000 {
            if attempt > 0 && attempt % 400 == 0 { volume *= 0.92 }
            var g = rng.derived(UInt64(attempt) &+ 1)
            (core, lobes) = Self.draw(&g, side: side, volume: volume, anatomy: anatomy)
            if roughlyFits() && fits() { return }
        }
        // Never reached for the seeds tried; a small deep core keeps `make` total.
        core = [.init(center: [side * 30, 0, 10], radii: [7, 8, 9])]
        lobes = [.init(center: [side * 30, 0, 10], radii: [14, 18, 16])]
    }

    /// One candidate: the core (main ellipsoid with its shortest axis roughly left–right, as
    /// territorial infarcts lie along the cortex, plus up to three lobes) and the extra lobes
    /// of the hypoperfused region.
    static func draw(_ g: inout SplitMix64, side: Double, volume: Double, anatomy a: BrainAnatomy) -> ([InfarctShapes.Ellipsoid], [InfarctShapes.Ellipsoid]) {
        if volume > 25 { return territorial(&g, side: side, volume: volume, anatomy: a) }
        let req = pow(3 * volume * 1000 / (4 * Double.pi), 1.0 / 3)
        let a1 = g.uniform(0.6...1.5), a2 = g.uniform(0.6...1.5)
        let r = [req * a1, req * a2, req / (a1 * a2)].sorted()
        let (ry, rz) = g.fraction() < 0.5 ? (r[1], r[2]) : (r[2], r[1])
        let yaw = g.uniform(-0.45...0.45), pitch = g.uniform(-0.35...0.35)
        let ex = SIMD3(cos(yaw) * cos(pitch), sin(yaw) * cos(pitch), sin(pitch))
        let ey = SIMD3(-sin(yaw), cos(yaw), 0.0)
        let ez = InfarctShapes.cross(ex, ey)
        // Centre drawn where the ellipsoid's extent (hx, hy, hz) fits inside the head's box less
        // the clearances; `roughlyFits` and `fits` then test the real shapes.
        let radii = SIMD3(r[0], ry, rz)
        func extent(_ k: Int) -> Double {
            let c = SIMD3(ex[k], ey[k], ez[k]) * radii
            return (c * c).sum().squareRoot()
        }
        let inset = a.csfThickness + csfClearance + coreClearance + 1.3
        let (hx, hy, hz) = (extent(0), extent(1), extent(2))
        func pick(_ lo: Double, _ hi: Double) -> Double { lo < hi ? g.uniform(lo...hi) : (lo + hi) / 2 }
        let centre = SIMD3(side * pick(8.5 + hx, a.radiusX - inset - hx),
                           pick(-a.radiusAnterior + inset + hy, a.radiusPosterior - inset - hy),
                           pick(-a.radiusInferior + inset + hz, a.radiusSuperior - inset - hz))
        var parts = [InfarctShapes.Ellipsoid(center: centre, radii: radii, axes: (ex, ey, ez))]
        for _ in 0..<Int(g.uniform(0...3.99)) {
            let dir = InfarctShapes.unitVector(&g)
            let size = req * g.uniform(0.35...0.6)
            parts.append(.init(center: centre + dir * req * g.uniform(0.6...0.9),
                               radii: size * SIMD3(g.uniform(0.8...1.2), g.uniform(0.8...1.2), 1), axes: InfarctShapes.rotation(&g)))
        }
        var extra: [InfarctShapes.Ellipsoid] = []
        for _ in 0..<Int(g.uniform(1...3.99)) {
            let dir = InfarctShapes.unitVector(&g)
            let size = g.uniform(12...26)
            extra.append(.init(center: centre + dir * g.uniform(8...26),
                               radii: size * SIMD3(g.uniform(0.7...1.3), g.uniform(0.7...1.3), 1), axes: InfarctShapes.rotation(&g)))
        }
        return (parts, extra)
    }

    /// A large (territorial) core: three to five ellipsoids flattened along the cortex, each
    /// just deep enough below the surface to keep the clearances, around one lateral direction;
    /// the hypoperfused region adds lobes around them.
    static func territorial(_ g: inout SplitMix64, side: Double, volume: Double, anatomy a: BrainAnatomy)
        -> ([InfarctShapes.Ellipsoid], [InfarctShapes.Ellipsoid])
    {
        func direction(_ ap: Double, _ si: Double) -> SIMD3<Double> {
            InfarctShapes.normalize(SIMD3(side * cos(ap) * cos(si), sin(ap) * cos(si), sin(si)))
        }
        let ap0 = g.uniform(-0.5...0.5), si0 = g.uniform(-0.3...0.4)
        // Union of n overlapping ellipsoids ≈ 0.6 of their summed volume; tangential radii
        // ≤ 18 mm so their ends stay under the curved surface.
        let n = min(9, max(3, Int((volume / 8).rounded())))
        let each = volume * 1000 / (0.6 * Double(n))
        let spread = 0.2 * Double(n).squareRoot()
        var parts: [InfarctShapes.Ellipsoid] = []
        for _ in 0..<n {
            let u = direction(ap0 + g.uniform(-spread...spread), si0 + g.uniform(-spread...spread) * 0.8)
            let ratio = g.uniform(0.8...1.25)
            let tangential = min(18, (each / (4.0 / 3 * Double.pi * 10)).squareRoot())
            let radial = min(16, each / (4.0 / 3 * Double.pi * tangential * tangential))
            let depth = a.csfThickness + csfClearance + coreClearance + 2.5 + radial + g.uniform(0...4)
            // Along u from the centre to where the head surface is `depth` away.
            var lo = 0.0, hi = 120.0
            for _ in 0..<30 {
                let mid = (lo + hi) / 2
                if a.head(mid * u) < -depth { lo = mid } else { hi = mid }
            }
            let e1 = InfarctShapes.normalize(InfarctShapes.cross(u, [0, 0, 1]))
            parts.append(.init(center: lo * u, radii: [radial, tangential * ratio, tangential / ratio],
                               axes: (u, e1, InfarctShapes.cross(u, e1))))
        }
        var extra: [InfarctShapes.Ellipsoid] = []
        for _ in 0..<Int(g.uniform(1...3.99)) {
            let base = parts[Int(g.uniform(0...(Double(n) - 0.01)))]
            let size = g.uniform(14...26)
            extra.append(.init(center: base.center + InfarctShapes.unitVector(&g) * g.uniform(10...25),
                               radii: size * SIMD3(g.uniform(0.7...1.3), g.uniform(0.7...1.3), 1), axes: InfarctShapes.rotation(&g)))
        }
        return (parts, extra)
    }

    func coreDistance(_ q: SIMD3<Double>) -> Double { core.reduce(Double.infinity) { min($0, $1.distance(q)) } }

    /// The hypoperfused (Tmax > 6 s) region.
    func hypoDistance(_ q: SIMD3<Double>) -> Double { hypoDistance(q, core: coreDistance(q)) }

    /// The hypoperfused region, given the core distance `dc` at `q`.
    func hypoDistance(_ q: SIMD3<Double>, core dc: Double) -> Double {
        let raw = lobes.reduce(dc - hypoMargin) { min($0, $1.distance(q)) }
        return max(raw, anatomy.awayFromCSF(q) + Self.csfClearance, -side * q.x + 4)
    }

    /// Smallest distance (mm) from the core to the edge of the hypoperfused region, however
    /// that is clipped (CSF, midline).
    static let coreClearance = 3.0
    /// Half-width (mm) of the zone around each surface where the profile is odd-symmetric about
    /// its threshold: half the diagonal of the coarsest voxels (2.4 × 2.4 × 5 mm).
    static let flat = 3.5
    /// Smallest distance (mm) from the hypoperfused region to CSF.
    static let csfClearance = 1.5

    /// A quick necessary test of `fits`: the core ellipsoids' axis ends and diagonal points.
    func roughlyFits() -> Bool {
        let need = -Self.coreClearance - 1.3
        for e in core { for i in 0..<14 {
            let u: SIMD3<Double> = i < 6 ? [i == 0 ? 1 : i == 1 ? -1 : 0, i == 2 ? 1 : i == 3 ? -1 : 0, i == 4 ? 1 : i == 5 ? -1 : 0]
                : SIMD3(i & 1 == 0 ? 1 : -1, i & 2 == 0 ? 1 : -1, i & 4 == 0 ? 1 : -1) / 3.0.squareRoot()
            let p = e.center + u.x * e.radii.x * e.axes.0 + u.y * e.radii.y * e.axes.1 + u.z * e.radii.z * e.axes.2
            if anatomy.awayFromCSF(p) + Self.csfClearance > need || -side * p.x + 4 > need { return false }
        } }
        return true
    }

    /// Whether clipping the hypoperfused region away from CSF and the midline leaves the core at
    /// least `coreClearance` inside it. Checked on a 1.5 mm lattice with 1.3 mm slack (half
    /// its cell diagonal).
    func fits() -> Bool {
        let lo = core.map { $0.center - $0.radii.max() }.reduce(SIMD3(repeating: .infinity)) { pointwiseMin($0, $1) }
        let hi = core.map { $0.center + $0.radii.max() }.reduce(SIMD3(repeating: -.infinity)) { pointwiseMax($0, $1) }
        let slack = 1.3, reach = Self.coreClearance + slack, step = 1.5
        var x = lo.x - reach
        while x <= hi.x + reach {
            var y = lo.y - reach
            while y <= hi.y + reach {
                var z = lo.z - reach
                while z <= hi.z + reach {
                    let q = SIMD3(x, y, z), d = coreDistance(q)
                    // Within `coreClearance` of the core the clip must not cut: clip(q) < 0 there.
                    if d < reach && (anatomy.awayFromCSF(q) + Self.csfClearance > -slack || -side * q.x + 4 > -slack) {
                        return false
                    }
                    z += step
                }
                y += step
            }
            x += step
        }
        return true
    }

    /// ADC (10⁻⁶ mm²/s) at `q` (core distance `d`) of parenchyma whose normal value is `base`.
    func adc(_ q: SIMD3<Double>, _ d: Double, base: Double) -> Double {
        let delta = rimADC - 620
        if d >= rimWidth + 1.5 { return base }
        if d >= rimWidth { return InfarctShapes.lerp(rimADC, base, (d - rimWidth) / 1.5) }
        if d >= 1 { return rimADC }
        if d >= -Self.flat { return 620 + delta * min(1, max(-1, d)) }
        let deep = deepADC.mid + deepADC.half * fields[0](q)
        return InfarctShapes.lerp(620 - delta, deep, (-Self.flat - d) / 2)
    }

    /// rCBF at `q` (core distance `d`, hypoperfusion distance `dh`) of parenchyma whose normal
    /// flow is `base`; `mean` is the contralateral mean M.
    func flow(_ q: SIMD3<Double>, _ d: Double, _ dh: Double, base: Double, mean: Double) -> Double {
        var normal = base
        if dh < transitionWidth {
            let pf = penumbra.mid + penumbra.half * fields[1](q)
            normal = base * (dh <= 0 ? pf : InfarctShapes.lerp(pf, 1, dh / transitionWidth))
        }
        if d >= 5 { return normal }
        if d >= Self.flat { return InfarctShapes.lerp(0.42 * mean, normal, (d - Self.flat) / 2.5) }
        if d >= -Self.flat { return mean * (0.3 + 0.12 * min(1, max(-1, d))) }
        let deep = mean * (coreFlow.mid + coreFlow.half * fields[2](q))
        return InfarctShapes.lerp(0.18 * mean, deep, (-Self.flat - d) / 2)
    }

    /// Tmax (s) at `q` (hypoperfusion distance `d`) of parenchyma whose normal Tmax is `base`.
    func tmax(_ q: SIMD3<Double>, _ d: Double, base: Double) -> Double {
        let tw = transitionWidth
        if d >= tw + 3 { return base }
        if d >= tw { return InfarctShapes.lerp(4, base, (d - tw) / 3) }
        if d >= Self.flat { return InfarctShapes.lerp(5, 4, (d - Self.flat) / (tw - Self.flat)) }
        if d >= -Self.flat { return 6 - min(1, max(-1, d / 1.5)) }
        let top = max(7.2, plateau.mid + plateau.half * fields[3](q))
        return InfarctShapes.lerp(7, top, (-Self.flat - d) / 2.5)
    }

    /// Bounding box (brain frame) of everything the lesion changes.
    var influenceBox: (lo: SIMD3<Double>, hi: SIMD3<Double>) {
        let pad = max(transitionWidth + 3, rimWidth + 1.5, Self.flat + 2.5) + hypoMargin + 1
        let all = core + lobes
        let lo = all.map { $0.center - $0.radii.max() }.reduce(SIMD3(repeating: .infinity)) { pointwiseMin($0, $1) }
        let hi = all.map { $0.center + $0.radii.max() }.reduce(SIMD3(repeating: -.infinity)) { pointwiseMax($0, $1) }
        return (lo - pad, hi + pad)
    }
}
