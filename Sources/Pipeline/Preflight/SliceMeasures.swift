/// What one probed axial image shows, in physical units that do not depend on the scanner:
/// areas in mm² and fractions of the body's cross-section, HU medians and means.
///
/// Every threshold is HU physics or anatomy, not a value fitted to a case:
/// - air and lung: air is −1000 HU; anything below −400 HU is mostly air (lung parenchyma is
///   −950…−500, soft tissue is above −100), so −400 separates air-bearing from solid tissue;
/// - soft tissue (liver, muscle, blood): 20…80 HU without contrast, up to ~200 HU enhanced;
/// - contrast-enhanced blood: above 150 HU (unenhanced blood is 30–60 HU); 130 HU is used as
///   the vessel threshold so that a portal-venous aorta (~150 HU) is found whole, 600 HU as its
///   ceiling (above: cortical bone, or a metal or calcium artefact);
/// - bone: above 300 HU (cortex 700–1500; cancellous bone 100–300).
struct SliceMeasures: Sendable, Equatable {
    /// Position along the slice normal, mm.
    var z: Double
    /// Cross-section of the body (everything not reached from the image border through air), mm².
    var bodyArea: Double
    /// Air enclosed by the body in components of lung-parenchyma density, mm².
    var lungArea: Double
    /// Median HU of that air (lung parenchyma −950…−500; bowel gas and pure air below −950).
    var lungMedianHU: Double
    /// Area of the largest eroded soft-tissue region in the patient's right half of the body
    /// (the liver when the slice crosses it), mm², and its median HU.
    var liverArea: Double
    var liverMedianHU: Double
    /// Mean HU of the brightest compact round vessel (aorta, IVC, portal vein) when one is
    /// enhanced above the vessel threshold; nil when none.
    var vesselHU: Double?
    /// Area enclosed by a closed ring of bone (the skull) and the median HU inside it.
    var skullInnerArea: Double
    var skullInnerMedianHU: Double

    var lungFraction: Double { bodyArea > 0 ? lungArea / bodyArea : 0 }
    var liverFraction: Double { bodyArea > 0 ? liverArea / bodyArea : 0 }
    var skullFraction: Double { bodyArea > 0 ? skullInnerArea / bodyArea : 0 }

    /// "z -120 mm: body 512 cm², lung 31 % (-860 HU), liver 18 % (62 HU), vessel 170 HU, skull 0 %".
    var text: String {
        String(format: "z %.0f mm: body %.0f cm², lung %.0f %% (%.0f HU), liver %.0f %% (%.0f HU), vessel %@, skull %.0f %%",
               z, bodyArea / 100, 100 * lungFraction, lungMedianHU, 100 * liverFraction, liverMedianHU,
               vesselHU.map { String(format: "%.0f HU", $0) } ?? "none", 100 * skullFraction)
    }
}

extension SliceMeasures {
    /// Air: below −400 HU (halfway between lung parenchyma's upper end and fat).
    static let airHU: Float = -400
    /// Lung parenchyma: −950…−500 HU as a median of an air region (bowel gas and outside air
    /// are below −950; partial volume with the chest wall keeps parenchyma above it).
    static let lungMedianRange = -950.0 ... -500.0
    /// An enclosed air region counts as lung when at least 1 % of the body (a lung in one
    /// slice is 5–30 % of a chest's cross-section; small bowel gas bubbles are less).
    static let lungRegionMinFraction = 0.01
    /// Soft tissue, enhanced or not: 20…200 HU (fat is below −50, bone above 300).
    static let softTissueHU: ClosedRange<Float> = 20 ... 200
    /// Erosion before finding the liver: 5 mm detaches it from muscles and bowel that touch it.
    static let liverErosionMM = 5.0
    /// Contrast-enhanced blood: above 130 HU (unenhanced blood is at most ~60 HU).
    static let vesselHU: Float = 130
    /// Bone: above 300 HU.
    static let boneHU: Float = 300
    /// Vessel candidates: round areas of an aorta / IVC / portal vein, 12…40 mm across.
    static let vesselAreaMM2 = (Double.pi * 6 * 6) ... (Double.pi * 20 * 20)

    /// Measures `p` at position `z`.
    static func measure(_ p: Plane, z: Double) -> SliceMeasures {
        let n = p.values.count
        let air = p.values.map { $0 < airHU }
        let outside = p.reachedFromBorder(air)
        var bodyPixels = 0
        var bodyX = 0.0
        for i in 0..<n where !outside[i] { bodyPixels += 1; bodyX += p.x(i) }
        var m = SliceMeasures(z: z, bodyArea: Double(bodyPixels) * p.pixelArea, lungArea: 0, lungMedianHU: 0,
                              liverArea: 0, liverMedianHU: 0, vesselHU: nil, skullInnerArea: 0, skullInnerMedianHU: 0)
        guard bodyPixels > 0 else { return m }
        let centreX = bodyX / Double(bodyPixels)

        // Lungs: enclosed air of parenchymal density.
        let enclosedAir = (0..<n).map { air[$0] && !outside[$0] }
        var lungValues: [Float] = []
        for region in p.components(enclosedAir) {
            guard Double(region.count) >= lungRegionMinFraction * Double(bodyPixels) else { break }
            let values = region.map { p.values[$0] }
            if lungMedianRange.contains(median(values)) { lungValues += values }
        }
        m.lungArea = Double(lungValues.count) * p.pixelArea
        m.lungMedianHU = median(lungValues)

        // Liver: the largest eroded soft-tissue region in the patient's right half of the body.
        let soft = (0..<n).map { !outside[$0] && p.x($0) < centreX && softTissueHU.contains(p.values[$0]) }
        let core = p.eroded(soft, radius: max(1, Int((liverErosionMM / p.pixelSize).rounded())))
        if let region = p.components(core).first {
            m.liverArea = Double(region.count) * p.pixelArea
            m.liverMedianHU = median(region.map { p.values[$0] })
        }

        m.vesselHU = brightestVessel(p, body: outside.map { !$0 })
        (m.skullInnerArea, m.skullInnerMedianHU) = skullInterior(p, outside: outside)
        return m
    }

