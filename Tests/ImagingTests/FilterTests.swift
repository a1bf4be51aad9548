import Foundation
import XCTest
@testable import Imaging

/// Filters: Gaussian, Gradient, SymmetricEigen3, Hessian, Objectness. Hand-worked cases, a
/// brute-force Jacobi oracle, synthetic shapes, and reference values from
/// `scripts/reference_filters.py` (scipy/numpy, float64).
final class FilterTests: XCTestCase {
    override func tearDown() {
        Parallelism.threads = 0
        super.tearDown()
    }

    // MARK: helpers

    static func volume(_ d: Dimensions, _ spacing: Spacing = .isotropic1mm,
                       _ f: (Int, Int, Int) -> Float) -> Volume<Float> {
        var v = Volume<Float>(dimensions: d, geometry: Geometry(spacing: spacing), repeating: 0)
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns { v[s, r, c] = f(s, r, c) } } }
        return v
    }

    /// The scipy-style kernel: exp(−k²/2σ²) for |k| ≤ Int(4σ + 0.5), normalised.
    static func kernel(_ sigma: Double) -> [Double] {
        let r = Int(4 * sigma + 0.5)
        let w = (0...r).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = w[0] + 2 * w.dropFirst().reduce(0, +)
        return w.map { $0 / total }
    }

    // MARK: Gaussian

    func testImpulseGivesTheSampledNormalisedKernel() {
        // σ = 1 mm on spacing (2, 1, 0.5) mm is (0.5, 1, 2) voxels: radii 2, 4, 8. The impulse at
        // the centre of a 9×11×17 grid keeps every kernel tap inside the grid.
        let d = Dimensions(slices: 9, rows: 11, columns: 17)
        let v = Self.volume(d, Spacing(slice: 2, row: 1, column: 0.5)) { s, r, c in s == 4 && r == 5 && c == 8 ? 1 : 0 }
        let g = Gaussian.smooth(v, sigma: 1)
        let ws = Self.kernel(0.5), wr = Self.kernel(1), wc = Self.kernel(2)
        XCTAssertEqual(ws.count, 3); XCTAssertEqual(wr.count, 5); XCTAssertEqual(wc.count, 9)
        for s in 0..<9 { for r in 0..<11 { for c in 0..<17 {
            let (a, b, e) = (abs(s - 4), abs(r - 5), abs(c - 8))
            let want = a < ws.count && b < wr.count && e < wc.count ? ws[a] * wr[b] * wc[e] : 0
            XCTAssertEqual(Double(g[s, r, c]), want, accuracy: 1e-7, "at \(s),\(r),\(c)")
        } } }
    }

    func testConstantStaysConstant() {
        // Odd sizes (columns not a multiple of 8, axes shorter than the kernel radius).
        let d = Dimensions(slices: 3, rows: 5, columns: 13)
        let v = Volume<Float>(dimensions: d, geometry: Geometry(spacing: Spacing(slice: 0.7, row: 1.3, column: 0.4)),
                              repeating: -731.5)
        for g in [Gaussian.smooth(v, sigma: 2), Gaussian.smooth(v, sigmaSlice: 5, sigmaRow: 0, sigmaColumn: 0.3)] {
            for x in g.voxels { XCTAssertEqual(x, -731.5, accuracy: 731.5 * 2e-6) }
        }
        XCTAssertEqual(Gaussian.smooth(v, sigma: 0).voxels, v.voxels)
        XCTAssertEqual(Gaussian.smooth(v, sigma: -1).voxels, v.voxels)
    }

    func testAnisotropicSpacingMatchesVoxelUnits() {
        // σ in mm on spacing h equals σ/h voxels on unit spacing, axis by axis, exactly.
        let d = Dimensions(slices: 10, rows: 12, columns: 19)
        let f: (Int, Int, Int) -> Float = { s, r, c in Float((s * 7 + r * 3 + c * 5) % 11) - Float(r) * 0.5 }
        let aniso = Self.volume(d, Spacing(slice: 2, row: 0.5, column: 0.8), f)
        let unit = Self.volume(d, .isotropic1mm, f)
        let a = Gaussian.smooth(aniso, sigma: 1.6)
        let b = Gaussian.smooth(unit, sigmaSlice: 0.8, sigmaRow: 3.2, sigmaColumn: 2)
        XCTAssertEqual(a.voxels, b.voxels)
    }

    func testAnisotropicGaussianEqualsIsotropicResultResampledOnTheAxis() {
        // A Gaussian blob (σ0 = 3 mm) smoothed by σ = 2 mm is a Gaussian of σ' = √13 mm,
        // amplitude (σ0/σ')³. Sampled on a 2 mm slice grid and on a 1 mm grid, the results must
        // agree where the grids coincide (every other fine slice), and with the analytic value.
        // Tolerance 1e-3 of the peak: 4σ truncation (6·10⁻⁵ of the mass) and sampling.
        func blob(_ slices: Int, _ hs: Double) -> Volume<Float> {
            let d = Dimensions(slices: slices, rows: 25, columns: 25)
            let centre = Double(slices - 1) / 2 * hs
            return Self.volume(d, Spacing(slice: hs, row: 1, column: 1)) { s, r, c in
                let z = Double(s) * hs - centre, y = Double(r - 12), x = Double(c - 12)
                return Float(exp(-(x * x + y * y + z * z) / 18))
            }
        }
        let coarse = Gaussian.smooth(blob(13, 2), sigma: 2)
        let fine = Gaussian.smooth(blob(25, 1), sigma: 2)
        let peak = pow(3 / 13.0.squareRoot(), 3)
        for s in 0..<13 { for r in stride(from: 6, through: 18, by: 3) { for c in stride(from: 6, through: 18, by: 2) {
            XCTAssertEqual(coarse[s, r, c], fine[2 * s, r, c], accuracy: Float(peak * 1e-3))
            if (3...9).contains(s) {
                let z = Double(2 * s - 12), y = Double(r - 12), x = Double(c - 12)
                let want = peak * exp(-(x * x + y * y + z * z) / 26)
                XCTAssertEqual(Double(coarse[s, r, c]), want, accuracy: peak * 1e-3)
            }
        } } }
    }

    // MARK: reference values (scripts/reference_filters.py)

    /// The script's volume: 7×9×11, spacing (2.5, 0.8, 0.6) mm, integer formula exact in Float.
    static func referenceVolume() -> Volume<Float> {
        let d = Dimensions(slices: 7, rows: 9, columns: 11)
        return Self.volume(d, Spacing(slice: 2.5, row: 0.8, column: 0.6)) { s, r, c in
            Float((37 * s + 23 * r + 11 * c) % 17) * 1.5 + 0.5 * Float(s) - 0.25 * Float(r) + 0.125 * Float(c * c)
        }
    }

    static let referencePoints = [(0, 0, 0), (3, 4, 5), (6, 8, 10), (1, 7, 2), (5, 2, 9)]

    func testGaussianMatchesScipy() {
        // scipy.ndimage.gaussian_filter(mode='nearest', truncate=4) in float64; tolerance 2e-6
        // relative (Float accumulation).
        let v = Self.referenceVolume()
        XCTAssertEqual(v.voxels.reduce(0, +), 11647.875)
        let g = Gaussian.smooth(v, sigma: 1.5)
        XCTAssertEqual(Double(g.voxels.reduce(0, +)), 11767.76211, accuracy: 11767.76211 * 2e-6)
        let want = [8.590453242, 16.59814289, 21.17242668, 12.41114417, 23.12109216]
        let columnOnly = [6.129724188, 17.17078206, 21.81396993, 14.79909791, 19.48247506]
        let sliceOnly = [2.249834742, 10.64558529, 20.65685605, 15.31973892, 22.45072422]
        let gc = Gaussian.smooth(v, sigmaSlice: 0, sigmaRow: 0, sigmaColumn: 1.2)
        let gs = Gaussian.smooth(v, sigmaSlice: 3, sigmaRow: 0, sigmaColumn: 0)
        for (i, p) in Self.referencePoints.enumerated() {
            XCTAssertEqual(Double(g[p.0, p.1, p.2]), want[i], accuracy: want[i] * 2e-6)
            XCTAssertEqual(Double(gc[p.0, p.1, p.2]), columnOnly[i], accuracy: columnOnly[i] * 2e-6)
            XCTAssertEqual(Double(gs[p.0, p.1, p.2]), sliceOnly[i], accuracy: sliceOnly[i] * 2e-6)
        }
    }

    func testGradientMatchesNumpy() {
        // numpy.gradient(v, 2.5, 0.8, 0.6); tolerance 1e-5 absolute (Float).
        let v = Self.referenceVolume()
        let g = Gradient.components(v)
        let sums = [1820.3, 5851.5625, 7844.583333]
        for (i, comp) in [g.slice, g.row, g.column].enumerated() {
            XCTAssertEqual(comp.voxels.reduce(0.0) { $0 + Double(abs($1)) }, sums[i], accuracy: sums[i] * 1e-6)
        }
        let want: [(Double, Double, Double)] = [(2, 10.9375, 27.70833333), (2, -5, 8.333333333),
                                                (2, 10.9375, -11.04166667), (-3.1, -5, 7.083333333),
                                                (2, 10.9375, -11.25)]
        for (i, p) in Self.referencePoints.enumerated() {
            XCTAssertEqual(Double(g.slice[p.0, p.1, p.2]), want[i].0, accuracy: 1e-5)
            XCTAssertEqual(Double(g.row[p.0, p.1, p.2]), want[i].1, accuracy: 1e-5)
            XCTAssertEqual(Double(g.column[p.0, p.1, p.2]), want[i].2, accuracy: 1e-5)
        }
        let m = Gradient.magnitude(v)
        for i in v.voxels.indices {
            let e = (g.slice.voxels[i], g.row.voxels[i], g.column.voxels[i])
            XCTAssertEqual(m.voxels[i], (e.0 * e.0 + e.1 * e.1 + e.2 * e.2).squareRoot(), accuracy: 1e-4)
        }
    }

    func testHessianEigenvaluesMatchNumpy() {
        // Same definition in numpy (eigvalsh, sorted by |λ|); tolerance 1e-4·(1 + |λ|) (Float).
        let e = Hessian.eigenvalues(Self.referenceVolume(), sigma: 1.5)
        let want: [(Double, Double, Double)] = [
            (0.7769225447, 2.585218224, 10.45465343), (0.04482525967, -0.5010534464, 1.358284523),
            (0.0342992401, 1.807024534, -4.615903758), (-0.3180228485, 1.240388789, -1.651578466),
            (-0.26242477, 0.8734347563, -1.471405078)]
        for (i, p) in Self.referencePoints.enumerated() {
            let got = (Double(e.l1[p.0, p.1, p.2]), Double(e.l2[p.0, p.1, p.2]), Double(e.l3[p.0, p.1, p.2]))
            XCTAssertEqual(got.0, want[i].0, accuracy: 1e-4 * (1 + abs(want[i].0)), "\(p)")
            XCTAssertEqual(got.1, want[i].1, accuracy: 1e-4 * (1 + abs(want[i].1)), "\(p)")
            XCTAssertEqual(got.2, want[i].2, accuracy: 1e-4 * (1 + abs(want[i].2)), "\(p)")
        }
    }
}

