import Imaging

/// The body outline the liver phantom's organs are placed in (patient LPS mm; the body is
/// centred on x = y = 0, z runs from `zBottom` to `zTop`).
struct LiverBody: Sendable {
    var rx: Double, ry: Double
    var fat: Double, muscle: Double
    var zBottom: Double, zTop: Double
    /// Overlap of column slabs (more than a slice plus half a voxel diagonal).
    var overlap: Double
    var fatHU: Float, muscleHU: Float

    /// Semi-axes of the abdominal cavity (inside the muscle wall).
    var cavityX: Double { rx - fat - muscle }
    var cavityY: Double { ry - fat - muscle }
    /// Centre of the vertebral bodies (y).
    var spineY: Double { cavityY - 42 }
    var zMid: Double { (zBottom + zTop) / 2 }
    var cavity: SDF { LiverShapes.ellipticCylinder(cx: 0, cy: 0, rx: cavityX, ry: cavityY) }

    /// A z-invariant elliptic column, painted once on the one-slice cross-section template
    /// (at z = 0) that is copied into every slice.
    func section(cx: Double = 0, cy: Double = 0, rx: Double, ry: Double, value: Float) -> Stroke {
        Stroke(sdf: LiverShapes.ellipticCylinder(cx: cx, cy: cy, rx: rx, ry: ry), center: [cx, cy, 0],
               radius: max(rx, ry) + 1, value: value)
    }
}

/// Labels used while painting (replaced by 0 in the truth; lesions are 1…N).
enum LiverPhantomLabel {
    static let liver: UInt16 = 60000
    static let other: UInt16 = 60001
}

/// The planned anatomy of one liver phantom: strokes painted before the lesions (body, bones,
/// lungs, heart, diaphragm, liver and its vessels) and after them (organs that indent the
/// liver), plus what lesion placement needs to know about the liver and its neighbours.
struct LiverAnatomy: Sendable {
    var body: LiverBody
    var liverHU: Float
    /// Top of the liver dome (z, mm).
    var zDome: Double
    /// The liver's distance bound, and its right and left lobes (for naming sites).
    var liver: SDF
    var rightLobe: SDF
    var leftLobe: SDF
    /// A ball containing the liver.
    var liverCenter: SIMD3<Double>
    var liverRadius: Double
    /// Union of the neighbours painted after the lesions (lesions keep clear of them).
    var neighbours: SDF
    /// z-invariant strokes for the cross-section template (body wall, paraspinal muscles, aorta).
    var section: [Stroke]
    var before: [Stroke]
    var after: [Stroke]

