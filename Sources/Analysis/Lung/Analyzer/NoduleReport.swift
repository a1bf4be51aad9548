import Foundation
import Imaging

/// Turns a segmented nodule into a `Finding`: measurements, category, side and zone, Lung-RADS
/// v2022 size category, confidence and the reason in words.
enum NoduleReport {
    static let hu = "[hnsf'U]"

    static func category(_ n: SegmentedNodule) -> String {
        if n.solidPlateau { return "solid" }
        return n.solidDiameter >= 1.5 ? "part-solid" : "ground-glass"
    }

    /// Lung-RADS v2022 baseline category from the size rules: solid by mean diameter (< 6 → 2,
    /// < 8 → 3, < 15 → 4A, else 4B); part-solid by mean diameter (< 6 → 2) then by the solid
    /// component (< 6 → 3, < 8 → 4A, else 4B); ground glass < 30 → 2, else 3. Diameters are
    /// compared as reported, to 0.1 mm. "4X" needs features AutoSeg does not judge (spiculation,
    /// lymphadenopathy), so it is never assigned.
    static func lungRADS(category: String, meanDiameter: Double, solidDiameter: Double) -> String {
        let mean = tenth(meanDiameter), solid = tenth(solidDiameter)
        switch category {
        case "solid":
            if mean < 6 { return "2" }
            if mean < 8 { return "3" }
            return mean < 15 ? "4A" : "4B"
        case "part-solid":
            if mean < 6 { return "2" }
            if solid < 6 { return "3" }
            return solid < 8 ? "4A" : "4B"
        default:
            return mean < 30 ? "2" : "3"
        }
    }

    /// `x` rounded to 0.1 (how Lung-RADS reports and compares diameters).
    static func tenth(_ x: Double) -> Double { (x * 10).rounded() / 10 }

    static func finding(_ n: SegmentedNodule, number: Int, grid: Dimensions, lungs: LungMaskResult,
                        pleuraDistance: Double) -> Finding {
        let p = n.properties
        // Tighten the mask to its bounding box, in full-grid indices.
        let bb = p.boundingBox
        let local = RegionMask(cropping: n.mask, to: bb)
        let box = IndexBox(lower: .init(slice: n.box.lower.slice + bb.lower.slice, row: n.box.lower.row + bb.lower.row,
                                        column: n.box.lower.column + bb.lower.column),
                           upper: .init(slice: n.box.lower.slice + bb.upper.slice, row: n.box.lower.row + bb.upper.row,
                                        column: n.box.lower.column + bb.upper.column))
        let mask = regionMask(grid: grid, box: box, bytes: local.mask)
        let diameter = Foundation.pow(6 * p.volumeMM3 / Double.pi, 1.0 / 3)
        // Caliper axes on the axial slice of greatest extent, to 0.1 mm as reported; the mean
        // diameter and the category are computed from the reported numbers, so nothing shown
        // contradicts anything else.
        var cropped = Mask(dimensions: local.box.dimensions, geometry: n.mask.geometry, repeating: 0)
        cropped.voxels = local.mask
        let axes = AxialDiameters.measure(cropped) ?? .init(slice: 0, long: 0, short: 0)
        let long = tenth(axes.long), short = tenth(axes.short)
        let mean = tenth((long + short) / 2)
        let cat = category(n)
        let radsText = lungRADS(category: cat, meanDiameter: mean, solidDiameter: n.solidDiameter)
        let side: Laterality = p.centroid.x < lungs.midlineX ? .right : .left
        let range = lungs.zRange[side == .right ? 0 : 1]
        let third = (range.upperBound - range.lowerBound) / 3
        let zone = p.centroid.z > range.upperBound - third ? "upper" : (p.centroid.z > range.lowerBound + third ? "middle" : "lower")
        let juxta = pleuraDistance < 1
        var measurements = [
            Measurement(.volume, p.volumeML, "mL"),
            Measurement(.longAxis, long, "mm"),
            Measurement(.shortAxis, short, "mm"),
            Measurement(.meanDiameter, mean, "mm"),
            Measurement(.equivalentDiameter, diameter, "mm"),
            Measurement(.meanHU, p.mean, hu),
            Measurement(.sdHU, p.standardDeviation, hu),
            Measurement(.distanceToPleura, pleuraDistance, "mm"),
            Measurement(.sphericity, n.sphericity, "1"),
        ]
        if cat == "part-solid" { measurements.append(Measurement(.solidDiameter, tenth(n.solidDiameter), "mm")) }

        // Confidence: blob strength, separation from attached vessels, shape, contrast.
        let blob = clamp(Double(n.candidate.score - 1) / 2)
        let separation = n.tubeRadius == 0 ? 1 : clamp((n.innerRadius / n.tubeRadius - NoduleSegmenter.tubeRatio) / 1.0)
        let shape = clamp((NoduleSegmenter.maxElongation - n.elongation) / 1.0)
        let contrast = clamp((n.plateau - n.background - NoduleSegmenter.edgeDelta) / 200)
        let confidence = 0.3 + 0.7 * (0.3 * blob + 0.3 * separation + 0.2 * shape + 0.2 * contrast)
        let f = NoduleSegmenter.fmt
        let c = n.candidate
        var why = "blob response \(f(Double(c.response))) (\(String(format: "%.1f", c.score))× the \(c.channel) channel's threshold) at σ \(f(c.sigma)) mm; "
        why += n.tubeRadius == 0 ? "no vessel attached; "
            : "inscribed radius \(f(n.innerRadius)) mm vs thickest attached vessel \(f(n.tubeRadius)) mm; "
        why += "axis ratio \(String(format: "%.2f", n.elongation)), sphericity \(String(format: "%.2f", n.sphericity)); "
        why += "\(Int((n.plateau - n.background).rounded())) HU above the parenchyma; "
        why += "Lung-RADS \(radsText) (\(cat), mean diameter \(String(format: "%.1f", mean)) mm"
        why += cat == "part-solid" ? ", solid component \(String(format: "%.1f", tenth(n.solidDiameter))) mm)" : ")"
        return Finding(number: number, kind: .nodule, category: cat, mask: mask, centroidMM: p.centroid,
                       laterality: side, site: "\(side.rawValue) \(zone) zone" + (juxta ? ", juxtapleural" : ""),
                       measurements: measurements, assessments: [Assessment(.lungRADS, radsText)],
                       confidence: confidence, reason: why)
    }

    static func clamp(_ x: Double) -> Double { min(1, max(0, x)) }

    /// A `RegionMask` from its parts (its public initialisers start from a mask on the grid).
    static func regionMask(grid: Dimensions, box: IndexBox, bytes: [UInt8]) -> RegionMask {
        precondition(bytes.count == box.dimensions.count, "mask bytes do not fill the box")
        let one = IndexBox(lower: .init(slice: 0, row: 0, column: 0), upper: .init(slice: 0, row: 0, column: 0))
        var m = RegionMask(cropping: Mask(dimensions: Dimensions(slices: 1, rows: 1, columns: 1), repeating: 0), to: one)
        m.gridDimensions = grid
        m.box = box
        m.mask = bytes
        return m
    }
}
