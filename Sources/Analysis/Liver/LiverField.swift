import Imaging

/// The liver's region of interest on the detection grid (~1.5 mm blocks of the source), with
/// the coarse masks brought onto it and the parenchyma's robust statistics.
struct LiverField: Sendable {
    /// The region of interest on the source grid (the envelope's box plus a margin).
    var roi: IndexBox
    /// Source voxels inside `roi`.
    var source: Volume<Float>
    /// Detection grid: blocks of `source`.
    var grid: BlockGrid
    /// Block means of `source` on the detection grid, and the same smoothed with σ = `smoothingMM`.
    var blocks: Volume<Float>
    var smooth: Volume<Float>
    var liver: Mask
    var envelope: Mask
    /// Median and 1.4826·MAD of `smooth` in the eroded liver within the coarse band
    /// (parenchyma; vessels and lesions are a minority there), and the same of the source
    /// voxels (the image noise).
    var median: Double
    var sigma: Double
    var noise: Double
    /// The parenchyma proper on the detection grid (where `median` and `sigma` are measured).
    var parenchyma: Mask

    /// Detection smoothing σ (mm): 1 mm, more for noisier images (up to 2 mm at 26 HU).
    static func smoothingMM(noise: Double) -> Double { min(2, max(1, noise / 13)) }

    init(source v: Volume<Float>, coarse: CoarseLiver) {
        let cg = coarse.grid
        var lo = SIMD3<Int>(repeating: .max), hi = SIMD3<Int>(repeating: .min)
        let cd = coarse.envelope.dimensions
        for s in 0..<cd.slices {
            for r in 0..<cd.rows {
                for c in 0..<cd.columns where coarse.envelope[s, r, c] != 0 {
                    lo = pointwiseMin(lo, SIMD3(s, r, c)); hi = pointwiseMax(hi, SIMD3(s, r, c))
                }
            }
        }
        let f = cg.factor
        let box = IndexBox(lower: .init(slice: lo.x * f.x, row: lo.y * f.y, column: lo.z * f.z),
                           upper: .init(slice: hi.x * f.x + f.x - 1, row: hi.y * f.y + f.y - 1, column: hi.z * f.z + f.z - 1))
        roi = LiverCrop.grow(box, by: f, within: v.dimensions)
        source = LiverCrop.crop(v, roi)
        grid = BlockGrid(fine: source.dimensions, geometry: source.geometry, targetMM: [1.5, 1.5, 1.5])
        // The parenchyma proper: the eroded liver within the coarse band around its level (the
        // liver mask also holds parenchyma darkened by artefacts, which is no lesion's background
        // and no measure of the noise).
        var core = Morphology.erode(coarse.liver, radius: 5)
        for i in 0..<core.voxels.count where abs(Double(coarse.image.voxels[i]) - coarse.parenchymaHU) > coarse.bandHU {
            core.voxels[i] = 0
        }
        liver = Self.sample(coarse.liver, coarse: cg, grid: grid, roi: roi)
        envelope = Self.sample(coarse.envelope, coarse: cg, grid: grid, roi: roi)
        let coreHere = Self.sample(core, coarse: cg, grid: grid, roi: roi)
        parenchyma = coreHere
        let coreFine = grid.upsample(coreHere, fineGeometry: source.geometry)
        var raw: [Float] = []
        for i in 0..<source.voxels.count where coreFine.voxels[i] != 0 { raw.append(source.voxels[i]) }
        (_, noise) = LiverStatistics.medianAndSigma(raw)
        blocks = grid.mean(source)
        smooth = Gaussian.smooth(blocks, sigma: Self.smoothingMM(noise: noise))
        var values: [Float] = []
        for i in 0..<smooth.voxels.count where coreHere.voxels[i] != 0 { values.append(smooth.voxels[i]) }
        (median, sigma) = LiverStatistics.medianAndSigma(values)
        (liver, envelope) = Self.refine(smooth, coarseLiver: liver, median: median, sigma: sigma,
                                        darkEdge: coarse.darkEdgeHU)
    }

    /// The liver half-width band on the detection grid (HU), and the radii used there (mm).
    static func band(sigma: Double) -> Double { max(30, 3 * sigma) }
    static let reachMM = 4.0
    static let notchClosingMM = 4.0
    /// Opening radius (mm) of the band's dark side (down to `CoarseLiver.darkEdgeHU`):
    /// parenchyma darkened by artefacts is thick, the muscle layers on the liver (diaphragm
    /// 2–5 mm, intercostals) that share those HU are thinner than 2 × 3 mm.
    static let darkOpeningMM = 3.0

    /// The liver and its envelope redone on the detection grid: the parenchyma band near the
    /// coarse liver (its dark side, see `LiverMaskFinder.darkeningHU`, only where thick), its
    /// largest component with holes filled and notches closed, and the
    /// envelope as its closing with `LiverMaskFinder.envelopeMM` (dents of surface lesions),
    /// without air.
    static func refine(_ s: Volume<Float>, coarseLiver: Mask, median: Double, sigma: Double, darkEdge: Double) -> (Mask, Mask) {
        let b = Float(band(sigma: sigma)), mu = Float(median)
        let near = Morphology.dilate(coarseLiver, radius: reachMM)
        let dark = min(mu - b, Float(darkEdge))
        // The dark side alone is opened: opened together with the parenchyma, a thin layer on
        // the liver's surface (the diaphragm, partial volume with muscle) would stay.
        var m = near, darkSide = near
        for i in 0..<m.voxels.count where m.voxels[i] != 0 {
            let v = s.voxels[i]
            if abs(v - mu) > b { m.voxels[i] = 0 }
            if v < dark || v >= mu - b { darkSide.voxels[i] = 0 }
        }
        let thick = Morphology.open(darkSide, radius: darkOpeningMM)
        for i in 0..<m.voxels.count { m.voxels[i] |= thick.voxels[i] }
        m = ConnectedComponents.largest(m, connectivity: .faces6)
        m = HoleFilling.fill2DPerSlice(HoleFilling.fill3D(m))
        m = HoleFilling.fill2DPerSlice(Morphology.close(m, radius: notchClosingMM))
        var e = HoleFilling.fill2DPerSlice(LiverCrop.closePadded(m, radius: LiverMaskFinder.envelopeMM))
        for i in 0..<e.voxels.count where s.voxels[i] < -400 { e.voxels[i] = 0 }
        return (m, e)
    }

    /// A coarse mask looked up at the centre of every detection-grid voxel.
    static func sample(_ m: Mask, coarse: BlockGrid, grid: BlockGrid, roi: IndexBox) -> Mask {
        let d = grid.coarse, f = grid.factor, cf = coarse.factor, md = m.dimensions
        var out = Mask(dimensions: d, geometry: grid.geometry, repeating: 0)
        for s in 0..<d.slices {
            let cs = min(md.slices - 1, (roi.lower.slice + s * f.x + (f.x - 1) / 2) / cf.x)
            for r in 0..<d.rows {
                let cr = min(md.rows - 1, (roi.lower.row + r * f.y + (f.y - 1) / 2) / cf.y)
                let base = d.index(s, r, 0), cbase = md.index(cs, cr, 0)
                for c in 0..<d.columns {
                    let cc = min(md.columns - 1, (roi.lower.column + c * f.z + (f.z - 1) / 2) / cf.z)
                    out.voxels[base + c] = m.voxels[cbase + cc]
                }
            }
        }
        return out
    }
}
