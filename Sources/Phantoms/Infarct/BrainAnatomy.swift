import Foundation
import Imaging

/// The normal brain of the infarct phantom, mirror-symmetric about its own midline plane:
/// an egg-shaped head whose outer 1.5–3 mm is CSF, a 2.5–3.5 mm cortical grey-matter ribbon
/// over white matter, deep grey nuclei (thalamus, lentiform, caudate head), lateral ventricles
/// (body and posterior horn, size varies as with atrophy) and the interhemispheric fissure
/// (CSF lined by cortex) above the ventricles. Placed with a small seeded shift and yaw.
/// Distances are in mm, negative inside; `local` turns patient coordinates into the brain's
/// own frame (x = patient left, y = posterior, z = superior, origin at the brain centre).
struct BrainAnatomy: Sendable {
    var center: SIMD3<Double>
    var yaw: Double
    /// Head semi-axes: x; y anterior, y posterior; z inferior, z superior.
    var radiusX: Double, radiusAnterior: Double, radiusPosterior: Double
    var radiusInferior: Double, radiusSuperior: Double
    var csfThickness: Double, greyThickness: Double
    var ventricles: [(a: SIMD3<Double>, b: SIMD3<Double>, radius: Double)]
    var nuclei: [InfarctShapes.Ellipsoid]
    var fissureHalfWidth: Double, fissureBottom: Double

    init(_ rng: inout SplitMix64) {
        center = [rng.uniform(-4...4), rng.uniform(-6...6), rng.uniform(-3...3)]
        yaw = rng.uniform(-3...3) * Double.pi / 180
        radiusX = rng.uniform(66...72)
        radiusPosterior = rng.uniform(84...92)
        radiusAnterior = radiusPosterior * rng.uniform(0.92...0.98)
        radiusSuperior = rng.uniform(58...64)
        radiusInferior = radiusSuperior * rng.uniform(0.82...0.9)
        csfThickness = rng.uniform(1.5...3)
        greyThickness = rng.uniform(2.5...3.5)
        let vr = rng.uniform(3.5...7), vx = rng.uniform(7...10), vz = rng.uniform(8...14)
        let front = rng.uniform(20...28), back = rng.uniform(15...22)
        var v: [(SIMD3<Double>, SIMD3<Double>, Double)] = []
        var n: [InfarctShapes.Ellipsoid] = []
        for s in [-1.0, 1.0] {
            v.append(([s * vx, -front, vz], [s * (vx + 2), back, vz + 3], vr))
            v.append(([s * (vx + 2), back, vz + 3], [s * (vx + 14), back + 12, vz - 22], vr * 0.5))
            n.append(.init(center: [s * 12, 8, 1], radii: [7.5, 13, 9]))
            n.append(.init(center: [s * 24, -4, -1], radii: [6, 15, 10]))
            n.append(.init(center: [s * (vx + 4), -front + 6, vz + 1], radii: [5, 8, 7]))
        }
        ventricles = v.map { (a: $0.0, b: $0.1, radius: $0.2) }
        nuclei = n
        fissureHalfWidth = rng.uniform(0.8...1.5)
        fissureBottom = vz + vr + rng.uniform(4...8)
    }

    /// Patient coordinates → the brain's frame.
    func local(_ p: SIMD3<Double>) -> SIMD3<Double> {
        let d = p - center, c = cos(yaw), s = sin(yaw)
        return SIMD3(c * d.x + s * d.y, -s * d.x + c * d.y, d.z)
    }

    /// The brain's frame → patient coordinates.
    func patient(_ q: SIMD3<Double>) -> SIMD3<Double> {
        let c = cos(yaw), s = sin(yaw)
        return center + SIMD3(c * q.x - s * q.y, s * q.x + c * q.y, q.z)
    }

    /// Outer surface of the CSF around the brain (the head as seen in the maps).
    func head(_ q: SIMD3<Double>) -> Double {
        let r = SIMD3(radiusX, q.y < 0 ? radiusAnterior : radiusPosterior, q.z < 0 ? radiusInferior : radiusSuperior)
        return InfarctShapes.Ellipsoid(center: .zero, radii: r).distance(q)
    }

    func parenchyma(_ q: SIMD3<Double>) -> Double { head(q) + csfThickness }
    func ventricle(_ q: SIMD3<Double>) -> Double {
        var d = Double.infinity
        for v in ventricles {
            let ab = v.b - v.a
            let t = min(1, max(0, ((q - v.a) * ab).sum() / (ab * ab).sum()))
            let e = q - (v.a + t * ab)
            d = min(d, (e * e).sum().squareRoot() - v.radius)
        }
        return d
    }

    func nucleus(_ q: SIMD3<Double>) -> Double { nuclei.reduce(Double.infinity) { min($0, $1.distance(q)) } }

    func fissure(_ q: SIMD3<Double>) -> Double {
        max(abs(q.x) - fissureHalfWidth, fissureBottom - q.z, head(q))
    }

    /// Negative inside parenchyma, by at least its magnitude away from any CSF.
    func awayFromCSF(_ q: SIMD3<Double>) -> Double { max(parenchyma(q), -ventricle(q), -fissure(q)) }

    /// Bounding box (brain frame) of the deep structures: nuclei and ventricles.
    var deepBox: (lo: SIMD3<Double>, hi: SIMD3<Double>) {
        var lo = SIMD3<Double>(repeating: .infinity), hi = -lo
        for v in ventricles {
            lo = pointwiseMin(lo, pointwiseMin(v.a, v.b) - v.radius)
            hi = pointwiseMax(hi, pointwiseMax(v.a, v.b) + v.radius)
        }
        for n in nuclei {
            lo = pointwiseMin(lo, n.center - n.radii.max())
            hi = pointwiseMax(hi, n.center + n.radii.max())
        }
        return (lo, hi)
    }
}
