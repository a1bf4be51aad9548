import Foundation
import Imaging

/// A lesion candidate on the detection grid.
struct LesionCandidate: Sendable {
    var hyperdense: Bool
    /// The candidate's voxels within `box` (detection grid).
    var mask: Mask
    var box: IndexBox
    /// Mean of the smoothed image in it minus the liver median (HU).
    var contrast: Double
    /// Fraction of a shell 1.5–4.5 mm around it that is liver (how enclosed by liver it is).
    var enclosure: Double
    var volumeMM3: Double
    /// Largest/smallest principal axis length (see `elongation(_:spacing:)`).
    var elongation: Double
    /// The most extreme smoothed value in it, as a distance from the liver median in units of
    /// the smoothed parenchyma SD (how far out of the noise it is).
    var peakSigmas: Double = 0
    /// Twice the largest inscribed radius (mm): sheets (organ walls, partial volume along the
    /// liver surface) are thin, lesions are not.
    var thickness: Double = 0
    /// Mean of the smoothed image in it minus the median of the liver (not vessel) around it,
    /// in the shell of `enclosure` (HU): its contrast to its own surroundings.
    var localContrast: Double = 0
    /// For a candidate of `LiverScaleBlobs`: its significance (SDs of the scale-matched
    /// response over the parenchyma); 0 for the voxel passes.
    var blobSigmas: Double = 0
}

/// Candidates against the liver's own statistics (DESIGN §8).
///
/// Hypodense: smoothed value below the parenchyma median by more than `hypoThreshold`, inside
/// the liver envelope, away from fat (partial volume along every organ boundary), opened so
/// thin shells drop out; kept if mostly surrounded by liver (`enclosed`), and, when only partly
/// surrounded (on the liver surface), compact and thick; small ones must stand well out of
/// the noise. Hyperdense: brighter than the median by more than `hyperThreshold`; blobs are
/// separated from the contrast-filled veins by `LiverBlobs`; kept if mostly in the envelope and
/// surrounded by parenchyma.
enum LiverCandidates {
    /// Detection thresholds (HU from the liver median): 2.5 smoothed-parenchyma SDs, at least
    /// 12 (hypo) and 22 (hyper) HU.
    static func hypoThreshold(_ f: LiverField) -> Double { max(12, 2.5 * f.sigma) }
    static func hyperThreshold(_ f: LiverField) -> Double { max(22, 2.5 * f.sigma) }

    static let hypoOpeningMM = 2.0
    static let minimumHypoMM3 = 4.0 / 3.0 * Double.pi * 8   // 4 mm sphere
    static let minimumHyperMM3 = 4.0 / 3.0 * Double.pi * 64 // 8 mm sphere
    /// Below this (smoothed HU) a voxel is fat or air; hypodense candidates keep `nearFatMM` away.
    static let fatHU: Float = -30
    /// The same on the unsmoothed block means (thin fat planes the smoothing fills in).
    static let fatBlockHU: Float = -50
    static let nearFatMM = 2.5
    /// Above liver + this, bright voxels are bone or contrast-dense structures, not lesions.
    static let hyperCeilingHU: Float = 150

    /// Smallest enclosure: a lesion whose centre is inside the liver is at least half
    /// surrounded by liver where the surface is flat (0.5; it was 0.55, which lost surface
    /// lesions cut nearly through their centre and lumps freed from a sheet, whose shell
    /// also holds the sheet);
    /// below `smallMM` only well-enclosed candidates count (partial-volume slivers at the
    /// liver surface are small and about half enclosed too).
    static let minimumEnclosure = 0.5
    static let minimumEnclosureSmall = 0.8
    static let smallMM = 10.0
    /// Small candidates must reach this many parenchyma SDs from the median somewhere (the
    /// darkest smoothed noise blobs of a whole liver reach about 4).
    static let minimumSmallPeakSigmas = 4.5
    /// Candidates less enclosed than `wellEnclosed` (on the liver surface) must also be
    /// compact: at least `minimumThickness` mm thick and at most `maximumSurfaceElongation`
    /// (body wall, stomach wall and the fat around the IVC in the liver's concavities are
    /// sheets and bands).
    static let wellEnclosed = 0.8
    static let minimumThickness = 6.0
    static let maximumSurfaceElongation = 2.5
    /// Hyperdense candidates: smallest fraction inside the envelope.
    static let minimumInsideEnvelope = 0.8

    /// Whether a hypodense candidate is darker than the parenchyma by `threshold` both against
    /// the liver's median and against the liver around it: a lesion is a focal change, while
    /// parenchyma darkened by a streak or beam hardening (a wide band, tens of mm) is as dark
    /// as its own surroundings.
    static func darkEnough(_ c: LesionCandidate, threshold: Double) -> Bool {
        -c.contrast >= threshold && -c.localContrast >= threshold
    }

