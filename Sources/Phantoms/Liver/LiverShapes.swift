import Foundation
import Imaging

/// A signed distance bound (mm, negative inside): any 1-Lipschitz function that is negative
/// exactly inside the shape bounds the true distance from below, which is what
/// `PhantomCanvas.paint` needs. Every combinator here keeps the Lipschitz constant ≤ 1.
typealias SDF = @Sendable (SIMD3<Double>) -> Double

/// Building blocks for the liver phantom's anatomy (patient LPS mm).
enum LiverShapes {
    /// Ellipsoid with semi-axes `radii` along `frame` (default: patient axes).
    static func ellipsoid(_ c: SIMD3<Double>, _ radii: SIMD3<Double>, frame: Frame = .identity) -> SDF {
        Shapes.ellipsoid(center: c, radii: radii, axes: (frame.u, frame.v, frame.w))
    }

    /// Infinite elliptic cylinder along z through (cx, cy): (|q| − 1)·min(r) in the axial plane.
    static func ellipticCylinder(cx: Double, cy: Double, rx: Double, ry: Double) -> SDF {
        let rmin = min(rx, ry)
        return { p in
            let qx = (p.x - cx) / rx, qy = (p.y - cy) / ry
            return ((qx * qx + qy * qy).squareRoot() - 1) * rmin
        }
    }

    /// Points inside `a` and outside `b`.
    static func subtract(_ a: @escaping SDF, _ b: @escaping SDF) -> SDF {
        { p in max(a(p), -b(p)) }
    }

    /// Union (plain minimum).
    static func union(_ shapes: [SDF]) -> SDF {
        { p in shapes.reduce(Double.infinity) { min($0, $1(p)) } }
    }

    /// The shell of thickness `t` mm just outside `shape`.
    static func outerShell(_ shape: @escaping SDF, thickness t: Double) -> SDF {
        { p in
            let d = shape(p)
            return max(d - t, -d)
        }
    }

    /// `shape` with a bumpy surface: `waves` (amplitude mm, wave vector rad/mm, phase) added
    /// and the sum rescaled by its Lipschitz constant so it stays a distance bound.
    static func lobulated(_ shape: @escaping SDF, _ waves: [Wave]) -> SDF {
        let lipschitz = 1 + waves.reduce(0) { $0 + $1.amplitude * ($1.k * $1.k).sum().squareRoot() }
        return { p in
            var d = shape(p)
            for w in waves { d += w.amplitude * sin((w.k * p).sum() + w.phase) }
            return d / lipschitz
        }
    }

    /// `count` random waves of wavelengths in `wavelength` mm, amplitudes summing to `amplitude`.
    static func waves(_ g: inout SplitMix64, count: Int, amplitude: Double,
                      wavelength: ClosedRange<Double>) -> [Wave] {
        (0..<count).map { _ in
            let dir = randomUnit(&g)
            let k = dir * (2 * Double.pi / g.uniform(wavelength))
            return Wave(amplitude: amplitude / Double(count), k: k, phase: g.uniform(0...(2 * Double.pi)))
        }
    }

    /// A uniformly distributed unit vector.
    static func randomUnit(_ g: inout SplitMix64) -> SIMD3<Double> {
        while true {
            let v = SIMD3(g.unit(), g.unit(), g.unit())
            let n2 = (v * v).sum()
            if n2 > 1e-4 && n2 <= 1 { return v / n2.squareRoot() }
        }
    }
}

/// One sinusoidal surface perturbation.
struct Wave: Sendable {
    var amplitude: Double
    var k: SIMD3<Double>
    var phase: Double
}

/// An orthonormal frame (the axes of an ellipsoid).
struct Frame: Sendable {
    var u: SIMD3<Double>, v: SIMD3<Double>, w: SIMD3<Double>

    static let identity = Frame(u: [1, 0, 0], v: [0, 1, 0], w: [0, 0, 1])

    /// Rotation by `angle` radians about the patient z axis.
    static func aboutZ(_ angle: Double) -> Frame {
        Frame(u: [cos(angle), sin(angle), 0], v: [-sin(angle), cos(angle), 0], w: [0, 0, 1])
    }

    /// A uniformly random orientation.
    static func random(_ g: inout SplitMix64) -> Frame {
        let a = LiverShapes.randomUnit(&g)
        var b = LiverShapes.randomUnit(&g)
        b -= (a * b).sum() * a
        let nb = (b * b).sum().squareRoot()
        b = nb > 1e-6 ? b / nb : (abs(a.x) < 0.9 ? SIMD3(1, 0, 0) : SIMD3(0, 1, 0))
        b -= (a * b).sum() * a
        b /= (b * b).sum().squareRoot()
        let c = SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
        return Frame(u: a, v: b, w: c)
    }
}
