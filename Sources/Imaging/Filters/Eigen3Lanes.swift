/// Internal: the trigonometric eigenvalue method of `SymmetricEigen3` for eight symmetric
/// 3×3 matrices at once in Float lanes, used by the per-voxel filters (Hessian, objectness).
///
/// Same steps as the Double version (q = tr/3, p = ‖A − qI‖/√6, r = det((A − qI)/p)/2
/// clamped to [−1, 1], φ = acos(r)/3), with polynomial acos (Abramowitz & Stegun 4.4.46,
/// |error| ≤ 2·10⁻⁸) and Taylor cos/sin on φ ∈ [0, π/3] (|error| < 4·10⁻⁹). Like the
/// Double solver, only the isolated root comes from the formula; the (possibly repeated)
/// pair is solved on the orthogonal complement of its eigenvector, so nearly repeated roots
/// do not suffer the √ε amplification of acos near ±1. Error: Float rounding, a few 10⁻⁶·‖A‖
/// (tested). A matrix with p = 0 (a multiple of the identity, including 0) returns q three
/// times. Results sorted |λ1| ≤ |λ2| ≤ |λ3|.
enum Eigen3Lanes {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func eigenvalues(_ a11: V, _ a12: V, _ a13: V, _ a22: V, _ a23: V, _ a33: V) -> (V, V, V) {
        let q = (a11 + a22 + a33) * (1 as Float / 3)
        let b11 = a11 - q, b22 = a22 - q, b33 = a33 - q
        let off = a12 * a12 + a13 * a13 + a23 * a23
        let p2 = b11 * b11 + b22 * b22 + b33 * b33 + 2 * off
        let p = (p2 * (1 as Float / 6)).squareRoot()
        let degenerate = p .<= V(repeating: Float.leastNormalMagnitude)
        let ip = V(repeating: 1) / p.replacing(with: 1, where: degenerate)
        let c11 = b11 * ip, c22 = b22 * ip, c33 = b33 * ip
        let c12 = a12 * ip, c13 = a13 * ip, c23 = a23 * ip
        let det = c11 * (c22 * c33 - c23 * c23) - c12 * (c12 * c33 - c23 * c13) + c13 * (c12 * c23 - c22 * c13)
        var r = det * 0.5
        r.replace(with: 1, where: r .> 1)
        r.replace(with: -1, where: r .< -1)
        let phi = acos(r) * (1 as Float / 3)
        let (cosPhi, sinPhi) = cosSin(phi)
        let e1 = q + 2 * p * cosPhi
        let e3 = q - p * (cosPhi + 1.7320508 * sinPhi)
        // As in SymmetricEigen3: keep the isolated root (max when r ≥ 0, else min), solve the
        // possibly repeated pair on the orthogonal complement of its eigenvector.
        let e = e1.replacing(with: e3, where: r .< 0)
        let r0x = a11 - e, r1y = a22 - e, r2z = a33 - e
        // Cross products of the rows (r0 = (r0x, a12, a13), r1 = (a12, r1y, a23), r2 = (a13, a23, r2z)).
        var vx = a12 * a23 - a13 * r1y, vy = a13 * a12 - r0x * a23, vz = r0x * r1y - a12 * a12
        var best = vx * vx + vy * vy + vz * vz
        let bx = a12 * r2z - a13 * a23, by = a13 * a13 - r0x * r2z, bz = r0x * a23 - a12 * a13
        let nb = bx * bx + by * by + bz * bz
        var pick = nb .> best
        vx.replace(with: bx, where: pick); vy.replace(with: by, where: pick); vz.replace(with: bz, where: pick)
        best.replace(with: nb, where: pick)
        let cx = r1y * r2z - a23 * a23, cy = a23 * a13 - a12 * r2z, cz = a12 * a23 - r1y * a13
        let nc = cx * cx + cy * cy + cz * cz
        pick = nc .> best
        vx.replace(with: cx, where: pick); vy.replace(with: cy, where: pick); vz.replace(with: cz, where: pick)
        best.replace(with: nc, where: pick)
        let usable = best .> 0 .& .!degenerate
        let iv = V(repeating: 1) / best.replacing(with: 1, where: .!usable).squareRoot()
        vx *= iv; vy *= iv; vz *= iv
        // u ⊥ v: (−vz, 0, vx) if |vx| > |vy|, else (0, vz, −vy); w = v × u.
        let firstForm = magnitude(vx) .> magnitude(vy)
        var ux = (-vz).replacing(with: 0, where: .!firstForm)
        var uy = V(repeating: 0).replacing(with: vz, where: .!firstForm)
        var uz = vx.replacing(with: -vy, where: .!firstForm)
        let iu = V(repeating: 1) / (ux * ux + uy * uy + uz * uz).replacing(with: 1, where: .!usable).squareRoot()
        ux *= iu; uy *= iu; uz *= iu
        let wx = vy * uz - vz * uy, wy = vz * ux - vx * uz, wz = vx * uy - vy * ux
        let aux = a11 * ux + a12 * uy + a13 * uz, auy = a12 * ux + a22 * uy + a23 * uz
        let auz = a13 * ux + a23 * uy + a33 * uz
        let awx = a11 * wx + a12 * wy + a13 * wz, awy = a12 * wx + a22 * wy + a23 * wz
        let awz = a13 * wx + a23 * wy + a33 * wz
        let m11 = ux * aux + uy * auy + uz * auz, m12 = ux * awx + uy * awy + uz * awz
        let m22 = wx * awx + wy * awy + wz * awz
        let mean = (m11 + m22) * 0.5, half = (m11 - m22) * 0.5
        let delta = (half * half + m12 * m12).squareRoot()
        // Fallbacks: trigonometric roots where no eigenvector was found, q where p = 0.
        var x = e.replacing(with: e1, where: .!usable)
        var y = (mean + delta).replacing(with: 3 * q - e1 - e3, where: .!usable)
        var z = (mean - delta).replacing(with: e3, where: .!usable)
        x.replace(with: q, where: degenerate)
        y.replace(with: q, where: degenerate)
        z.replace(with: q, where: degenerate)
        sortByMagnitude(&x, &y, &z)
        return (x, y, z)
    }