    /// Whether a hypodense candidate is a lesion by its surroundings, size, depth and shape.
    /// `peakRule: false` leaves out the peak-depth rule for small candidates (for those of
    /// `LiverScaleBlobs`, whose own significance test replaces it).
    static func enclosed(_ c: LesionCandidate, peakRule: Bool = true) -> Bool {
        let d = cbrt(6 * c.volumeMM3 / .pi)
        guard c.enclosure >= (d < smallMM ? minimumEnclosureSmall : minimumEnclosure) else { return false }
        guard d >= smallMM || !peakRule || c.peakSigmas >= minimumSmallPeakSigmas else { return false }
        return c.enclosure >= wellEnclosed || (c.thickness >= minimumThickness && c.elongation <= maximumSurfaceElongation)
    }

    static func hypodense(_ f: LiverField) -> [LesionCandidate] {
        let t = Float(hypoThreshold(f)), mu = Float(f.median)
        let s = f.smooth
        // Partial volume with fat or air (the liver surface, organ walls) is not a lesion: voxels
        // near fat are left out here (the refinement puts the rim of a surface lesion back).
        var fat = Mask(dimensions: s.dimensions, geometry: s.geometry, repeating: 0)
        for i in 0..<s.voxels.count where s.voxels[i] < fatHU || f.blocks.voxels[i] < fatBlockHU { fat.voxels[i] = 1 }
        let nearFat = Morphology.dilate(fat, radius: nearFatMM)
        var m = Mask(dimensions: s.dimensions, geometry: s.geometry, repeating: 0)
        for i in 0..<s.voxels.count
        where f.envelope.voxels[i] != 0 && nearFat.voxels[i] == 0 && s.voxels[i] < mu - t && s.voxels[i] > fatHU {
            m.voxels[i] = 1
        }
        m = Morphology.open(m, radius: hypoOpeningMM)
        // Parenchyma only: a contrast-filled vessel is no liver around a candidate (fat and
        // partial volume along the portal vein and its branches are dark rims on a vessel).
        let vessel = mu + Float(hyperThreshold(f))
        let liverLike: (Int) -> Bool = { i in f.liver.voxels[i] != 0 && s.voxels[i] >= mu - t && s.voxels[i] <= vessel }
        let all = components(m, f, hyper: false, minimumMM3: minimumHypoMM3, liverLike: liverLike)
        let kept = all.filter { enclosed($0) && darkEnough($0, threshold: Double(t)) }
        if debug { list(all, f, threshold: Double(t)) }
        // A lesion on the liver surface can run into a thin dark layer beside the liver (the
        // muscle wall or diaphragm across a fat gap the smoothing fills in, partial volume
        // along the surface): the joined candidate is then a sheet with a lump, too elongated
        // and too little surrounded by liver. Opening the rejected candidates with half the
        // thickness asked of a surface lesion removes the sheet and keeps the lump, which is
        // then judged on its own by the same rules.
        var rejected = Mask(dimensions: m.dimensions, geometry: m.geometry, repeating: 0)
        for c in all where !enclosed(c) && cbrt(6 * c.volumeMM3 / .pi) >= smallMM {
            paint(c, into: &rejected)
        }
        guard rejected.voxels.contains(1) else { return kept }
        let lumps = Morphology.open(rejected, radius: minimumThickness / 2)
        return kept + components(lumps, f, hyper: false, minimumMM3: minimumHypoMM3, liverLike: liverLike)
            .filter { enclosed($0) && darkEnough($0, threshold: Double(t)) }
    }

    /// `AUTOSEG_LIVER_DEBUG=1` lists every hypodense component and its measures on stderr.
    static let debug = ProcessInfo.processInfo.environment["AUTOSEG_LIVER_DEBUG"] != nil

    static func list(_ all: [LesionCandidate], _ f: LiverField, threshold t: Double) {
        for c in all {
            let b = c.box, g = f.smooth.geometry
            let p = g.point(slice: Double(b.lower.slice + b.upper.slice) / 2, row: Double(b.lower.row + b.upper.row) / 2,
                            column: Double(b.lower.column + b.upper.column) / 2)
            let line = String(format: "liver hypo at (%.0f, %.0f, %.0f) mm: %.2f mL contrast %.0f local %.0f (t %.0f) enclosure %.2f peak %.1f sd thick %.1f elong %.1f -> %@\n",
                              p.x, p.y, p.z, c.volumeMM3 / 1000, c.contrast, c.localContrast, t, c.enclosure, c.peakSigmas,
                              c.thickness, c.elongation, enclosed(c) && darkEnough(c, threshold: t) ? "kept" : "rejected")
            FileHandle.standardError.write(line.data(using: .utf8)!)
        }
    }

