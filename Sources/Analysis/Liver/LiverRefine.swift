import Imaging

/// A lesion's final mask on the source grid.
struct RefinedLesion: Sendable {
    var candidate: LesionCandidate
    /// Voxels of the lesion within `box`, with the sub-volume's geometry.
    var mask: Mask
    /// The box on the region of interest (`LiverField.source`).
    var box: IndexBox
    /// Source voxels in `box` (for the measurements).
    var source: Volume<Float>
    /// Median of the lightly smoothed source in the candidate's core and the threshold used.
    var coreHU: Double
    var thresholdHU: Double
}

/// Boundary refinement at full resolution: each candidate is re-thresholded in its own
/// neighbourhood halfway between its core and the liver median (the 50 % partial-volume
/// level, which is where the truth boundary of a blurred edge is), and for hypodense lesions
/// above halfway to fat (so a lesion on the liver surface does not run into the fat), inside
/// a few mm of the candidate and the liver envelope; holes are filled.
enum LiverRefine {
    /// Refinement smoothing σ (mm): 0.6 mm, more for noisier images (up to 1 mm).
    static func smoothingMM(noise: Double) -> Double { min(1, max(0.6, noise / 25)) }
    /// Opening (mm) of the thresholded region: cuts thin leaks along noise and partial volume.
    static let openingMM = 1.0
    static let fatHU = -100.0
    static let hypoReachMM = 3.0
    static let hyperReachMM = 2.0
    /// A surface lesion may reach this far (mm) beyond the envelope (its outer cap, which the
    /// envelope's closing ball cannot enter).
    static let envelopeSlackMM = 4.0
    /// Shell around the candidate (mm) where the local liver level is measured.
    static let shellMM: (inner: Double, outer: Double) = (2, 5)

    static func refine(_ c: LesionCandidate, _ f: LiverField) -> RefinedLesion? {
        let fac = f.grid.factor, fd = f.source.dimensions
        let box = IndexBox(lower: .init(slice: c.box.lower.slice * fac.x, row: c.box.lower.row * fac.y,
                                        column: c.box.lower.column * fac.z),
                           upper: .init(slice: min(fd.slices - 1, c.box.upper.slice * fac.x + fac.x - 1),
                                        row: min(fd.rows - 1, c.box.upper.row * fac.y + fac.y - 1),
                                        column: min(fd.columns - 1, c.box.upper.column * fac.z + fac.z - 1)))
        let raw = LiverCrop.crop(f.source, box)
        let smooth = Gaussian.smooth(raw, sigma: smoothingMM(noise: f.noise))
        let reach = Morphology.dilate(c.mask, radius: c.hyperdense ? hyperReachMM : hypoReachMM)
        var core = Morphology.erode(c.mask, radius: f.grid.geometry.spacing.row * 1.01)
        if !core.voxels.contains(1) { core = c.mask }
        let allowed = Morphology.dilate(LiverCrop.crop(f.envelope, c.box), radius: envelopeSlackMM)
        let near = Morphology.dilate(c.mask, radius: shellMM.inner), far = Morphology.dilate(c.mask, radius: shellMM.outer)
        let detectionLiver = LiverCrop.crop(f.liver, c.box), detectionSmooth = LiverCrop.crop(f.smooth, c.box)
        let bd = box.dimensions, cd = c.box.dimensions
        // Detection-grid index of each fine voxel of the box.
        var coarse = [Int](repeating: 0, count: bd.count)
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                for col in 0..<bd.columns {
                    coarse[bd.index(s, r, col)] = cd.index(min(cd.slices - 1, s / fac.x), min(cd.rows - 1, r / fac.y),
                                                           min(cd.columns - 1, col / fac.z))
                }
            }
        }
        var coreValues: [Float] = [], shellValues: [Float] = []
        let limit = Float(3 * f.sigma), mu = Float(f.median)
        for i in 0..<bd.count {
            let ci = coarse[i]
            if core.voxels[ci] != 0 { coreValues.append(smooth.voxels[i]) }
            if far.voxels[ci] != 0 && near.voxels[ci] == 0 && detectionLiver.voxels[ci] != 0
                && abs(detectionSmooth.voxels[ci] - mu) < limit { shellValues.append(smooth.voxels[i]) }
        }
        guard !coreValues.isEmpty else { return nil }
        let liverHU = shellValues.count >= 20 ? Double(LiverStatistics.median(shellValues)) : f.median
        var lesionHU = Double(LiverStatistics.median(coreValues))
        var mask = Mask(dimensions: bd, geometry: raw.geometry, repeating: 0), tau: Float = 0
        // Halfway between lesion and liver; the lesion level is re-measured once on the region.
        for _ in 0..<2 {
            tau = Float((lesionHU + liverHU) / 2)
            let low = Float((lesionHU + fatHU) / 2)
            var region = Mask(dimensions: bd, geometry: raw.geometry, repeating: 0)
            var seeds = Mask(dimensions: bd, geometry: raw.geometry, repeating: 0)
            for i in 0..<bd.count {
                let ci = coarse[i], v = smooth.voxels[i]
                guard reach.voxels[ci] != 0 else { continue }
                let inside = c.hyperdense ? v > tau : (v < tau && v > low && allowed.voxels[ci] != 0)
                if inside {
                    region.voxels[i] = 1
                    if core.voxels[ci] != 0 { seeds.voxels[i] = 1 }
                }
            }
            mask = seededComponents(Morphology.open(region, radius: openingMM), seeds: seeds)
            var values: [Float] = []
            for i in 0..<bd.count where mask.voxels[i] != 0 { values.append(smooth.voxels[i]) }
            guard !values.isEmpty else { return nil }
            lesionHU = Double(LiverStatistics.median(values))
        }
        mask = HoleFilling.fill3D(mask)
        return RefinedLesion(candidate: c, mask: mask, box: box, source: raw, coreHU: lesionHU, thresholdHU: Double(tau))
    }

    /// The components of `region` that contain a seed voxel.
    static func seededComponents(_ region: Mask, seeds: Mask) -> Mask {
        let (labels, count) = ConnectedComponents.label(region, connectivity: .faces6)
        var seeded = [Bool](repeating: false, count: count + 1)
        for i in 0..<labels.voxels.count where seeds.voxels[i] != 0 { seeded[Int(labels.voxels[i])] = true }
        seeded[0] = false
        return labels.map { seeded[Int($0)] ? UInt8(1) : 0 }
    }
}
