import Foundation

/// Closed-form eigenvalues of a real symmetric 3×3 matrix
///
///     | a11 a12 a13 |
///     | a12 a22 a23 |
///     | a13 a23 a33 |
///
/// by the trigonometric method (O. K. Smith, "Eigenvalues of a symmetric 3 × 3 matrix",
/// CACM 4(4), 1961): with q = tr(A)/3, p = ‖A − qI‖_F/√6 and B = (A − qI)/p, the eigenvalues
/// are q + 2p·cos(φ + 2πk/3), φ = acos(det(B)/2)/3.
///
/// Robustness: a diagonal matrix (all off-diagonals 0) returns its diagonal exactly; a
/// multiple of the identity returns q three times; det(B)/2 is clamped to [−1, 1] so that
/// rounding near repeated roots cannot produce NaN; B is formed before the determinant so the
/// method is scale-invariant. The middle eigenvalue comes from the trace, 3q − λmax − λmin.
/// Results are sorted by absolute value, ascending: |λ1| ≤ |λ2| ≤ |λ3|.
public struct SymmetricEigen3 {
    /// The three eigenvalues sorted so that |λ1| ≤ |λ2| ≤ |λ3|.
    @inlinable
    public static func eigenvalues(_ a11: Double, _ a12: Double, _ a13: Double, _ a22: Double,
                                   _ a23: Double, _ a33: Double) -> (Double, Double, Double) {
        let (x, y, z) = unsorted(a11, a12, a13, a22, a23, a33)
        return sortedByMagnitude(x, y, z)
    }

    /// Eigenvalues unsorted (the isolated root first for a non-diagonal matrix; the diagonal
    /// for a diagonal one).
    @inlinable
    static func unsorted(_ a11: Double, _ a12: Double, _ a13: Double, _ a22: Double,
                         _ a23: Double, _ a33: Double) -> (Double, Double, Double) {
        let p1 = a12 * a12 + a13 * a13 + a23 * a23
        if p1 == 0 { return (a11, a22, a33) }
        let q = (a11 + a22 + a33) / 3
        let b11 = a11 - q, b22 = a22 - q, b33 = a33 - q
        let p2 = b11 * b11 + b22 * b22 + b33 * b33 + 2 * p1
        let p = (p2 / 6).squareRoot()
        if !(p > 0) { return (q, q, q) }
        let ip = 1 / p
        let c11 = b11 * ip, c22 = b22 * ip, c33 = b33 * ip
        let c12 = a12 * ip, c13 = a13 * ip, c23 = a23 * ip
        let det = c11 * (c22 * c33 - c23 * c23) - c12 * (c12 * c33 - c23 * c13) + c13 * (c12 * c23 - c22 * c13)
        let r = min(1, max(-1, det / 2))
        let phi = acos(r) / 3
        // The trigonometric roots are exact to rounding for the eigenvalue farthest from the
        // other two (the maximum when r ≥ 0, the minimum otherwise: its gap is ≥ √3·p), but
        // a nearly repeated pair inherits √ε error from acos near ±1. So keep only that
        // isolated root, take its eigenvector, and solve the pair exactly on the orthogonal
        // complement (a 2×2 symmetric problem).
        let isolated = r >= 0 ? q + 2 * p * cos(phi) : q + 2 * p * cos(phi + 2 * Double.pi / 3)
        let (m11, m12, m22) = complement(a11, a12, a13, a22, a23, a33, isolated)
        let mean = (m11 + m22) / 2, half = (m11 - m22) / 2
        let delta = (half * half + m12 * m12).squareRoot()
        return (isolated, mean + delta, mean - delta)
    }

    /// The 2×2 restriction [[uᵀAu, uᵀAw], [uᵀAw, wᵀAw]] of A to the plane orthogonal to the
    /// eigenvector of the isolated eigenvalue `e` (found as the largest cross product of two
    /// rows of A − eI).
    @inlinable
    static func complement(_ a11: Double, _ a12: Double, _ a13: Double, _ a22: Double, _ a23: Double,
                           _ a33: Double, _ e: Double) -> (Double, Double, Double) {
        let r0 = SIMD3(a11 - e, a12, a13), r1 = SIMD3(a12, a22 - e, a23), r2 = SIMD3(a13, a23, a33 - e)
        func cross(_ x: SIMD3<Double>, _ y: SIMD3<Double>) -> SIMD3<Double> {
            SIMD3(x.y * y.z - x.z * y.y, x.z * y.x - x.x * y.z, x.x * y.y - x.y * y.x)
        }
        func dot(_ x: SIMD3<Double>, _ y: SIMD3<Double>) -> Double { (x * y).sum() }
        var v = cross(r0, r1)
        var best = dot(v, v)
        let c02 = cross(r0, r2), c12 = cross(r1, r2)
        if dot(c02, c02) > best { v = c02; best = dot(c02, c02) }
        if dot(c12, c12) > best { v = c12; best = dot(c12, c12) }
        v /= best.squareRoot()
        // u ⊥ v from the larger of two candidate pairs, w = v × u.
        var u = abs(v.x) > abs(v.y) ? SIMD3(-v.z, 0, v.x) : SIMD3(0, v.z, -v.y)
        u /= dot(u, u).squareRoot()
        let w = cross(v, u)
        func apply(_ x: SIMD3<Double>) -> SIMD3<Double> {
            SIMD3(a11 * x.x + a12 * x.y + a13 * x.z, a12 * x.x + a22 * x.y + a23 * x.z,
                  a13 * x.x + a23 * x.y + a33 * x.z)
        }
        let au = apply(u), aw = apply(w)
        return (dot(u, au), dot(u, aw), dot(w, aw))
    }

    /// Sorts three values by absolute value, ascending (three compare-exchanges).
    @inlinable @inline(__always)
    static func sortedByMagnitude(_ x: Double, _ y: Double, _ z: Double) -> (Double, Double, Double) {
        var a = x, b = y, c = z
        if abs(a) > abs(b) { swap(&a, &b) }
        if abs(b) > abs(c) { swap(&b, &c) }
        if abs(a) > abs(b) { swap(&a, &b) }
        return (a, b, c)
    }
}
