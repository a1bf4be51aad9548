import Foundation
import Imaging

/// The analytic chest of one lung phantom: the grid and every large structure, drawn from the
/// seed. Patient LPS millimetres: x towards the patient's left, y posterior, z towards the head;
/// the body's axis is x = y = 0 and the volume's z range is centred on z = 0.
///
/// Cross-sections are superellipses (body, muscle, thoracic cavity), a mediastinal band between
/// the lungs whose half-width depends on the antero-posterior position, a rotated ellipsoidal
/// heart, a vertebral column, paraboloid diaphragm domes (right higher) and ellipsoidal apex caps.
struct ChestModel: Sendable {
    // Grid.
    let size: Int
    let spacingXY: Double
    let sliceSpacing: Double
    let slices: Int
    let origin: SIMD3<Double>
    // Body wall.
    let bodyA: Double, bodyB: Double
    let fat: Double, muscle: Double
    // Thoracic cavity (superellipse centred at (0, cavY)).
    let cavA: Double, cavB: Double, cavY: Double
    let cavP = 2.6
    // Heights.
    let zApex: Double, zBase: Double, zCarina: Double
    let domeRight: Double, domeLeft: Double
    // Spine.
    let vertW: Double, vertR: Double, vertY: Double, canalY: Double
    // Mediastinal band half-widths: anterior, junction, middle, posterior.
    let band: (ant: Double, junction: Double, mid: Double, post: Double)
    // Heart (ellipsoid rotated about z by `heartAngle`).
    let heartC: SIMD3<Double>, heartR: SIMD3<Double>, heartAngle: Double
    // Lung parenchyma: HU at the cavity centre and its antero-posterior gradient (HU over bcav).
    let lungHU: Double, lungGradient: Double
    // Airways.
    let tracheaR: Double, tracheaY: Double
    // Couch top (y) below the body.
    let couchY: Double

    init(seed: UInt64, size: Int) {
        var g = SplitMix64(state: seed).derived(1)
        self.size = size
        bodyA = g.uniform(138...168)
        bodyB = bodyA * g.uniform(0.64...0.76)
        // Field of view: 0.6–0.9 mm pixels at 512, never cutting the body.
        let fov = g.uniform(max(0.6 * 512, 2 * bodyA + 30)...(0.9 * 512))
        spacingXY = fov / Double(size)
        // Slice spacing at 512 (screening protocols favour thin slices), coarser at smaller sizes.
        let choices: [(Double, Double)] = [(0.625, 2), (0.75, 1), (0.8, 1), (1.0, 3), (1.25, 2), (1.5, 2),
                                           (2.0, 1), (2.5, 1), (3.0, 0.7), (5.0, 0.3)]
        let s512 = Self.pick(choices, &g)
        sliceSpacing = min(5, s512 * 512 / Double(size))
        let zExtent = g.uniform(280...320)
        slices = max(8, Int((zExtent / sliceSpacing).rounded()))
        let half = (Double(size) - 1) / 2 * spacingXY
        origin = [-half, -half, -(Double(slices) - 1) / 2 * sliceSpacing]
        let zTop = origin.z + Double(slices - 1) * sliceSpacing

        fat = g.uniform(6...26)
        muscle = g.uniform(8...15)
        cavA = bodyA - fat - muscle - 14
        cavB = bodyB - fat - muscle - 13
        cavY = g.uniform(2...8)
        zApex = zTop - g.uniform(12...30)
        zBase = zApex - g.uniform(225...255)
        domeRight = g.uniform(62...85)
        domeLeft = domeRight - g.uniform(10...22)
        zCarina = zApex - g.uniform(80...100)

        vertR = g.uniform(15...19)
        vertW = vertR * 1.15
        vertY = cavY + cavB - 0.55 * vertR
        canalY = vertY + vertR + 9
        tracheaR = g.uniform(7.5...10)
        tracheaY = vertY - vertR - tracheaR - 7
        let post = vertW + 5
        band = (ant: g.uniform(12...18), junction: g.uniform(5...10), mid: max(tracheaR + 10, g.uniform(24...32)),
                post: post)
        heartR = [g.uniform(55...66), g.uniform(40...50), g.uniform(46...58)]
        heartC = [g.uniform(10...22), cavY - 0.3 * cavB, zBase + domeLeft + 0.45 * heartR.z]
        heartAngle = g.uniform(0.35...0.7)
        lungHU = g.uniform(-875...(-840))
        lungGradient = g.uniform(15...45)
        couchY = bodyB + g.uniform(8...25)
    }

    static func pick(_ choices: [(Double, Double)], _ g: inout SplitMix64) -> Double {
        let total = choices.reduce(0) { $0 + $1.1 }
        var u = g.fraction() * total
        for (v, w) in choices {
            if u < w { return v }
            u -= w
        }
        return choices.last!.0
    }

    var geometry: Geometry {
        Geometry(origin: origin, spacing: Spacing(slice: sliceSpacing, row: spacingXY, column: spacingXY))
    }

    var dimensions: Dimensions { Dimensions(slices: slices, rows: size, columns: size) }

    // MARK: Cavity

    /// The cavity narrows towards the apices (upper ribs).
    func cavityScale(_ z: Double) -> Double {
        let t = min(1, max(0, (z - (zApex - 110)) / 110))
        return 1 - 0.2 * t * t
    }

