import Foundation
import Imaging

/// The liver's neighbours in the phantom: body wall, spine, ribs, lungs, heart, aorta, IVC,
/// kidneys, spleen (liver-like!), stomach with an air-fluid level, and bowel. Each method
/// returns strokes in painting order; `avoid` collects the shapes lesions must keep clear of.
struct LiverOrgans {
    var body: LiverBody
    var g: SplitMix64
    var zDome: Double
    var liverHU: Float
    var rightLobe: (c: SIMD3<Double>, r: SIMD3<Double>)
    var leftLobe: (c: SIMD3<Double>, r: SIMD3<Double>)
    var liverBottom: Double
    /// The liver's distance bound (bowel stays outside it).
    var liver: SDF
    var kidneys: Kidneys
    var avoid: [SDF] = []

    /// The kidneys (planned before the liver, whose renal impression they make).
    struct Kidneys: Sendable {
        var right: SIMD3<Double>, left: SIMD3<Double>, radii: SIMD3<Double>, perirenal: Double

        init(_ g: inout SplitMix64, body b: LiverBody, liverBottom: Double) {
            radii = SIMD3(g.uniform(25...30), g.uniform(22...26), g.uniform(48...56))
            let z = liverBottom + g.uniform(-15...10)
            perirenal = g.fraction() < 0.3 ? g.uniform(0.5...1.5) : g.uniform(3...8)
            right = SIMD3(-(b.cavityX * 0.5 + 5), b.spineY + 8, z)
            left = SIMD3(b.cavityX * 0.5 + 5, b.spineY + 8, z + g.uniform(10...20))
        }

        /// Retroperitoneal space around and behind each kidney, which the liver stays out of.
        var liverCutouts: [LiverSurface.Lobe] {
            [(-1.0, right), (1.0, left)].map { side, c in
                LiverSurface.Lobe(c + SIMD3(side * 4, 14, 6), radii + perirenal + SIMD3(8, 16, 10), frame: .aboutZ(side * 0.35))
            }
        }
    }

    /// Where the IVC runs (x, y).
    var ivc: SIMD2<Double> { SIMD2(-24, body.spineY - 22) }

    /// The z-invariant part: body fat, muscle wall, visceral fat, paraspinal muscles, aorta.
    mutating func crossSection() -> [Stroke] {
        let b = body, sy = b.spineY
        var s = [b.section(rx: b.rx, ry: b.ry, value: b.fatHU),
                 b.section(rx: b.rx - b.fat, ry: b.ry - b.fat, value: b.muscleHU),
                 b.section(rx: b.cavityX, ry: b.cavityY, value: b.fatHU)]
        for side in [-1.0, 1.0] { s.append(b.section(cx: 32 * side, cy: sy + 40, rx: 26, ry: 20, value: b.muscleHU)) }
        let aortaR = g.uniform(10...13)
        s.append(b.section(cx: 18, cy: sy - 30, rx: aortaR, ry: aortaR, value: Float(g.uniform(150...190))))
        avoid.append(LiverShapes.ellipticCylinder(cx: 18, cy: sy - 30, rx: aortaR, ry: aortaR))
        return s
    }

    /// Vertebrae with discs, spinal canal, ribs.
    mutating func wall() -> [Stroke] {
        let b = body, sy = b.spineY
        var s: [Stroke] = []
        let cortical = Float(g.uniform(400...550)), cancellous = Float(g.uniform(180...260))
        var zc = b.zBottom - 15 + g.uniform(0...30)
        while zc < b.zTop + 30 {
            let z = zc
            let vb = LiverShapes.ellipticCylinder(cx: 0, cy: sy, rx: 21, ry: 17)
            let inner = LiverShapes.ellipticCylinder(cx: 0, cy: sy, rx: 18, ry: 14)
            let arch = LiverShapes.ellipticCylinder(cx: 0, cy: sy + 32, rx: 22, ry: 9)
            s.append(Stroke(sdf: { p in max(vb(p), abs(p.z - z) - 12) }, center: [0, sy, z], radius: 32, value: cortical))
            s.append(Stroke(sdf: { p in max(inner(p), abs(p.z - z) - 10.5) }, center: [0, sy, z], radius: 30, value: cancellous))
            s.append(Stroke(sdf: { p in max(vb(p), abs(p.z - z - 15) - 3) }, center: [0, sy, z + 15], radius: 28, value: 90))
            s.append(Stroke(sdf: { p in max(arch(p), abs(p.z - z) - 10) }, center: [0, sy + 32, z], radius: 30, value: cortical))
            zc += 30
        }
        s += Stroke.column(cx: 0, cy: sy + 24, rx: 8, ry: 8, z0: b.zBottom - 5, z1: b.zTop + 5, value: 15, overlap: b.overlap)
        // Ribs: arcs in the muscle wall from the spine round to the front, sloping down.
        let ribX = b.rx - b.fat - b.muscle / 2, ribY = b.ry - b.fat - b.muscle / 2
        let ribHU = Float(g.uniform(450...650)), ribR = g.uniform(4...5)
        for k in 0..<6 {
            let z0 = zDome + 15 - 24 * Double(k), end = k < 4 ? 2.5 : 1.9
            for side in [-1.0, 1.0] {
                let pts = (0...10).map { i -> SIMD3<Double> in
                    let t = Double(i) / 10, phi = 0.45 + t * (end - 0.45)
                    return SIMD3(side * ribX * sin(phi), ribY * cos(phi), z0 - 40 * t)
                }
                for i in 0..<10 { s.append(.capsule(pts[i], pts[i + 1], radius: ribR, value: ribHU)) }
            }
        }
        return s
    }