// MARK: gradient, eigenvalues, Hessian

extension FilterTests {
    func testLinearRampGradientIsExactInMillimetres() {
        // v = 3·s − 2·r + 0.5·c (index units) on spacing (2.5, 0.8, 0.4) mm: the derivatives per mm
        // are 3/2.5, −2/0.8, 0.5/0.4 everywhere, edges included (one-sided differences are exact).
        let d = Dimensions(slices: 4, rows: 5, columns: 9)
        let v = Self.volume(d, Spacing(slice: 2.5, row: 0.8, column: 0.4)) { s, r, c in
            Float(3 * s - 2 * r) + 0.5 * Float(c)
        }
        let g = Gradient.components(v)
        for i in v.voxels.indices {
            XCTAssertEqual(g.slice.voxels[i], 1.2, accuracy: 1e-5)
            XCTAssertEqual(g.row.voxels[i], -2.5, accuracy: 1e-5)
            XCTAssertEqual(g.column.voxels[i], 1.25, accuracy: 1e-5)
        }
        let want = Float(1.2 * 1.2 + 2.5 * 2.5 + 1.25 * 1.25).squareRoot()
        for x in Gradient.magnitude(v).voxels { XCTAssertEqual(x, want, accuracy: 1e-5) }
        // A single-voxel axis has derivative 0.
        let flat = Gradient.components(Self.volume(Dimensions(slices: 1, rows: 2, columns: 1)) { _, r, _ in Float(r) })
        XCTAssertEqual(flat.slice.voxels, [0, 0]); XCTAssertEqual(flat.row.voxels, [1, 1])
        XCTAssertEqual(flat.column.voxels, [0, 0])
    }

