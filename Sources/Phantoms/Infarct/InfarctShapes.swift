import Foundation
import Imaging

/// Shape helpers of the infarct phantom: ellipsoids with a near-Euclidean signed distance,
/// smooth random fields for heterogeneity, and random rotations. Internal.
enum InfarctShapes {
    /// An ellipsoid with orthonormal `axes` and semi-axes `radii` (mm).
    struct Ellipsoid: Sendable {
        var center: SIMD3<Double>
        var radii: SIMD3<Double>
        var axes: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>) = ([1, 0, 0], [0, 1, 0], [0, 0, 1])

        /// First-order distance estimate `k0 (k0 − 1) / k1` (k0 = |q/r|, k1 = |q/r²|): exact on
        /// the surface, close to the Euclidean distance near it, negative inside.
        func distance(_ p: SIMD3<Double>) -> Double {
            let v = p - center
            let q = SIMD3((v * axes.0).sum(), (v * axes.1).sum(), (v * axes.2).sum())
            let a = q / radii, b = a / radii
            let k0 = (a * a).sum().squareRoot(), k1 = (b * b).sum().squareRoot()
            guard k1 > 1e-12 else { return -radii.min() }
            return k0 * (k0 - 1) / k1
        }
    }

    /// A smooth random field in [−1, 1]: the mean of three plane waves with random directions,
    /// wavelengths in `wavelengths` (mm) and phases.
    struct Field: Sendable {
        var waves: [(k: SIMD3<Double>, phase: Double)]

        init(_ rng: inout SplitMix64, wavelengths: ClosedRange<Double>) {
            waves = (0..<3).map { _ in
                let k = InfarctShapes.unitVector(&rng) * (2 * Double.pi / rng.uniform(wavelengths))
                return (k, rng.uniform(0...(2 * Double.pi)))
            }
        }

        func callAsFunction(_ p: SIMD3<Double>) -> Double {
            var s = 0.0
            for w in waves { s += sin((w.k * p).sum() + w.phase) }
            return s / Double(waves.count)
        }
    }

    /// A uniformly distributed unit vector.
    static func unitVector(_ rng: inout SplitMix64) -> SIMD3<Double> {
        let z = rng.uniform(-1...1), phi = rng.uniform(0...(2 * Double.pi))
        let r = (1 - z * z).squareRoot()
        return SIMD3(r * cos(phi), r * sin(phi), z)
    }

    /// A random orthonormal frame.
    static func rotation(_ rng: inout SplitMix64) -> (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>) {
        let a = unitVector(&rng)
        var b = unitVector(&rng)
        b -= (a * b).sum() * a
        let n = (b * b).sum().squareRoot()
        b = n > 1e-6 ? b / n : (abs(a.x) < 0.9 ? normalize(cross([1, 0, 0], a)) : normalize(cross([0, 1, 0], a)))
        return (a, b, cross(a, b))
    }

    static func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
    }

    static func normalize(_ v: SIMD3<Double>) -> SIMD3<Double> { v / (v * v).sum().squareRoot() }

    /// Linear interpolation from `a` (t ≤ 0) to `b` (t ≥ 1).
    static func lerp(_ a: Double, _ b: Double, _ t: Double) -> Double { a + (b - a) * min(1, max(0, t)) }
}