    func cavitySpans(y: Double, z: Double) -> [Span] {
        let k = cavityScale(z)
        return Spans.superellipse(cx: 0, a: cavA * k, b: cavB * k, p: cavP, dy: y - cavY)
    }

    /// Superellipse norm of `p` relative to the cavity (1 on its surface). A lower bound of the
    /// distance to the surface is (F − 1)·min(a, b), since the unit ball of F contains the disc of
    /// radius min(a, b).
    func cavityNorm(_ p: SIMD3<Double>) -> Double {
        let k = cavityScale(p.z)
        let u = abs(p.x) / (cavA * k), v = abs(p.y - cavY) / (cavB * k)
        return Foundation.pow(Foundation.pow(u, cavP) + Foundation.pow(v, cavP), 1 / cavP)
    }

    // MARK: Mediastinum, heart, spine, diaphragm, apices

    /// Half-width of the mediastinal band between the lungs at row y.
    func bandHalfWidth(_ y: Double) -> Double {
        let t = (y - (cavY - cavB)) / (2 * cavB)
        let knots: [(Double, Double)] = [(0, band.ant), (0.12, band.junction), (0.45, band.mid), (0.72, band.post),
                                         (1, band.post)]
        if t <= 0 { return band.ant }
        for i in 1..<knots.count where t <= knots[i].0 {
            let (t0, w0) = knots[i - 1], (t1, w1) = knots[i]
            return w0 + (w1 - w0) * (t - t0) / (t1 - t0)
        }
        return band.post
    }

    func heartSpans(y: Double, z: Double) -> [Span] {
        let dz = (z - heartC.z) / heartR.z
        guard abs(dz) < 1 else { return [] }
        let c = cos(heartAngle), s = sin(heartAngle), dy = y - heartC.y
        let ia = 1 / (heartR.x * heartR.x), ib = 1 / (heartR.y * heartR.y)
        let qa = c * c * ia + s * s * ib
        let qb = 2 * dy * s * c * (ia - ib)
        let qc = dy * dy * (s * s * ia + c * c * ib) - (1 - dz * dz)
        return Spans.quadratic(qa, qb, qc).map { Span(lo: $0.lo + heartC.x, hi: $0.hi + heartC.x) }
    }

    func vertebraSpans(y: Double, inflate: Double) -> [Span] {
        Spans.superellipse(cx: 0, a: vertW + inflate, b: vertR + inflate, p: 2, dy: y - vertY)
    }

    /// Rows below the diaphragm: where either dome is above z (everything below the recesses).
    func belowDiaphragmSpans(y: Double, z: Double) -> [Span] {
        if z <= zBase { return Spans.everything }
        var out: [Span] = []
        for (xd, dome) in [(-0.42 * cavA, domeRight), (0.42 * cavA, domeLeft)] {
            let ax = 0.62 * cavA, ay = 0.95 * cavB, yd = cavY - 0.1 * cavB
            let k = 1 - (z - zBase) / dome - ((y - yd) / ay) * ((y - yd) / ay)
            if k > 0 {
                let h = ax * k.squareRoot()
                out = Spans.union(out, [Span(lo: xd - h, hi: xd + h)])
            }
        }
        return out
    }

    func apexSpans(side: Int, y: Double, z: Double) -> [Span] {
        let height = 75.0, z0 = zApex - height
        guard z > z0 else { return Spans.everything }
        guard z < zApex else { return [] }
        let t = (z - z0) / height
        let rho = 0.6 * cavA * (1 - t * t).squareRoot()
        return Spans.superellipse(cx: Double(side) * 0.5 * cavA, a: rho, b: 1.25 * rho, p: 2,
                                  dy: y - (cavY + 0.05 * cavB))
    }

    /// Spans of lung `side` (−1 right, +1 left) on the row (y, z).
    func lungSpans(side: Int, y: Double, z: Double) -> [Span] {
        guard z < zApex, z > zBase else { return [] }
        var s = cavitySpans(y: y, z: z)
        guard !s.isEmpty else { return [] }
        let w = bandHalfWidth(y)
        s = Spans.intersect(s, side < 0 ? [Span(lo: -.infinity, hi: -w)] : [Span(lo: w, hi: .infinity)])
        s = Spans.intersect(s, apexSpans(side: side, y: y, z: z))
        s = Spans.subtract(s, belowDiaphragmSpans(y: y, z: z))
        s = Spans.subtract(s, heartSpans(y: y, z: z))
        return Spans.subtract(s, vertebraSpans(y: y, inflate: 4))
    }

    /// The lung (−1 right, +1 left) containing `p`, or 0.
    func lungSide(_ p: SIMD3<Double>) -> Int {
        for side in [-1, 1] where lungSpans(side: side, y: p.y, z: p.z).contains(where: { $0.lo <= p.x && p.x <= $0.hi }) {
            return side
        }
        return 0
    }

    /// Parenchyma HU on row y (denser posteriorly, as in a supine patient).
    func parenchymaHU(y: Double) -> Double {
        lungHU + lungGradient * (y - cavY) / cavB
    }

    /// Whether vertebral discs are at height z (7 mm discs every 27 mm).
    func isDisc(_ z: Double) -> Bool {
        let pitch = 27.0
        let f = (z - zBase).truncatingRemainder(dividingBy: pitch)
        return (f < 0 ? f + pitch : f) < 7
    }
}
