import Foundation
import Imaging

/// One focal lesion planned for the liver phantom.
struct PlannedLesion: Sendable {
    var type: String
    var site: String
    var center: SIMD3<Double>
    /// Semi-axes of the drawn ellipsoid before lobulation and clipping, mm.
    var radii: SIMD3<Double>
    var strokes: [Stroke]
}

/// Places 2–10 lesions in the phantom liver: metastases (hypodense, lobulated, some with a
/// hyperdense rim or a necrotic centre), cysts (water, sharp, round) and at most one
/// hyperdense lesion; sizes log-uniform over 5–50 mm so every size bin appears across seeds;
/// about a quarter cut by the liver surface ("liver edge"); none overlapping each other or the
/// organs painted later.
enum LiverLesionPlanner {
    static func plan(_ g0: SplitMix64, anatomy a: LiverAnatomy) -> [PlannedLesion] {
        var g = g0.derived(5)
        let count = 2 + Int(g.next() % 9)
        var wanted: [(type: String, diameter: Double)] = []
        if g.fraction() < 0.35 { wanted.append(("hyperdense", logUniform(&g, 10, 30))) }
        while wanted.count < count {
            if g.fraction() < 0.25 { wanted.append(("cyst", logUniform(&g, 5, 35))) }
            else { wanted.append(("metastasis", logUniform(&g, 5, 50))) }
        }
        wanted.sort { $0.diameter > $1.diameter }
        var placed: [(c: SIMD3<Double>, reach: Double)] = []
        var out: [PlannedLesion] = []
        for w in wanted {
            var r = w.diameter / 2
            let edge = g.fraction() < 0.27
            var spot: SIMD3<Double>? = nil
            for attempt in 0..<6 where spot == nil {
                spot = place(&g, a, radius: r, edge: edge && attempt < 3, placed: placed)
                if spot == nil && attempt >= 2 { r *= 0.85 }
            }
            guard let c = spot else { continue }
            let label = UInt16(out.count + 1)
            var lesion = draw(&g, type: w.type, center: c, radius: r, label: label, anatomy: a)
            let isEdge = -a.liver(c) < r + 3
            lesion.site = isEdge ? "liver edge" : c.z > a.zDome - 40 ? "liver dome"
                : a.leftLobe(c) < a.rightLobe(c) ? "left lobe" : "right lobe"
            placed.append((c, r * 1.35 + 3))
            out.append(lesion)
        }
        return out
    }

    static func logUniform(_ g: inout SplitMix64, _ lo: Double, _ hi: Double) -> Double {
        lo * pow(hi / lo, g.fraction())
    }

    /// A centre for a lesion of `radius`: interior (well inside the liver) or edge (the liver
    /// surface cuts it), clear of the neighbours, of other lesions and of the volume's ends.
    static func place(_ g: inout SplitMix64, _ a: LiverAnatomy, radius r: Double, edge: Bool,
                      placed: [(c: SIMD3<Double>, reach: Double)]) -> SIMD3<Double>? {
        let reach = r * 1.35 + 3
        for _ in 0..<4000 {
            let c = a.liverCenter + a.liverRadius * SIMD3(g.unit(), g.unit(), g.unit())
            let depth = -a.liver(c)
            if edge { guard depth >= 0.25 * r, depth <= 0.7 * r else { continue } }
            else { guard depth >= r * 1.2 + 3 else { continue } }
            guard c.z - reach > a.body.zBottom + 2, c.z + reach < a.body.zTop - 2,
                  a.neighbours(c) > reach + 2,
                  placed.allSatisfy({ p in ((p.c - c) * (p.c - c)).sum().squareRoot() > p.reach + reach }) else { continue }
            return c
        }
        return nil
    }

    /// The strokes of one lesion: optional rim, the labelled body, optional necrotic centre.
    static func draw(_ g: inout SplitMix64, type: String, center c: SIMD3<Double>, radius r: Double, label: UInt16,
                     anatomy a: LiverAnatomy) -> PlannedLesion {
        let frame = Frame.random(&g)
        let spread = type == "cyst" ? 0.08 : type == "hyperdense" ? 0.15 : 0.2
        let radii = SIMD3(1 + spread * g.unit(), 1 + spread * g.unit(), 1 + spread * g.unit()) * r
        let base = LiverShapes.ellipsoid(c, radii, frame: frame)
        let bumps = type == "cyst" ? 0 : type == "hyperdense" ? 0.05 : g.uniform(0.08...0.15)
        let shape = bumps == 0 ? base
            : LiverShapes.lobulated(base, LiverShapes.waves(&g, count: 3, amplitude: bumps * r, wavelength: (r * 1.0)...(r * 2.0)))
        let liver = a.liver
        let clipped: SDF = { p in
            let d = shape(p)
            return d > 2 ? d : max(d, liver(p))
        }
        let ball = radii.max() * (1 + bumps) + 4
        var strokes: [Stroke] = []
        let value: Float
        switch type {
        case "cyst": value = Float(g.uniform(0...15))
        case "hyperdense": value = a.liverHU + Float(g.uniform(40...60))
        default: value = Float(g.uniform(40...80))
        }
        if type == "metastasis" && g.fraction() < 0.4 {
            let rim = LiverShapes.outerShell(shape, thickness: g.uniform(1.5...2.5))
            strokes.append(Stroke(sdf: { p in max(rim(p), liver(p)) }, center: c, radius: ball,
                                  value: a.liverHU + Float(g.uniform(15...30))))
        }
        strokes.append(Stroke(sdf: clipped, center: c, radius: ball, value: value, label: label,
                              onlyInto: [LiverPhantomLabel.liver]))
        if type == "metastasis" && r > 12.5 && g.fraction() < 0.6 {
            let core = LiverShapes.ellipsoid(c, radii * 0.5, frame: frame)
            strokes.append(Stroke(sdf: { p in max(core(p), liver(p) + 3) }, center: c, radius: ball,
                                  value: value - Float(g.uniform(10...20))))
        }
        return PlannedLesion(type: type, site: "", center: c, radii: radii, strokes: strokes)
    }
}