    /// Plans a case from `g` on a volume spanning `zBottom…zTop` with a field of view `fov` mm;
    /// the liver's surface is sampled every `sampling` mm.
    static func plan(_ g0: SplitMix64, zBottom: Double, zTop: Double, fov: Double, sliceStep: Double,
                     sampling: Double) -> LiverAnatomy {
        var g = g0.derived(1)
        let rx = min(g.uniform(135...165), 0.46 * fov)
        let body = LiverBody(rx: rx, ry: rx * g.uniform(0.68...0.8), fat: g.uniform(10...26), muscle: g.uniform(8...13),
                             zBottom: zBottom, zTop: zTop, overlap: 2 * sliceStep + 2,
                             fatHU: Float(g.uniform(-110 ... -90)), muscleHU: Float(g.uniform(40...60)))
        let zDome = zTop - g.uniform(15...35)
        let liverHU = Float(g.uniform(100...120))

        // Liver: right lobe, left lobe, caudate (and sometimes a Riedel's lobe), smoothly joined,
        // lobulated, and kept a few mm inside the muscle wall.
        var l = g0.derived(2)
        var r1 = SIMD3(l.uniform(55...65), l.uniform(65...78), l.uniform(68...82))
        r1.z = min(r1.z, (zDome - zBottom - 25) / 2)
        let c1 = SIMD3(-body.cavityX + r1.x - l.uniform(3...10), l.uniform(-12...2), zDome - r1.z)
        let r2 = SIMD3(l.uniform(45...60), l.uniform(26...36), l.uniform(26...34))
        let c2 = SIMD3(c1.x + l.uniform(60...80), c1.y - r1.y + r2.y + l.uniform(2...10), zDome - l.uniform(28...42))
        let f2 = Frame.aboutZ(l.uniform(-0.25...0.1))
        let r3 = SIMD3<Double>(28, 32, 40) * l.uniform(0.9...1.1)
        let c3 = SIMD3(c1.x + r1.x * 0.6, c1.y + r1.y * 0.25, c1.z + r1.z * 0.1)
        var lobes = [LiverSurface.Lobe(c1, r1), LiverSurface.Lobe(c2, r2, frame: f2), LiverSurface.Lobe(c3, r3)]
        var boxLo = c1 - r1, boxHi = c1 + r1
        for (c, r) in [(c2, r2), (c3, r3)] { boxLo = pointwiseMin(boxLo, c - r); boxHi = pointwiseMax(boxHi, c + r) }
        let c4 = SIMD3(c1.x - 5, c1.y - 10, c1.z - r1.z * 0.75), r4 = SIMD3<Double>(35, 38, 40)
        if l.fraction() < 0.35 && c4.z - r4.z >= zBottom + 15 {
            lobes.append(LiverSurface.Lobe(c4, r4))
            boxLo = pointwiseMin(boxLo, c4 - r4)
        }
        let waves = LiverShapes.waves(&l, count: 3, amplitude: l.uniform(2.5...4.5), wavelength: 40...90)
        var kg = g0.derived(6)
        let kidneys = LiverOrgans.Kidneys(&kg, body: body, liverBottom: boxLo.z)
        let surface = LiverSurface(lobes: lobes, cutouts: kidneys.liverCutouts, waves: waves, blend: 15,
                                   cavityRadii: SIMD2(body.cavityX, body.cavityY), gap: l.uniform(1.5...4.5))
        let center = (boxLo + boxHi) / 2
        let radius = ((boxHi - boxLo) * (boxHi - boxLo)).sum().squareRoot() / 2 + 8
        // Sampled once (the exact bound is only used far outside the liver's ball).
        let sampled = SampledField({ p in surface(p) }, center: center, radius: radius + 10, step: sampling)
        let liver: SDF = { p in sampled(p) }
        let rightLobe = lobes[0], leftLobe = lobes[1]

        var organs = LiverOrgans(body: body, g: g0.derived(3), zDome: zDome, liverHU: liverHU,
                                 rightLobe: (c1, r1), leftLobe: (c2, r2), liverBottom: boxLo.z, liver: liver, kidneys: kidneys)
        let section = organs.crossSection()
        var before = organs.wall()
        before += organs.lungsAndHeart()
        // Diaphragm: a 4 mm muscle sheet over the upper liver (the liver, painted next, fills
        // the inside of this dilated copy of itself).
        let domeTop = c1.z + 10
        before.append(Stroke(sdf: { p in
            let cut = domeTop - p.z
            return cut > 3 ? cut : max(liver(p) - 4, cut)
        }, center: center, radius: radius + 6, value: body.muscleHU))
        before.append(Stroke(sdf: liver, center: center, radius: radius, value: liverHU, label: LiverPhantomLabel.liver))
        var vessels = LiverVessels(g: g0.derived(4), liver: liver, liverHU: liverHU)
        before += vessels.portal(hilum: SIMD3(c1.x + r1.x * 0.5, c1.y + 5, c1.z - r1.z * 0.2), rightLobe: c1,
                                 leftLobe: c2, trunkEnd: SIMD3(10, body.spineY - 45, c1.z - r1.z * 0.2 - 50))
        before += vessels.hepatic(confluence: SIMD3(organs.ivc.x + 4, organs.ivc.y - 4, zDome - 15),
                                  targets: [c1 + SIMD3(-20, -40, -30), c1 + SIMD3(30, -50, -20), c2])
        let after = organs.neighbours()
        return LiverAnatomy(body: body, liverHU: liverHU, zDome: zDome, liver: liver, rightLobe: { rightLobe.bound($0) },
                            leftLobe: { leftLobe.bound($0) }, liverCenter: center, liverRadius: radius,
                            neighbours: LiverShapes.union(organs.avoid), section: section, before: before, after: after)
    }
}