    /// Lung bases (inside the cavity, the left one above the stomach and spleen) and the heart
    /// in its pericardial fat.
    mutating func lungsAndHeart() -> [Stroke] {
        let b = body, cav = b.cavity, lungHU = Float(g.uniform(-880 ... -820))
        var s: [Stroke] = []
        for side in [-1.0, 1.0] {
            let c = SIMD3(side * b.cavityX * 0.5, b.spineY - 10, zDome + 45), r = SIMD3(b.cavityX * 0.55, b.cavityY * 0.95, 95)
            let e = LiverShapes.ellipsoid(c, r), floor = side < 0 ? -Double.infinity : zDome - 25
            s.append(Stroke(sdf: { p in max(e(p), cav(p) + 1, floor - p.z) }, center: c, radius: r.max() + 1, value: lungHU))
        }
        let hc = SIMD3(leftLobe.c.x - 15, rightLobe.c.y - 20, zDome + 40), hr = SIMD3<Double>(58, 45, 42)
        s.append(.ellipsoid(hc, hr + 4, value: b.fatHU))
        s.append(.ellipsoid(hc, hr, value: Float(g.uniform(90...110))))
        s.append(.ellipsoid(hc, hr - 10, value: Float(g.uniform(150...180))))
        avoid.append(LiverShapes.ellipsoid(hc, hr + 4))
        return s
    }

    /// IVC, kidneys in perirenal fat, stomach, spleen, colon and small bowel: painted after
    /// the lesions, over the liver where they indent it.
    mutating func neighbours() -> [Stroke] {
        let b = body, other = LiverPhantomLabel.other
        var s = Stroke.column(cx: ivc.x, cy: ivc.y, rx: 12, ry: 10, z0: b.zBottom - 5, z1: zDome + 10,
                              value: Float(g.uniform(130...160)), overlap: b.overlap, label: other)
        let ivcShape = LiverShapes.ellipticCylinder(cx: ivc.x, cy: ivc.y, rx: 12, ry: 10), top = zDome + 10
        avoid.append { p in max(ivcShape(p), p.z - top) }

        let rk = kidneys.radii, perirenal = kidneys.perirenal
        let cortex = Float(g.uniform(150...190)), medulla = Float(g.uniform(110...135))
        for (side, c) in [(-1.0, kidneys.right), (1.0, kidneys.left)] {
            let f = Frame.aboutZ(side * 0.35)
            s.append(.ellipsoid(c, rk + perirenal, frame: f, value: b.fatHU, label: other))
            s.append(.ellipsoid(c, rk, frame: f, value: cortex, label: other))
            s.append(.ellipsoid(c, rk * 0.62, frame: f, value: medulla, label: other))
            s.append(.ellipsoid(c - SIMD3(side * rk.x * 0.45, 0, 0), [8, 8, 18], value: -60, label: other))
            avoid.append(LiverShapes.ellipsoid(c, rk + perirenal, frame: Frame.aboutZ(side * 0.35)))
        }

        let sc = SIMD3(g.uniform(25...40), leftLobe.c.y + leftLobe.r.y + g.uniform(5...20), zDome - g.uniform(50...70))
        let sr = SIMD3(g.uniform(35...42), g.uniform(28...36), g.uniform(40...55)), sf = Frame.aboutZ(0.4)
        let lumen = LiverShapes.ellipsoid(sc, sr - 5, frame: sf)
        let level = sc.y - sr.y * g.uniform(0...0.5)
        s.append(.ellipsoid(sc, sr, frame: sf, value: Float(g.uniform(60...80)), label: other))
        s.append(.ellipsoid(sc, sr - 5, frame: sf, value: Float(g.uniform(5...25)), label: other))
        s.append(Stroke(sdf: { p in max(lumen(p), p.y - level) }, center: sc, radius: sr.max(), value: -1000, label: other))
        avoid.append(LiverShapes.ellipsoid(sc, sr, frame: sf))

        let touch = g.fraction() < 0.3
        let pc = SIMD3(b.cavityX - g.uniform(28...36) - (touch ? 8 : 0), b.spineY + g.uniform(10...25) - (touch ? 25 : 0),
                       zDome - g.uniform(45...65))
        let pr = SIMD3(g.uniform(22...30), g.uniform(45...58), g.uniform(40...52)), pf = Frame.aboutZ(-0.7)
        let cavity = b.cavity
        let spleen = LiverShapes.ellipsoid(pc, pr, frame: pf)
        s.append(Stroke(sdf: { p in max(spleen(p), cavity(p) + 1) }, center: pc, radius: pr.max() + 1,
                        value: liverHU + Float(g.uniform(-5...12)), label: other))
        avoid.append(spleen)
        s += bowel()
        return s
    }