    /// Mean HU of the brightest compact, round, uniform region of enhanced blood: 130…600 HU
    /// (cortical bone is brighter), 12–40 mm across, filling ≥ 60 % of its bounding box, at most
    /// 1.6 times longer than wide, uniform (SD ≤ 60 HU: a lumen varies by the image noise, bone
    /// mixes 150–1000 HU) and not enclosed by bone: less than a quarter of a 2-pixel ring around
    /// it above 300 HU (a vessel touches bone along a small part of its wall at most, the aorta
    /// the vertebral body; a vertebra's cancellous core is ringed by cortex).
    ///
    /// Found at thresholds of 130, 200 and 300 HU in turn: blood at 150–200 HU (portal-venous)
    /// is whole at 130, while arterial blood at 300–450 HU touching a vertebra's cancellous bone
    /// (150–250 HU) separates from it only at the higher ones.
    static func brightestVessel(_ p: Plane, body: [Bool]) -> Double? {
        var best: Double?
        for threshold in [vesselHU, 200, 300] {
            let bright = (0..<p.values.count).map { body[$0] && p.values[$0] > threshold && p.values[$0] < 600 }
            if let hu = brightestVessel(p, in: bright) { best = max(best ?? hu, hu) }
        }
        return best
    }

    /// The brightest vessel among the components of `bright`.
    static func brightestVessel(_ p: Plane, in bright: [Bool]) -> Double? {
        var best: Double?
        for region in p.components(bright) {
            let area = Double(region.count) * p.pixelArea
            if area < vesselAreaMM2.lowerBound { break }
            guard area <= vesselAreaMM2.upperBound else { continue }
            var r0 = Int.max, r1 = 0, c0 = Int.max, c1 = 0
            for i in region {
                r0 = min(r0, i / p.columns); r1 = max(r1, i / p.columns)
                c0 = min(c0, i % p.columns); c1 = max(c1, i % p.columns)
            }
            let h = Double(r1 - r0 + 1), w = Double(c1 - c0 + 1)
            guard Double(region.count) >= 0.6 * h * w, max(h, w) <= 1.6 * min(h, w) else { continue }
            let values = region.map { Double(p.values[$0]) }
            let mean = values.reduce(0, +) / Double(values.count)
            let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
            guard sd <= 60, boneInRing(p, region, box: (r0, r1, c0, c1), width: 2) < 0.25 else { continue }
            best = max(best ?? mean, mean)
        }
        return best
    }

    /// The share of bone (> 300 HU) among the pixels within `width` pixels (chessboard
    /// distance) of `region`, outside it.
    static func boneInRing(_ p: Plane, _ region: [Int], box: (Int, Int, Int, Int), width: Int) -> Double {
        let (r0, r1, c0, c1) = (max(0, box.0 - width), min(p.rows - 1, box.1 + width),
                                max(0, box.2 - width), min(p.columns - 1, box.3 + width))
        let w = c1 - c0 + 1
        var inRegion = [Bool](repeating: false, count: (r1 - r0 + 1) * w)
        for i in region { inRegion[(i / p.columns - r0) * w + i % p.columns - c0] = true }
        var ring: [Float] = []
        for r in r0...r1 {
            for c in c0...c1 where !inRegion[(r - r0) * w + c - c0] {
                var near = false
                for rr in max(r0, r - width)...min(r1, r + width) where !near {
                    for cc in max(c0, c - width)...min(c1, c + width) where inRegion[(rr - r0) * w + cc - c0] {
                        near = true
                        break
                    }
                }
                if near { ring.append(p.values[r * p.columns + c]) }
            }
        }
        return ring.isEmpty ? 0 : Double(ring.filter { $0 > boneHU }.count) / Double(ring.count)
    }

    /// The area enclosed by bone (not reached from the border through non-bone pixels) that
    /// is not bone itself, and its median HU: most of a head's cross-section, brain inside.
    static func skullInterior(_ p: Plane, outside: [Bool]) -> (area: Double, medianHU: Double) {
        let notBone = p.values.map { $0 <= boneHU }
        let open = p.reachedFromBorder(notBone)
        let inside = (0..<p.values.count).filter { notBone[$0] && !open[$0] && !outside[$0] }
        return (Double(inside.count) * p.pixelArea, median(inside.map { p.values[$0] }))
    }
}
