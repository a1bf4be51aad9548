import Foundation
import Imaging

/// The phantom liver's distance bound as one concrete function (it is evaluated tens of
/// millions of times, so no closure chains): smoothly joined ellipsoids, a sinusoidal
/// lobulation rescaled by its Lipschitz constant, kept `gap` mm inside the muscle wall.
/// Far from the surface a cheaper bound is returned (still a valid, 1-Lipschitz bound).
struct LiverSurface: Sendable {
    struct Lobe: Sendable {
        var center: SIMD3<Double>
        var inverseRadii: SIMD3<Double>
        var minRadius: Double
        var frame: Frame

        init(_ c: SIMD3<Double>, _ r: SIMD3<Double>, frame: Frame = .identity) {
            center = c
            inverseRadii = 1 / r
            minRadius = r.min()
            self.frame = frame
        }

        @inline(__always) func bound(_ p: SIMD3<Double>) -> Double {
            let v = p - center
            let q = SIMD3((v * frame.u).sum(), (v * frame.v).sum(), (v * frame.w).sum()) * inverseRadii
            return ((q * q).sum().squareRoot() - 1) * minRadius
        }
    }

    var lobes: [Lobe]
    /// Regions the liver stays out of (ellipsoids subtracted).
    var cutouts: [Lobe]
    var waves: [Wave]
    /// Smooth-union blend width (mm).
    var blend: Double
    var cavityRadii: SIMD2<Double>
    var gap: Double
    /// Σ amplitudes and 1 + Σ amplitude·|k|.
    let amplitude: Double
    let lipschitz: Double

    init(lobes: [Lobe], cutouts: [Lobe], waves: [Wave], blend: Double, cavityRadii: SIMD2<Double>, gap: Double) {
        self.lobes = lobes
        self.cutouts = cutouts
        self.waves = waves
        self.blend = blend
        self.cavityRadii = cavityRadii
        self.gap = gap
        amplitude = waves.reduce(0) { $0 + $1.amplitude }
        lipschitz = 1 + waves.reduce(0) { $0 + $1.amplitude * ($1.k * $1.k).sum().squareRoot() }
    }

    @inline(__always) func cavity(_ p: SIMD3<Double>) -> Double {
        let q = SIMD2(p.x, p.y) / cavityRadii
        return ((q * q).sum().squareRoot() - 1) * cavityRadii.min() + gap
    }

    /// The distance bound at `p` (mm, negative inside).
    func callAsFunction(_ p: SIMD3<Double>) -> Double {
        var bounds = SIMD4<Double>(repeating: .infinity)
        for i in 0..<min(4, lobes.count) { bounds[i] = lobes[i].bound(p) }
        let plain = bounds.min()
        var cav = cavity(p)
        for c in cutouts { cav = max(cav, -c.bound(p)) }
        // smin ∈ [min − blend/4, min] and |lobulation| ≤ amplitude: cheap bounds far away.
        let lower = (plain - blend / 4 - amplitude) / lipschitz
        if lower > 4 { return max(lower, cav) }
        let upper = (plain + amplitude) / lipschitz
        if upper < -4 && cav < -4 { return max(upper, cav) }
        var d = bounds[0]
        for i in 1..<min(4, lobes.count) {
            let b = bounds[i]
            let h = max(blend - abs(d - b), 0) / blend
            d = min(d, b) - h * h * blend / 4
        }
        for w in waves { d += w.amplitude * sin((w.k * p).sum() + w.phase) }
        return max(d / lipschitz, cav)
    }
}

/// A distance bound sampled on a regular grid and interpolated trilinearly (the liver's
/// surface is queried tens of millions of times while painting; this makes each query a few
/// loads). Outside the sampled box it falls back to the exact function.
struct SampledField: Sendable {
    let origin: SIMD3<Double>
    let step: Double
    let counts: SIMD3<Int>
    let values: [Float]
    let exact: SDF

    init(_ exact: @escaping SDF, center: SIMD3<Double>, radius: Double, step: Double) {
        self.exact = exact
        self.step = step
        origin = center - radius
        let n = Int((2 * radius / step).rounded(.up)) + 2
        counts = SIMD3(repeating: n)
        var values = [Float](repeating: 0, count: n * n * n)
        let o = origin
        values.withUnsafeMutableBufferPointer { b in
            let out = UnsafeSendableBuffer(b.baseAddress!)
            Parallelism.forEachChunk(n) { range in
                for k in range {
                    for j in 0..<n {
                        for i in 0..<n {
                            out[(k * n + j) * n + i] = Float(exact(o + step * SIMD3(Double(i), Double(j), Double(k))))
                        }
                    }
                }
            }
        }
        self.values = values
    }

    func callAsFunction(_ p: SIMD3<Double>) -> Double {
        let q = (p - origin) / step
        let f = SIMD3(q.x.rounded(.down), q.y.rounded(.down), q.z.rounded(.down))
        let i = Int(f.x), j = Int(f.y), k = Int(f.z), n = counts.x
        guard i >= 0, j >= 0, k >= 0, i < n - 1, j < n - 1, k < n - 1 else { return exact(p) }
        let t = q - f
        return values.withUnsafeBufferPointer { v in
            let b = (k * n + j) * n + i
            func lerp(_ a: Float, _ c: Float, _ w: Double) -> Double { Double(a) + (Double(c) - Double(a)) * w }
            let x00 = lerp(v[b], v[b + 1], t.x), x10 = lerp(v[b + n], v[b + n + 1], t.x)
            let x01 = lerp(v[b + n * n], v[b + n * n + 1], t.x), x11 = lerp(v[b + n * n + n], v[b + n * n + n + 1], t.x)
            let y0 = x00 + (x10 - x00) * t.y, y1 = x01 + (x11 - x01) * t.y
            return y0 + (y1 - y0) * t.z
        }
    }
}
