import Foundation
import Imaging

/// The tubes of the chest phantom, painted on the canvas after `ChestRaster`: great vessels
/// (aorta, superior vena cava, pulmonary trunk), trachea and main bronchi, the bronchial and
/// pulmonary vessel trees of each lung, ribs, and sometimes a gastric air bubble. Returns the
/// airway and vessel segments (nodule placement avoids or touches them).
struct ChestStructures {
    var airways: [TreeSegment] = []
    var vessels: [TreeSegment] = []
    /// Great vessels, trachea and main bronchi: not lung.
    var mediastinal: [TreeSegment] = []

    static let bloodHU: Float = 40

    static func paint(_ m: ChestModel, seed: UInt64, on canvas: inout PhantomCanvas) -> ChestStructures {
        var out = ChestStructures()
        let root = SplitMix64(state: seed)
        var g = root.derived(2)
        let zTop = m.origin.z + Double(m.slices - 1) * m.sliceSpacing
        let carina = SIMD3<Double>(0, m.tracheaY, m.zCarina)
        let hilum = [SIMD3<Double>(-(m.band.mid + 14), m.tracheaY - 8, m.zCarina - 22),
                     SIMD3<Double>(m.band.mid + 16, m.tracheaY - 4, m.zCarina - 32)]

        // Great vessels (not lung: label 0).
        let ra = g.uniform(11...14)
        let hz = m.heartR.z, hc = m.heartC
        let a1 = SIMD3<Double>(-8, m.cavY - 0.3 * m.cavB, m.zCarina + 18)
        let a3 = SIMD3<Double>(m.vertW + ra + 1, m.vertY - 0.4 * m.vertR, m.zCarina + 12)
        let control = SIMD3<Double>(12, m.tracheaY - 12, m.zCarina + 58)
        var aorta = [TreeSegment(a: [hc.x - 25, hc.y + 5, hc.z + 0.55 * hz], b: a1, radius: ra)]
        var previous = a1
        for i in 1...8 {
            let t = Double(i) / 8
            let p = (1 - t) * (1 - t) * a1 + 2 * t * (1 - t) * control + t * t * a3
            aorta.append(TreeSegment(a: previous, b: p, radius: ra))
            previous = p
        }
        aorta.append(TreeSegment(a: a3, b: [a3.x - 3, a3.y - 2, m.zBase - 30], radius: ra))
        let svc = TreeSegment(a: [-(m.band.mid - 2), m.cavY - 0.25 * m.cavB, zTop + 5],
                              b: [-(m.band.mid - 5), m.cavY - 0.2 * m.cavB, hc.z + 0.5 * hz], radius: 9)
        let trunkTop = SIMD3<Double>(8, m.cavY - 0.15 * m.cavB, m.zCarina - 14)
        let arteryRoot = [hilum[0] + [0, -12, 6], hilum[1] + [0, -10, 10]]
        let veinRoot = [hilum[0] + [-2, 4, -28], hilum[1] + [0, 4, -28]]
        let atrium = SIMD3<Double>(hc.x - 10, hc.y + 0.6 * m.heartR.y, hc.z + 0.3 * hz)
        var great = aorta + [svc, TreeSegment(a: [hc.x - 5, hc.y - 15, hc.z + 0.5 * hz], b: trunkTop, radius: 13)]
        let arteryRadius = [g.uniform(6...7.5), g.uniform(5.5...7)]
        let veinRadius = [g.uniform(5...6.5), g.uniform(5...6.5)]
        for side in 0..<2 {
            great.append(TreeSegment(a: trunkTop, b: arteryRoot[side], radius: arteryRadius[side]))
            great.append(TreeSegment(a: atrium, b: veinRoot[side], radius: veinRadius[side]))
        }
        var tubes = great.map { Tube(segment: $0, value: bloodHU, label: 0) }

        // Pulmonary vessel trees: an arterial and a venous tree per lung.
        for side in 0..<2 {
            for (k, (start, r0)) in [(arteryRoot[side], arteryRadius[side]), (veinRoot[side], veinRadius[side])].enumerated() {
                var tg = root.derived(UInt64(10 + side * 2 + k))
                let n = Int(tg.uniform(1100...1500))
                let pts = samples(m, side: side == 0 ? -1 : 1, count: n, rng: &tg)
                out.vessels += BranchingTree.grow(root: start, radius: r0, points: pts, rng: &tg)
            }
        }
        tubes += out.vessels.map { Tube(segment: $0, value: bloodHU, label: nil) }

        // Airways: trachea, main bronchi, bronchial trees (walls first, then every lumen).
        out.airways = [TreeSegment(a: [0, m.tracheaY, zTop + 10], b: carina, radius: m.tracheaR)]
        let bronchus = [g.uniform(6...7), g.uniform(5.3...6.3)]
        for side in 0..<2 {
            out.airways.append(TreeSegment(a: carina, b: hilum[side], radius: bronchus[side]))
            var tg = root.derived(UInt64(20 + side))
            let pts = samples(m, side: side == 0 ? -1 : 1, count: Int(tg.uniform(130...200)), rng: &tg)
            out.airways += BranchingTree.grow(root: hilum[side], radius: bronchus[side], points: pts, rng: &tg)
        }
        out.mediastinal = great + out.airways[0..<3]
        for (i, s) in out.airways.enumerated() {
            var w = s
            w.radius = s.radius + 0.2 * s.radius + 0.35
            tubes.append(Tube(segment: w, value: 20, label: i == 0 ? 0 : nil))
        }
        // Lumens; a terminal airway's lumen runs on past its wall, so its end is open to the
        // parenchyma (no blind cap of wall, which no real bronchiole has).
        let starts = Set(out.airways.map { Key($0.a) })
        tubes += out.airways.map { s in
            var lumen = s
            if !starts.contains(Key(s.b)) {
                let dir = (s.b - s.a) / max(1e-9, s.length)
                lumen.b = s.b + dir * (0.2 * s.radius + 0.35 + 1.5)
            }
            return Tube(segment: lumen, value: -1000, label: nil)
        }
        tubes += ribs(m, rng: &g)
        TubePainter.paint(tubes.flatMap { t in t.segment.pieces(maximum: 12).map { Tube(segment: $0, value: t.value, label: t.label) } },
                          on: &canvas)
        if g.fraction() < 0.5 {
            canvas.paintEllipsoid(center: [0.45 * m.cavA, m.cavY - 0.15 * m.cavB, m.zBase + m.domeLeft - 24],
                                  radii: [g.uniform(25...38), g.uniform(20...28), g.uniform(10...16)], value: -1000)
        }
        return out
    }

