import Foundation
import Imaging

/// Turns refined lesions into findings (measurements, category, site, confidence) and builds
/// the liver organ mask and volume.
enum LiverFindings {
    /// Cyst-like: mean below this (HU) and an SD not much above the image noise.
    static let cystMaximumHU = 20.0
    static let cystSDFactor = 1.35

    /// The liver (coarse mask on the detection grid without the portal vein and fat, see
    /// `LiverPortalVein`, brought to the source grid, without the inferior vena cava, see
    /// `LiverVenaCava`, with every lesion added) and its volume in mL.
    static func organ(_ f: LiverField, _ lesions: [RefinedLesion], grid: Dimensions) -> (RegionMask?, Double) {
        var liver = f.liver
        let notLiver = LiverPortalVein.nonLiver(f)
        for i in 0..<liver.voxels.count where notLiver.voxels[i] != 0 { liver.voxels[i] = 0 }
        var m = f.grid.upsample(liver, fineGeometry: f.source.geometry)
        let cava = LiverVenaCava.inLiver(f, liver: m)
        for i in 0..<m.voxels.count where cava.voxels[i] != 0 { m.voxels[i] = 0 }
        let d = m.dimensions
        for l in lesions {
            let bd = l.box.dimensions
            for s in 0..<bd.slices {
                for r in 0..<bd.rows {
                    for c in 0..<bd.columns where l.mask.voxels[bd.index(s, r, c)] != 0 {
                        m.voxels[d.index(l.box.lower.slice + s, l.box.lower.row + r, l.box.lower.column + c)] = 1
                    }
                }
            }
        }
        let n = m.voxels.reduce(0) { $0 + Int($1) }
        return (LiverCrop.regionMask(m, at: f.roi.lower, grid: grid), Double(n) * m.geometry.spacing.voxelVolume / 1000)
    }

    static func findings(_ lesions: [RefinedLesion], _ f: LiverField, grid: Dimensions) -> [Finding] {
        // Liver extent for naming sites.
        var zTop = -Double.infinity, xLo = Double.infinity, xHi = -Double.infinity
        let ld = f.liver.dimensions, lg = f.liver.geometry
        for s in 0..<ld.slices {
            for r in 0..<ld.rows {
                for c in 0..<ld.columns where f.liver[s, r, c] != 0 {
                    let p = lg.point(slice: Double(s), row: Double(r), column: Double(c))
                    zTop = max(zTop, p.z); xLo = min(xLo, p.x); xHi = max(xHi, p.x)
                }
            }
        }
        let measured = lesions.compactMap { l -> (RefinedLesion, RegionProperties)? in
            guard let p = Regions.properties(mask: l.mask, intensity: l.source) else { return nil }
            return (l, p)
        }.sorted { $0.1.volumeMM3 > $1.1.volumeMM3 }
        return measured.enumerated().compactMap { i, lp -> Finding? in
            let (l, p) = lp
            let origin = IndexBox.Corner(slice: f.roi.lower.slice + l.box.lower.slice, row: f.roi.lower.row + l.box.lower.row,
                                         column: f.roi.lower.column + l.box.lower.column)
            guard let mask = LiverCrop.regionMask(l.mask, at: origin, grid: grid) else { return nil }
            let diameter = cbrt(6 * p.volumeMM3 / .pi)
            let contrast = p.mean - f.median
            let category = l.candidate.hyperdense ? "hyperdense"
                : p.mean < cystMaximumHU && p.standardDeviation < cystSDFactor * f.noise + 3 ? "cyst-like" : "hypodense"
            let site = l.candidate.enclosure < 0.85 ? "liver edge"
                : p.centroid.z > zTop - 30 ? "liver dome"
                : p.centroid.x < xLo + 0.6 * (xHi - xLo) ? "right lobe" : "left lobe"
            let (confidence, reason) = confidence(l, contrast: contrast, diameter: diameter, field: f)
            // Caliper axes on the slice of greatest extent, as reported for nodules (RECIST), to 0.1 mm.
            guard let axes = AxialDiameters.measure(l.mask) else { return nil }
            let long = (axes.long * 10).rounded() / 10, short = (axes.short * 10).rounded() / 10
            return Finding(number: i + 1, kind: .lesion, category: category, mask: mask, centroidMM: p.centroid,
                           site: site,
                           measurements: [Measurement(.volume, p.volumeML, "mL"), Measurement(.equivalentDiameter, diameter, "mm"),
                                          Measurement(.longAxis, long, "mm"),
                                          Measurement(.shortAxis, short, "mm"),
                                          Measurement(.meanHU, p.mean, "[hnsf'U]"),
                                          Measurement(.sdHU, p.standardDeviation, "[hnsf'U]"),
                                          Measurement(.contrastToLiver, contrast, "[hnsf'U]")],
                           confidence: confidence, reason: reason)
        }
    }

    /// Confidence from how far the contrast is past the detection threshold, the size, and how
    /// much of the lesion's surroundings is liver.
    static func confidence(_ l: RefinedLesion, contrast: Double, diameter: Double, field f: LiverField) -> (Double, String) {
        let threshold = l.candidate.hyperdense ? LiverCandidates.hyperThreshold(f) : LiverCandidates.hypoThreshold(f)
        let margin = min(1, max(0, (abs(contrast) - threshold) / (2 * threshold)))
        let size = min(1, max(0, (diameter - 5) / 15))
        let enclosed = min(1, max(0, (l.candidate.enclosure - 0.5) / 0.4))
        let c = 0.3 + 0.3 * margin + 0.25 * size + 0.15 * enclosed
        let reason = String(format: "%@ by %.0f HU vs liver %.0f HU (threshold %.0f HU, noise %.0f HU), %.0f mm, %.0f %% surrounded by liver",
                            contrast < 0 ? "darker" : "brighter", abs(contrast), f.median, threshold, f.noise, diameter,
                            100 * l.candidate.enclosure)
            + (l.candidate.blobSigmas > 0 ? String(format: ", scale-matched blob %.1f SD", l.candidate.blobSigmas) : "")
        return (c, reason)
    }
}