    /// Colon (hepatic flexure just under the liver, air and stool) and small-bowel loops (fluid).
    mutating func bowel() -> [Stroke] {
        let b = body, other = LiverPhantomLabel.other, cav = b.cavity
        let rc = g.uniform(16...22)
        let colon = [SIMD3(-b.cavityX + 32, b.spineY - 15, b.zBottom - 10),
                     SIMD3(-b.cavityX + 34, b.spineY - 25, liverBottom - rc - 3),
                     SIMD3(-20, -b.cavityY + 35, liverBottom - rc - g.uniform(0...20)),
                     SIMD3(b.cavityX - 40, -b.cavityY + 40, liverBottom - rc + 10)]
        var tubes: [(a: SIMD3<Double>, b: SIMD3<Double>, r: Double, content: Float, air: Bool)] = []
        for i in 0..<3 {
            // In pieces of ~40 mm (each piece only visits voxels near it).
            let content = Float(g.uniform(-20...30))
            let length = ((colon[i + 1] - colon[i]) * (colon[i + 1] - colon[i])).sum().squareRoot()
            let pieces = max(1, Int((length / 40).rounded(.up)))
            for k in 0..<pieces {
                let a = colon[i] + (colon[i + 1] - colon[i]) * (Double(k) / Double(pieces))
                let b = colon[i] + (colon[i + 1] - colon[i]) * (Double(k + 1) / Double(pieces))
                tubes.append((a, b, rc, content, true))
            }
        }
        let loops = 3 + Int(g.next() % 4)
        for _ in 0..<loops {
            var p = SIMD3(g.uniform(-60...60), g.uniform((-b.cavityY + 25)...10), g.uniform(b.zBottom...(liverBottom - 10)))
            var dir = LiverShapes.randomUnit(&g)
            let r = g.uniform(9...13), fluid = Float(g.uniform(10...25))
            for _ in 0..<5 {
                dir = dir + 0.8 * LiverShapes.randomUnit(&g)
                dir /= (dir * dir).sum().squareRoot()
                var q = p + 25 * dir
                q.z = min(q.z, liverBottom + 10)
                tubes.append((p, q, r, fluid, false))
                p = q
            }
        }
        var walls: [Stroke] = [], contents: [Stroke] = [], air: [Stroke] = []
        let liver = self.liver
        for t in tubes {
            // Bowel lies against the liver, never in it.
            let tube = Shapes.capsule(from: t.a, to: t.b, radius: t.r)
            let outer: SDF = { p in
                let d = tube(p)
                return d > 2 ? d : max(d, 1 - liver(p))
            }
            let core = Shapes.capsule(from: t.a, to: t.b, radius: t.r - 3)
            let inner: SDF = { p in
                let d = core(p)
                return d > 2 ? d : max(d, 4 - liver(p))
            }
            let c = (t.a + t.b) / 2, radius = ((t.b - t.a) * (t.b - t.a)).sum().squareRoot() / 2 + t.r + 1
            walls.append(Stroke(sdf: { p in max(outer(p), cav(p) + 2) }, center: c, radius: radius, value: 65, label: other))
            contents.append(Stroke(sdf: { p in max(inner(p), cav(p) + 5) }, center: c, radius: radius, value: t.content, label: other))
            if t.air {
                let level = c.y + 0.2 * t.r
                air.append(Stroke(sdf: { p in max(inner(p), cav(p) + 5, p.y - level) }, center: c, radius: radius,
                                  value: -1000, label: other))
            }
            avoid.append(outer)
        }
        return walls + contents + air
    }
}
