import Imaging

/// The liver on a coarse grid (~3 mm blocks of the source).
struct CoarseLiver: Sendable {
    var grid: BlockGrid
    /// Block means of the source (HU).
    var image: Volume<Float>
    /// The liver: parenchyma band, opened, the component in the right upper abdomen,
    /// reconstructed, holes filled (so lesions and vessels are inside) and closed.
    var liver: Mask
    /// The liver closed with a large ball: where lesions cut by the liver surface can be.
    var envelope: Mask
    /// The parenchyma estimate the band was centred on, and the band's half-width (HU).
    var parenchymaHU: Double
    var bandHU: Double
    /// The band's lower edge (HU): down to `LiverMaskFinder.darkeningHU` below the parenchyma,
    /// but above the scan's muscle (see `LiverMaskFinder.darkEdge`).
    var darkEdgeHU: Double
}

/// Finds the liver (DESIGN §8): soft-tissue band around the parenchyma's HU (estimated as the
/// mode of soft tissue in the right upper abdomen), opening to detach neighbours (spleen,
/// stomach, kidney, heart), the component in the right upper abdomen, hole filling and
/// closing so lesions are inside, and a wider envelope for lesions on the liver surface.
enum LiverMaskFinder {
    /// Opening radius that detaches neighbours touching the liver through narrow contacts.
    static let openingMM = 7.0
    /// Closing radius of the liver mask (notches of vessels and small edge lesions).
    static let closingMM = 6.0
    /// Closing radius of the envelope (dents left by lesions on the liver surface).
    static let envelopeMM = 25.0
    /// Smoothing of the coarse image (mm).
    static let smoothingMM = 2.0
    /// Smallest liver accepted, mL.
    static let minimumML = 300.0
    /// How far below the parenchyma median the band reaches (HU), at least. One liver is not
    /// one HU level on real CT: streaks and beam hardening (arms down beside the body, dense
    /// contrast in bowel or spine) and uneven enhancement darken whole regions by tens of HU
    /// (a real portal-venous scan: the posterior right lobe at 55–75 HU against a median of
    /// 98, 124 mL of liver lost to a ±25 HU band). 45 HU below an enhanced liver (≥ 90 HU)
    /// is still above water and fat; of the liver's neighbours only muscle (30–60 HU) enters
    /// the band there, and the opening detaches its thin layers (diaphragm, intercostals).
    static let darkeningHU = 45.0

    static func find(_ v: Volume<Float>) throws(AnalysisError) -> CoarseLiver {
        let grid = BlockGrid(fine: v.dimensions, geometry: v.geometry, targetMM: [3, 3, 3])
        // Block means, smoothed so the noise is low even when the blocks are single voxels.
        let c = Gaussian.smooth(grid.mean(v), sigma: smoothingMM)
        let body = HoleFilling.fill2DPerSlice(ConnectedComponents.largest(c.map { $0 > -400 ? 1 : 0 }, connectivity: .faces6))
        let seed = rightUpperAbdomen(body)
        guard let (hu, sd) = parenchyma(c, seed) else { throw .failed("no liver found: no soft tissue in the right upper abdomen") }
        let band = min(45, max(25, 3 * sd))
        let dark = darkEdge(c, body: body, parenchymaHU: hu, sd: sd, band: band)
        let lo = Float(dark), hi = Float(hu + band)
        let tissue = Mask(dimensions: c.dimensions, geometry: c.geometry,
                          voxels: zip(c.voxels, body.voxels).map { $1 != 0 && $0 >= lo && $0 <= hi ? 1 : 0 })
        let opened = Morphology.open(tissue, radius: openingMM)
        let (labels, count) = ConnectedComponents.label(opened, connectivity: .faces6)
        guard count > 0 else { throw .failed("no liver found: no tissue in the liver's HU range") }
        var overlap = [Int](repeating: 0, count: count + 1)
        for i in 0..<labels.voxels.count where seed.voxels[i] != 0 { overlap[Int(labels.voxels[i])] += 1 }
        overlap[0] = 0
        let best = overlap.indices.max { overlap[$0] < overlap[$1] }!
        guard overlap[best] > 0 else { throw .failed("no liver found in the right upper abdomen") }
        var liver = labels.map { $0 == Int32(best) ? UInt8(1) : 0 }
        // Back to the band's own boundary (opening rounded it), without jumping far.
        let grown = Morphology.dilate(liver, radius: openingMM + grid.geometry.spacing.row / 2)
        for i in 0..<liver.voxels.count { liver.voxels[i] = grown.voxels[i] & tissue.voxels[i] }
        liver = ConnectedComponents.largest(liver, connectivity: .faces6)
        liver = HoleFilling.fill2DPerSlice(HoleFilling.fill3D(liver))
        liver = HoleFilling.fill2DPerSlice(Morphology.close(liver, radius: closingMM))
        let ml = Double(liver.voxels.reduce(0) { $0 + Int($1) }) * c.geometry.spacing.voxelVolume / 1000
        guard ml >= minimumML else {
            throw .failed("no liver found: largest liver-like region is \(Int(ml)) mL (< \(Int(minimumML)) mL)")
        }
        var envelope = HoleFilling.fill2DPerSlice(Morphology.close(liver, radius: envelopeMM))
        for i in 0..<envelope.voxels.count { envelope.voxels[i] &= body.voxels[i] }
        return CoarseLiver(grid: grid, image: c, liver: liver, envelope: envelope, parenchymaHU: hu, bandHU: band, darkEdgeHU: dark)
    }

