import Foundation
import Imaging

/// One phantom nodule: an ellipsoid with random axes, optionally lobulated (radius raised by
/// smooth bumps around a few random directions) and spiculated (thin spikes, not labelled),
/// solid, ground-glass (drawn with `maximum` so vessels inside stay visible) or part-solid (a
/// ground-glass body with a solid core). Juxtapleural nodules are cut by the thoracic cavity's
/// surface, so only their part inside the lung is drawn and labelled.
struct NoduleDesign: Sendable {
    enum Kind: String, Sendable { case solid, partSolid = "part-solid", groundGlass = "ground-glass" }

    var kind: Kind
    var center: SIMD3<Double>
    var radii: SIMD3<Double>
    var axes: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>)
    var lobes: [(direction: SIMD3<Double>, amplitude: Double)] = []
    var spikes: [(direction: SIMD3<Double>, length: Double, radius: Double)] = []
    /// Solid HU, or the ground-glass HU of ground-glass and part-solid nodules.
    var value: Float
    var core: (offset: SIMD3<Double>, radius: Double, value: Float)?
    var juxtapleural = false
    var vesselAttached = false

    static let lobeSharpness = 5.0

    /// Radius scale of the lobulated surface in direction `u` (unit).
    func lobeFactor(_ u: SIMD3<Double>) -> Double {
        var f = 1.0
        for l in lobes { f += l.amplitude * exp(-Self.lobeSharpness * (1 - (u * l.direction).sum())) }
        return f
    }

    /// Largest distance of the labelled body from the centre.
    var bodyReach: Double { radii.max() * (1 + lobes.reduce(0) { $0 + $1.amplitude }) }

    /// Largest distance of anything drawn (spikes included).
    var reach: Double { bodyReach + (spikes.map(\.length).max() ?? 0) }

    /// Signed distance bound of the body (negative inside), without the cavity cut.
    func bodySDF() -> @Sendable (SIMD3<Double>) -> Double {
        let c = center, r = radii, ax = axes, rmin = radii.min()
        let lobes = self.lobes
        let me = self
        return { p in
            let v = p - c
            let q = SIMD3((v * ax.0).sum(), (v * ax.1).sum(), (v * ax.2).sum()) / r
            let qn = (q * q).sum().squareRoot()
            if lobes.isEmpty { return (qn - 1) * rmin }
            let dist = (v * v).sum().squareRoot()
            let u = dist > 1e-9 ? v / dist : SIMD3<Double>(1, 0, 0)
            // |q| − λ(u) has a gradient of at most ≈ 2.5/rmin, so this does not overestimate.
            return (qn - me.lobeFactor(u)) * rmin / 2.5
        }
    }

    /// Paints the nodule, labelling `label` on lung voxels only.
    func paint(label: UInt16, model m: ChestModel, on canvas: inout PhantomCanvas) {
        let lungs: Set<UInt16> = [LungPhantom.rightLungLabel, LungPhantom.leftLungLabel]
        var sdf = bodySDF()
        if juxtapleural {
            let body = sdf
            sdf = { p in max(body(p), (m.cavityNorm(p) - 1) * min(m.cavA, m.cavB) * m.cavityScale(p.z) / 1.3) }
        }
        let bound = bodyReach + 1
        switch kind {
        case .solid:
            canvas.paint(center: center, radius: bound, value: value, label: label, onlyLabelInto: lungs, sdf: sdf)
        case .groundGlass, .partSolid:
            canvas.paint(center: center, radius: bound, value: value, blend: .maximum, label: label,
                         onlyLabelInto: lungs, sdf: sdf)
            if let core {
                canvas.paintEllipsoid(center: center + core.offset, radii: SIMD3(repeating: core.radius),
                                      value: core.value, label: label, onlyLabelInto: lungs.union([label]))
            }
        }
        for s in spikes {
            let start = center + s.direction * (0.6 * radii.min())
            let end = center + s.direction * (radii.max() * lobeFactor(s.direction) + s.length)
            canvas.paintCapsule(from: start, to: end, radius: s.radius, value: value, blend: .maximum)
        }
    }

    /// The three diameters of the drawn body (lobulation included on average), largest first.
    var diameters: [Double] {
        var mean = 1.0
        if !lobes.isEmpty {
            var g = SplitMix64(state: 7)
            var sum = 0.0
            for _ in 0..<256 {
                var u = SIMD3<Double>(g.gaussian(), g.gaussian(), g.gaussian())
                u /= (u * u).sum().squareRoot()
                sum += lobeFactor(u)
            }
            mean = sum / 256
        }
        return [radii.x, radii.y, radii.z].map { 2 * $0 * mean }.sorted(by: >)
    }

    /// A random orthonormal frame.
    static func randomAxes(_ g: inout SplitMix64) -> (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>) {
        let a = randomDirection(&g)
        var b = randomDirection(&g)
        b -= (a * b).sum() * a
        b /= max(1e-9, (b * b).sum().squareRoot())
        let c = SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
        return (a, b, c)
    }

    static func randomDirection(_ g: inout SplitMix64) -> SIMD3<Double> {
        while true {
            let v = SIMD3<Double>(g.gaussian(), g.gaussian(), g.gaussian())
            let n = (v * v).sum().squareRoot()
            if n > 1e-6 { return v / n }
        }
    }
}