    /// Cyclic Jacobi rotations until the off-diagonal vanishes: the brute-force oracle.
    static func jacobiEigenvalues(_ m: [[Double]]) -> [Double] {
        var a = m
        for _ in 0..<100 {
            let off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2]
            if off < 1e-300 { break }
            for (p, q) in [(0, 1), (0, 2), (1, 2)] where a[p][q] != 0 {
                let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<3 { // A ← A·J
                    let akp = a[k][p], akq = a[k][q]
                    a[k][p] = c * akp - s * akq; a[k][q] = s * akp + c * akq
                }
                for k in 0..<3 { // A ← Jᵀ·A
                    let apk = a[p][k], aqk = a[q][k]
                    a[p][k] = c * apk - s * aqk; a[q][k] = s * apk + c * aqk
                }
            }
        }
        return [a[0][0], a[1][1], a[2][2]].sorted { abs($0) < abs($1) }
    }

    func testEigenSolverAgreesWithJacobiOnRandomMatrices() {
        // 1000 random symmetric matrices (seed 20261122), entries in [−s, s) with s spanning 1e-3…1e3,
        // a third of them with forced repeated roots (Q·diag(a, a, b)·Qᵀ). Tolerance: 1e-13·‖A‖_F
        // (the hybrid keeps repeated roots at rounding level).
        var rng = SplitMix64(state: 20_261_122)
        for n in 0..<1000 {
            let scale = pow(10, 3 * rng.unit())
            var m = [[Double]](repeating: [0, 0, 0], count: 3)
            if n % 3 == 0 {
                // Random rotation from a normalised quaternion; eigenvalues (a, a, b).
                var qv = (rng.unit(), rng.unit(), rng.unit(), rng.unit())
                let ql = (qv.0 * qv.0 + qv.1 * qv.1 + qv.2 * qv.2 + qv.3 * qv.3).squareRoot()
                qv = (qv.0 / ql, qv.1 / ql, qv.2 / ql, qv.3 / ql)
                let (w, x, y, z) = qv
                let r = [[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                         [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                         [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]]
                let a = rng.unit() * scale, b = rng.unit() * scale
                let diag = [a, a, b]
                for i in 0..<3 {
                    for j in 0..<3 { m[i][j] = (0..<3).reduce(0) { $0 + r[i][$1] * diag[$1] * r[j][$1] } }
                }
                for i in 0..<3 { for j in 0..<i { m[i][j] = m[j][i] } }
            } else {
                for i in 0..<3 { for j in i..<3 { m[i][j] = rng.unit() * scale; m[j][i] = m[i][j] } }
            }
            let want = Self.jacobiEigenvalues(m)
            let got = SymmetricEigen3.eigenvalues(m[0][0], m[0][1], m[0][2], m[1][1], m[1][2], m[2][2])
            let norm = m.joined().reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertEqual(got.0, want[0], accuracy: 1e-13 * norm, "matrix \(n)")
            XCTAssertEqual(got.1, want[1], accuracy: 1e-13 * norm, "matrix \(n)")
            XCTAssertEqual(got.2, want[2], accuracy: 1e-13 * norm, "matrix \(n)")
            XCTAssertLessThanOrEqual(abs(got.0), abs(got.1)); XCTAssertLessThanOrEqual(abs(got.1), abs(got.2))

            // The Float-lane version used per voxel (same hybrid method): 1e-6·‖A‖, repeated
            // roots included (worst seen 3.2e-7·‖A‖).
            typealias V = SIMD8<Float>
            let lanes = Eigen3Lanes.eigenvalues(V(repeating: Float(m[0][0])), V(repeating: Float(m[0][1])),
                                                V(repeating: Float(m[0][2])), V(repeating: Float(m[1][1])),
                                                V(repeating: Float(m[1][2])), V(repeating: Float(m[2][2])))
            let tol = 1e-6 * norm
            XCTAssertEqual(Double(lanes.0[3]), want[0], accuracy: tol, "lanes \(n)")
            XCTAssertEqual(Double(lanes.1[3]), want[1], accuracy: tol, "lanes \(n)")
            XCTAssertEqual(Double(lanes.2[3]), want[2], accuracy: tol, "lanes \(n)")
        }
    }

    func testEigenSolverSpecialCases() {
        XCTAssertTrue(SymmetricEigen3.eigenvalues(0, 0, 0, 0, 0, 0) == (0, 0, 0))
        XCTAssertTrue(SymmetricEigen3.eigenvalues(-3, 0, 0, 1, 0, 2) == (1, 2, -3))
        let (a, b, c) = SymmetricEigen3.eigenvalues(5, 1e-9, 0, 5, 0, 5)
        XCTAssertEqual(a, 5, accuracy: 1e-8); XCTAssertEqual(b, 5, accuracy: 1e-8); XCTAssertEqual(c, 5, accuracy: 1e-8)
        // [[2,1,1],[1,2,1],[1,1,2]] has eigenvalues 1, 1, 4 (repeated root).
        let (x, y, z) = SymmetricEigen3.eigenvalues(2, 1, 1, 2, 1, 2)
        XCTAssertEqual(x, 1, accuracy: 1e-12)
        XCTAssertEqual(y, 1, accuracy: 1e-12)
        XCTAssertEqual(z, 4, accuracy: 1e-12)
    }

    /// f = xᵀAx in mm about the grid centre, with A = Rᵀ·diag(1, 2, 3)·R: Hessian 2A, eigenvalues 2, 4, 6.
    static func quadratic(rotated: Bool, sign: Float = 1) -> Volume<Float> {
        let d = Dimensions(slices: 21, rows: 25, columns: 29)
        let h = Spacing(slice: 1, row: 0.8, column: 0.6)
        // Rotation by 30° about the slice axis, then 45° about the column axis.
        let c1 = cos(Double.pi / 6), s1 = sin(Double.pi / 6), c2 = cos(Double.pi / 4), s2 = sin(Double.pi / 4)
        let r1 = [[1.0, 0, 0], [0, c1, -s1], [0, s1, c1]], r2 = [[c2, 0, -s2], [0, 1, 0], [s2, 0, c2]]
        let r = rotated ? (0..<3).map { i in (0..<3).map { j in (0..<3).reduce(0) { $0 + r1[i][$1] * r2[$1][j] } } }
                        : [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        return volume(d, h) { s, rr, c in
            let p = [Double(c - 14) * 0.6, Double(rr - 12) * 0.8, Double(s - 10) * 1.0] // x, y, z mm
            let u = (0..<3).map { i in (0..<3).reduce(0) { $0 + r[i][$1] * p[$1] } }
            return sign * Float(u[0] * u[0] + 2 * u[1] * u[1] + 3 * u[2] * u[2])
        }
    }

    func testHessianOfQuadraticGivesTwoFourSix() {
        // Exact in the interior: smoothing a quadratic adds a constant; the stencils are exact.
        // Float rounding of f (≤ ~100) through 1/h² gives the tolerance 2e-3.
        for rotated in [false, true] {
            let v = Self.quadratic(rotated: rotated)
            for (sigma, normalized) in [(0.0, true), (1.0, false), (1.0, true), (0.8, true)] {
                let e = Hessian.eigenvalues(v, sigma: sigma, normalized: normalized)
                let k = sigma > 0 && normalized ? sigma * sigma : 1
                for (s, r, c) in [(10, 12, 14), (9, 13, 15), (11, 11, 13)] {
                    XCTAssertEqual(Double(e.l1[s, r, c]), 2 * k, accuracy: 2e-3, "σ \(sigma) rotated \(rotated)")
                    XCTAssertEqual(Double(e.l2[s, r, c]), 4 * k, accuracy: 2e-3, "σ \(sigma) rotated \(rotated)")
                    XCTAssertEqual(Double(e.l3[s, r, c]), 6 * k, accuracy: 2e-3, "σ \(sigma) rotated \(rotated)")
                }
            }
        }
    }
}

// MARK: objectness and threads

extension FilterTests {
    func testMeasuresOnANegativeQuadraticAreTheFormulas() {
        // −(x² + 2y² + 3z²): eigenvalues −2, −4, −6 (σ² = 1 here). Paper order |λ1| ≥ |λ2| ≥ |λ3|
        // = 6, 4, 2: dot = 2²/6, line = 4·(4 − 2)/6. Frangi with c = 5: R_A = 4/6,
        // R_B = 2/√24, S² = 56.
        let v = Self.quadratic(rotated: true, sign: -1)
        let dot = Objectness.dot(v, sigmas: [1]), line = Objectness.line(v, sigmas: [1])
        let frangi = Objectness.frangi(v, sigmas: [1], c: 5)
        let ra2 = 16.0 / 36, rb2 = 4.0 / 24, s2 = 56.0
        let v0 = (1 - exp(-ra2 / 0.5)) * exp(-rb2 / 0.5) * (1 - exp(-s2 / 50))
        XCTAssertEqual(Double(dot[10, 12, 14]), 4.0 / 6, accuracy: 1e-3)
        XCTAssertEqual(Double(line[10, 12, 14]), 8.0 / 6, accuracy: 1e-3)
        XCTAssertEqual(Double(frangi[10, 12, 14]), v0, accuracy: 1e-4)
        // Bright-object measures vanish on the positive (dark-blob) quadratic; dark Frangi does not.
        let up = Self.quadratic(rotated: true)
        XCTAssertEqual(Objectness.dot(up, sigmas: [1])[10, 12, 14], 0)
        XCTAssertEqual(Objectness.frangi(up, sigmas: [1], c: 5)[10, 12, 14], 0)
        let darkFrangi = Objectness.frangi(up, sigmas: [1], c: 5, brightObjects: false)
        XCTAssertEqual(Double(darkFrangi[10, 12, 14]), v0, accuracy: 1e-4)
    }

    /// Bright Gaussian-profile tube (along slices), blob and plane of σ0 = 2 mm on a 25³ grid of 1 mm.
    static func shapes() -> (tube: Volume<Float>, blob: Volume<Float>, plane: Volume<Float>) {
        let d = Dimensions(slices: 25, rows: 25, columns: 25)
        func make(_ f: @escaping (Double, Double, Double) -> Double) -> Volume<Float> {
            volume(d) { s, r, c in Float(100 * f(Double(s - 12), Double(r - 12), Double(c - 12))) }
        }
        return (make { _, y, x in exp(-(x * x + y * y) / 8) }, make { z, y, x in exp(-(x * x + y * y + z * z) / 8) },
                make { _, _, x in exp(-(x * x) / 8) })
    }

    func testFrangiPrefersTubesAndDotPrefersBlobs() {
        let (tube, blob, plane) = Self.shapes()
        let sigmas = [1.5, 2.0, 3.0]
        // One shared c, so responses are comparable across volumes.
        func f(_ v: Volume<Float>) -> Float { Objectness.frangi(v, sigmas: sigmas, c: 20)[12, 12, 12] }
        func dot(_ v: Volume<Float>) -> Float { Objectness.dot(v, sigmas: sigmas)[12, 12, 12] }
        func line(_ v: Volume<Float>) -> Float { Objectness.line(v, sigmas: sigmas)[12, 12, 12] }
        XCTAssertGreaterThan(f(tube), 0.5)
        XCTAssertGreaterThan(f(tube), 3 * f(blob))
        XCTAssertGreaterThan(f(tube), 10 * f(plane))
        XCTAssertGreaterThan(dot(blob), 10 * dot(tube))
        XCTAssertGreaterThan(dot(blob), 10 * dot(plane))
        XCTAssertGreaterThan(line(tube), 3 * line(blob))
        XCTAssertGreaterThan(line(tube), 10 * line(plane))
        // Default c (half the largest Hessian norm of each scale) still ranks the tube first.
        XCTAssertGreaterThan(Objectness.frangi(tube, sigmas: sigmas)[12, 12, 12],
                             3 * Objectness.frangi(blob, sigmas: sigmas)[12, 12, 12])
        // Dark objects: the inverted tube answers only with brightObjects = false.
        let dark = tube.map { -$0 }
        XCTAssertEqual(Objectness.frangi(dark, sigmas: sigmas, c: 20, brightObjects: false)[12, 12, 12], f(tube),
                       accuracy: 1e-6)
        XCTAssertEqual(Objectness.frangi(dark, sigmas: sigmas, c: 20)[12, 12, 12], 0)
    }

    func testOneAndTwoThreadsGiveIdenticalResults() {
        let d = Dimensions(slices: 12, rows: 40, columns: 37)
        let v = Self.volume(d, Spacing(slice: 1.5, row: 0.7, column: 0.9)) { s, r, c in
            Float((s * 131 + r * 71 + c * 37) % 97) - 40 + Float(r) * 0.3
        }
        func run() -> [[Float]] {
            let e = Hessian.eigenvalues(v, sigma: 1.2)
            let g = Gradient.components(v)
            return [Gaussian.smooth(v, sigma: 1.1).voxels,
                    Gaussian.smooth(v, sigmaSlice: 2, sigmaRow: 0, sigmaColumn: 0.5).voxels,
                    g.slice.voxels, g.row.voxels, g.column.voxels, Gradient.magnitude(v).voxels,
                    e.l1.voxels, e.l2.voxels, e.l3.voxels, Objectness.frangi(v, sigmas: [1, 2]).voxels,
                    Objectness.dot(v, sigmas: [1, 2]).voxels, Objectness.line(v, sigmas: [1, 2]).voxels]
        }
        Parallelism.threads = 1
        let one = run()
        Parallelism.threads = 2
        let two = run()
        Parallelism.threads = 3
        let three = run()
        for i in one.indices {
            XCTAssertEqual(one[i], two[i], "output \(i)")
            XCTAssertEqual(one[i], three[i], "output \(i)")
        }
    }
}