    /// Sets the voxels of `c` in `m` (a mask on the detection grid).
    static func paint(_ c: LesionCandidate, into m: inout Mask) {
        let bd = c.box.dimensions
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                for col in 0..<bd.columns where c.mask[s, r, col] != 0 {
                    m[c.box.lower.slice + s, c.box.lower.row + r, c.box.lower.column + col] = 1
                }
            }
        }
    }

    static func hyperdense(_ f: LiverField) -> [LesionCandidate] {
        let t = Float(hyperThreshold(f)), tl = Float(hypoThreshold(f)), mu = Float(f.median)
        let s = f.smooth
        // Blobs are separated from tubes on a mask at half the threshold (so veins and the IVC
        // stay continuous tubes); the candidate must then be bright enough on average.
        let low = mu + max(12, t / 2)
        var bright = Mask(dimensions: s.dimensions, geometry: s.geometry, repeating: 0)
        for i in 0..<s.voxels.count where s.voxels[i] > low && s.voxels[i] < mu + hyperCeilingHU { bright.voxels[i] = 1 }
        let m = LiverBlobs.blobs(in: bright, image: s)
        let liverLike: (Int) -> Bool = { i in f.liver.voxels[i] != 0 && s.voxels[i] >= mu - tl && s.voxels[i] <= mu + t }
        return components(m, f, hyper: true, minimumMM3: minimumHyperMM3, liverLike: liverLike).filter { c in
            c.contrast >= Double(t) && c.enclosure >= minimumEnclosure && inside(c, f.envelope) >= minimumInsideEnvelope
        }
    }

    /// Largest over smallest principal length, with the variance of one voxel (of the largest
    /// spacing) added to both, so a region one slice thick has a finite, physical elongation.
    static func elongation(_ lengths: SIMD3<Double>, spacing sp: Spacing) -> Double {
        let voxel = pow(max(sp.slice, sp.row, sp.column), 2) / 12
        return ((lengths.x * lengths.x / 16 + voxel) / (lengths.z * lengths.z / 16 + voxel)).squareRoot()
    }

    /// Fraction of a candidate's voxels in `m`.
    static func inside(_ c: LesionCandidate, _ m: Mask) -> Double {
        var n = 0, k = 0
        let bd = c.box.dimensions
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                for col in 0..<bd.columns where c.mask[s, r, col] != 0 {
                    n += 1
                    if m[c.box.lower.slice + s, c.box.lower.row + r, c.box.lower.column + col] != 0 { k += 1 }
                }
            }
        }
        return n > 0 ? Double(k) / Double(n) : 0
    }

    /// Components of `m` of at least `minimumMM3`, with their contrast, enclosure and shape.
    static func components(_ m: Mask, _ f: LiverField, hyper: Bool, minimumMM3: Double,
                           liverLike: (Int) -> Bool) -> [LesionCandidate] {
        let voxelMM3 = m.geometry.spacing.voxelVolume
        let vessel = Float(f.median + hyperThreshold(f))
        let kept = ConnectedComponents.keep(m, minVoxels: max(1, Int(minimumMM3 / voxelMM3)), connectivity: .faces6)
        let (labels, count) = ConnectedComponents.label(kept, connectivity: .faces6)
        guard count > 0 else { return [] }
        let props = Regions.properties(labels: labels, count: count, intensity: f.smooth)
        let sp = m.geometry.spacing, d = m.dimensions
        let margin = SIMD3(Int((4.5 / sp.slice).rounded(.up)) + 1, Int((4.5 / sp.row).rounded(.up)) + 1,
                           Int((4.5 / sp.column).rounded(.up)) + 1)
        return props.compactMap { p -> LesionCandidate? in
            guard p.voxelCount > 0 else { return nil }
            let box = LiverCrop.grow(p.boundingBox, by: margin, within: d)
            let local = LiverCrop.crop(labels, box).map { $0 == p.label ? UInt8(1) : 0 }
            let near = Morphology.dilate(local, radius: 1.5), far = Morphology.dilate(local, radius: 4.5)
            var shell = 0, liver = 0
            var around: [Float] = []
            let bd = box.dimensions
            for s in 0..<bd.slices {
                for r in 0..<bd.rows {
                    for c in 0..<bd.columns {
                        let li = bd.index(s, r, c)
                        guard far.voxels[li] != 0, near.voxels[li] == 0 else { continue }
                        shell += 1
                        let gi = d.index(box.lower.slice + s, box.lower.row + r, box.lower.column + c)
                        if liverLike(gi) { liver += 1 }
                        if f.liver.voxels[gi] != 0 && f.smooth.voxels[gi] <= vessel { around.append(f.smooth.voxels[gi]) }
                    }
                }
            }
            let axes = p.principalAxesLengths
            let peak = hyper ? p.maximum : p.minimum
            let depth = DistanceTransform.euclidean(local).voxels.max() ?? 0
            let step = min(sp.slice, sp.row, sp.column)
            return LesionCandidate(hyperdense: hyper, mask: local, box: box, contrast: p.mean - f.median,
                                   enclosure: shell > 0 ? Double(liver) / Double(shell) : 0, volumeMM3: p.volumeMM3,
                                   elongation: elongation(axes, spacing: sp),
                                   peakSigmas: abs(peak - f.median) / max(1, f.sigma), thickness: 2 * (Double(depth) - step / 2),
                                   localContrast: around.isEmpty ? p.mean - f.median : p.mean - Double(LiverStatistics.median(around)))
        }
    }
}