    /// Body voxels at the patient's right (−x), anterior or mid (y), in the upper 70 % of z.
    static func rightUpperAbdomen(_ body: Mask) -> Mask {
        let d = body.dimensions, g = body.geometry
        var lo = SIMD3<Double>(repeating: .infinity), hi = SIMD3<Double>(repeating: -.infinity)
        var sum = SIMD3<Double>.zero, n = 0.0
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for col in 0..<d.columns where body[s, r, col] != 0 {
                    let p = g.point(slice: Double(s), row: Double(r), column: Double(col))
                    lo = pointwiseMin(lo, p); hi = pointwiseMax(hi, p); sum += p; n += 1
                }
            }
        }
        var seed = Mask(dimensions: d, geometry: g, repeating: 0)
        guard n > 0 else { return seed }
        let centre = sum / n, half = (hi - lo) / 2
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                for col in 0..<d.columns where body[s, r, col] != 0 {
                    let p = g.point(slice: Double(s), row: Double(r), column: Double(col))
                    if p.x < centre.x - 0.15 * half.x && p.y < centre.y + 0.15 * half.y && p.z > lo.z + 0.3 * (hi.z - lo.z) {
                        seed[s, r, col] = 1
                    }
                }
            }
        }
        return seed
    }

    /// The band's lower edge: `darkeningHU` below the parenchyma, raised to 3 SD above the
    /// scan's muscle when muscle comes that close (muscle does not enhance much: 30–60 HU in
    /// any phase, so next to a weakly enhanced liver it would enter the band, and the muscle
    /// wall is too thick for the opening to remove). Muscle is the most common soft tissue of
    /// the body below that edge (10 HU up: above fluid in bowel and gallbladder).
    static func darkEdge(_ c: Volume<Float>, body: Mask, parenchymaHU hu: Double, sd: Double, band: Double) -> Double {
        let edge = hu - max(band, darkeningHU)
        let floor = 10.0
        guard edge > floor + 4 else { return edge }
        var histogram = [Int](repeating: 0, count: Int((edge - floor) / 2))
        for i in 0..<c.voxels.count where body.voxels[i] != 0 {
            let b = Int((Double(c.voxels[i]) - floor) / 2)
            if b >= 0 && b < histogram.count { histogram[b] += 1 }
        }
        guard let peak = histogram.indices.max(by: { histogram[$0] < histogram[$1] }), histogram[peak] > 0 else { return edge }
        let muscle = floor + 2 * Double(peak) + 1
        return min(hu - band, max(edge, muscle + 3 * sd))
    }

    /// Mode of soft tissue (40–220 HU) in `seed`, refined to the median and 1.4826·MAD of the
    /// values within ±25 HU of it.
    static func parenchyma(_ c: Volume<Float>, _ seed: Mask) -> (Double, Double)? {
        var histogram = [Int](repeating: 0, count: 90)
        for i in 0..<c.voxels.count where seed.voxels[i] != 0 {
            let b = Int((c.voxels[i] - 40) / 2)
            if b >= 0 && b < histogram.count { histogram[b] += 1 }
        }
        let smoothed = histogram.indices.map { i in (max(0, i - 3)...min(histogram.count - 1, i + 3)).reduce(0) { $0 + histogram[$1] } }
        guard let peak = smoothed.indices.max(by: { smoothed[$0] < smoothed[$1] }), smoothed[peak] >= 50 else { return nil }
        let mode = 40 + 2 * Double(peak) + 1
        var near: [Float] = []
        for i in 0..<c.voxels.count where seed.voxels[i] != 0 && abs(Double(c.voxels[i]) - mode) <= 25 { near.append(c.voxels[i]) }
        let median = Double(LiverStatistics.median(near))
        let mad = Double(LiverStatistics.median(near.map { abs($0 - Float(median)) }))
        return (median, 1.4826 * mad)
    }
}

/// Robust statistics.
enum LiverStatistics {
    /// Median (0 for an empty array).
    static func median(_ values: [Float]) -> Float {
        guard !values.isEmpty else { return 0 }
        var v = values
        let k = v.count / 2
        v.withUnsafeMutableBufferPointer { b in b.sort() }
        return v.count % 2 == 1 ? v[k] : (v[k - 1] + v[k]) / 2
    }

    /// Median and 1.4826·MAD (the SD of a normal sample, robust to outliers).
    static func medianAndSigma(_ values: [Float]) -> (Double, Double) {
        let m = median(values)
        return (Double(m), 1.4826 * Double(median(values.map { abs($0 - m) })))
    }
}