    @inline(__always)
    static func sortByMagnitude(_ a: inout V, _ b: inout V, _ c: inout V) {
        exchange(&a, &b)
        exchange(&b, &c)
        exchange(&a, &b)
    }

    @inline(__always)
    static func exchange(_ u: inout V, _ v: inout V) {
        let swapMask = magnitude(u) .> magnitude(v)
        let t = u
        u.replace(with: v, where: swapMask)
        v.replace(with: t, where: swapMask)
    }

    /// |x| by clearing the sign bits.
    @inline(__always)
    static func magnitude(_ x: V) -> V {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7fff_ffff, to: V.self)
    }

    /// acos on [−1, 1]: A&S 4.4.46 on |x|, reflected for x < 0.
    @inline(__always)
    static func acos(_ x: V) -> V {
        let ax = magnitude(x)
        var poly = V(repeating: -0.0012624911)
        poly = poly * ax + 0.0066700901
        poly = poly * ax - 0.0170881256
        poly = poly * ax + 0.0308918810
        poly = poly * ax - 0.0501743046
        poly = poly * ax + 0.0889789874
        poly = poly * ax - 0.2145988016
        poly = poly * ax + 1.5707963050
        let y = (V(repeating: 1) - ax).squareRoot() * poly
        return y.replacing(with: V(repeating: Float.pi) - y, where: x .< 0)
    }

    /// cos and sin on [0, π/3] by Taylor series to x¹⁰ and x¹¹.
    @inline(__always)
    static func cosSin(_ x: V) -> (V, V) {
        let x2 = x * x
        var c = V(repeating: -1.0 / 3628800)
        c = c * x2 + (1.0 / 40320)
        c = c * x2 - (1.0 / 720)
        c = c * x2 + (1.0 / 24)
        c = c * x2 - 0.5
        c = c * x2 + 1
        var s = V(repeating: -1.0 / 39916800)
        s = s * x2 + (1.0 / 362880)
        s = s * x2 - (1.0 / 5040)
        s = s * x2 + (1.0 / 120)
        s = s * x2 - (1.0 / 6)
        s = s * x2 + 1
        return (c, s * x)
    }
}