    /// `count` points uniformly inside lung `side` (−1 right, +1 left), by rejection.
    static func samples(_ m: ChestModel, side: Int, count: Int, rng: inout SplitMix64) -> [SIMD3<Double>] {
        var out: [SIMD3<Double>] = []
        var tries = 0
        while out.count < count && tries < count * 200 {
            tries += 1
            let p = SIMD3<Double>(Double(side) * rng.uniform(0...m.cavA), m.cavY + m.cavB * rng.unit(),
                                  rng.uniform(m.zBase...m.zApex))
            if m.lungSide(p) == side { out.append(p) }
        }
        return out
    }

    /// Twelve ribs a side, each a tube just outside the cavity curving from the spine round to the
    /// front while descending; cortical bone around marrow.
    static func ribs(_ m: ChestModel, rng g: inout SplitMix64) -> [Tube] {
        var tubes: [Tube] = []
        let pitch = g.uniform(21...26), drop = g.uniform(35...55)
        let psi0 = 0.35, psi1 = 2.7
        for k in 0..<12 {
            let zk = m.zApex + 5 - Double(k) * pitch
            for side in [-1.0, 1.0] {
                var pts: [SIMD3<Double>] = []
                let n = 36
                for i in 0...n {
                    let u = Double(i) / Double(n)
                    let psi = psi0 + (psi1 - psi0) * u
                    let z = zk - drop * Foundation.pow(u, 1.4)
                    let sc = m.cavityScale(z)
                    let a = m.cavA * sc + 8, b = m.cavB * sc + 8
                    let dx = side * sin(psi), dy = cos(psi)
                    let f = Foundation.pow(Foundation.pow(abs(dx) / a, m.cavP) + Foundation.pow(abs(dy) / b, m.cavP), 1 / m.cavP)
                    pts.append([dx / f, m.cavY + dy / f, z])
                }
                let zMin = m.origin.z - 10, zMax = m.origin.z + Double(m.slices) * m.sliceSpacing + 10
                guard pts.contains(where: { $0.z > zMin && $0.z < zMax }) else { continue }
                for (radius, value) in [(4.6, Float(750)), (3.0, Float(230))] {
                    for i in 0..<n {
                        tubes.append(Tube(segment: TreeSegment(a: pts[i], b: pts[i + 1], radius: radius), value: value, label: nil))
                    }
                }
            }
        }
        return tubes
    }

    /// A point as a hashable key (exact coordinates: tree segments share their end points).
    struct Key: Hashable {
        let x: Double, y: Double, z: Double
        init(_ p: SIMD3<Double>) { x = p.x; y = p.y; z = p.z }
    }

    /// Whether `p` is lung `side` (−1, +1) by the model and outside the mediastinal tubes.
    func isLung(_ p: SIMD3<Double>, side: Int, model m: ChestModel) -> Bool {
        guard m.lungSide(p) == side else { return false }
        return !mediastinal.contains { $0.axisDistance(p) < $0.radius * 1.2 + 0.35 + 1 }
    }
}
