import Foundation
import Imaging

/// The DWI half of the MR path: restricted diffusion = low ADC *and* a DWI trace (b ≈ 1000)
/// brighter than the same patient's normal-appearing brain around it. Either sign alone
/// misleads: ADC is low without infarct in iron-rich deep grey matter, at the brain edge and in
/// susceptibility artefacts (whose DWI is dark or normal); DWI is bright without restriction in
/// T2 shine-through (whose ADC is normal or high) and in susceptibility pile-up at the skull
/// base (bilateral). Readers and RAPID read both maps for this reason.
///
/// 1. normal-appearing parenchyma: brain voxels with a tissue ADC (`tissueADC`: not CSF, not
///    background);
/// 2. the local DWI reference: the parenchyma's DWI smoothed over `referenceSigmaMM` (the
///    scale of coil-sensitivity and EPI shading), twice: the second time without the voxels the
///    first marked hyperintense and without the ADC < 620 region, so a large lesion does not
///    raise its own reference;
/// 3. rDWI = lightly smoothed DWI / reference;
/// 4. restricted voxels (the seeds): the RAPID region (ADC < 620) where rDWI shows the
///    brightening its ADC drop implies (`confirmShare`); ADC below `relativeADC` of the normal
///    parenchyma's median where rDWI ≥ `hyperintenseRatio` (small lesions whose ADC partial
///    volume with CSF lifts above 620 but whose DWI is plainly bright); or ADC below
///    `relativeADC` where rDWI is both beyond `seedSDs` of noise and what the ADC drop implies
///    (a cortical or lacunar infarct at ADC 650–750, rDWI 1.3–1.5). Seeds lie outside the ADC
///    map's edge band, where partial volume with the outside fakes low ADC;
/// 5. the lesion's extent (`Growth`): the DWI-hyperintense region (rDWI beyond `growSDs` of
///    noise and at least `visibleRise` above the reference) around the seeds, as readers
///    outline the DWI lesion once the ADC shows it is restricted (ISLES'22, trial core labs):
///    its rim, partial-volumed, is bright but no longer low on the ADC map. Every lesion, dense
///    core or not; the ADC < 620 volume is reported beside it (`InfarctMR`);
/// 6. bilateral-symmetric hyperintensity out (`Mirror`): a voxel whose mirror across the
///    midline is as bright is artefact or a symmetric non-ischaemic process, not an arterial
///    infarct; then 2–6 read again with the lesions found left out of the reference
///    (`lesionEdgeVoxels`);
/// 7. components of at least `minimumML`, holes filled.
enum InfarctDiffusion {
    /// ADC range (10⁻⁶ mm²/s) of brain tissue: above 1500 a voxel is more than about a third CSF
    /// (free water ≈ 3000; (1500 − 800) / (3000 − 800) ≈ 0.32) and cannot be restricted tissue;
    /// below 200 it is background or signal void (even the densest core stays above ≈ 300).
    static let tissueADC: ClosedRange<Float> = 200...1500
    /// The brain-edge band with a DWI, in voxels in-plane (plus the slice rule of
    /// `InfarctBrain.interior`): only the voxel straddling the surface. Partial volume with the
    /// outside lowers the DWI as much as the ADC, so the DWI criterion already rejects the edge;
    /// the ADC map alone needs the wider band (2 mm, 1.5 voxels), which hides cortical infarcts.
    static let edgeVoxels = 1.0
    /// Below this fraction of the parenchyma's median DWI a voxel is not normal parenchyma.
    static let darkFraction = 0.5
    /// σ (mm) of the local DWI reference: receive-coil sensitivity and EPI shading vary over
    /// centimetres, lesions and grey/white contrast over millimetres.
    static let referenceSigmaMM = 15.0
    /// rDWI at which a voxel is left out of the second reference pass at most (1 + 3 robust SD
    /// of normal parenchyma's rDWI on real b1000 traces, ≈ 0.1), and the mirror test's
    /// "hyperintense".
    static let excludeRatio: Float = 1.3
    /// The least rise over the local reference that is DWI hyperintensity, whatever the noise.
    /// Normal-appearing brain on a b1000 trace varies by about ±10 % once coil shading is
    /// removed (grey matter 5–10 % above white matter; the corticospinal tract and the internal
    /// capsule's posterior limb brighter still), so a region 5–9 % bright is normal anatomy, or
    /// the faint white-matter margin of a lesion whose ADC barely fell (700 → 650: exp(0.05)),
    /// which readers do not outline. Two uses: the extent's threshold is at least 1 + this, and
    /// the reference's second pass keeps normal tissue up to it (trimming normal tissue's upper
    /// tail biases the reference low and every voxel near a lesion bright). On real traces
    /// (robust SD ≈ 0.09) the noise rule, ≈ 1.19, lies above it; it binds on high-SNR traces
    /// (the phantom's, SD ≈ 0.02 after the light smoothing, whose extent at 2 SD ≈ 1.04 took the
    /// white-matter margin and, through it, normal grey matter 25 mm away: 25 mL for 6.8).
    static let visibleRise: Float = 0.1
    /// DWI confirmation of the RAPID region. With unchanged T2, tissue whose ADC fell from the
    /// normal parenchyma's ā to a reads brighter on the trace by exp(b · (ā − a)) (b ≈ 1000:
    /// ā 800 → a 600 gives 1.22, → 450 gives 1.42); acute core adds T2 (oedema), so it reads at
    /// least that. Low ADC whose DWI shows less than `confirmShare` of that brightening is not
    /// restricted diffusion: iron-rich deep grey matter (short T2, low fitted ADC), the brain
    /// edge, artefacts. Never below `noiseSDs` robust SDs of normal parenchyma's rDWI, so noise
    /// alone does not confirm.
    static let confirmShare = 0.5
    static let noiseSDs = 1.5
    /// The conventional "DWI hyperintense" ratio to normal-appearing tissue (rDWI > 1.4–1.5 in
    /// semi-automated DWI lesion delineation): with it, a moderate ADC drop suffices.
    static let hyperintenseRatio: Float = 1.5
    /// "ADC below normal" for clearly DWI-bright voxels: below 90 % of the normal parenchyma's
    /// median ADC. T2 shine-through keeps its ADC at or above normal; restricted tissue mixed
    /// with CSF in a small cortical or lacunar lesion reads 650–750 against ≈ 800–870.
    static let relativeADC = 0.9
    /// A seed's rDWI beyond this many robust SDs of normal parenchyma's rDWI (≈ 1.33 on a real
    /// b1000 trace): the one-sided normal tail beyond 3.5 SD is 2 × 10⁻⁴ of voxels, a few dozen
    /// scattered voxels in a brain, which the ADC condition and `Growth.minimumSeeds` reject; a
    /// small infarct at ADC 650–750 reads rDWI 1.3–1.5.
    static let seedSDs = 3.5
    /// The lesion's visible extent: rDWI beyond 2 robust SDs of normal parenchyma (≈ 1.2), the
    /// faintest hyperintensity a reader outlines; kept only connected to seeds.
    static let growSDs = 2.0
    /// Seeds lie at least two in-plane voxels inside the brain in 3D: the voxel
    /// at the surface and its neighbour share their ADC with the outside through partial
    /// volume and the interpolation of the reconstruction.
    static let seedDepthVoxels = 2.0
    /// The second reading's reference leaves out the lesions the first found (after the mirror
    /// test: bilateral hyperintensity is no infarct and stays in) and this many voxels around
    /// them, the partial-volume edge a lesion shares with its neighbours. The first reading's
    /// reference leaves out only voxels beyond `excludeRatio` (at most; 2 SD ≈ 1.19 on a real
    /// trace), so a large, mildly bright lesion (rDWI 1.1–1.2: a territory at ADC 660–690) stays
    /// in it and raises its own reference over the 15 mm kernel by several per cent.
    static let lesionEdgeVoxels = 1.0
    /// Smallest core component, mL: a sphere of ≈ 4.6 mm, the smallest acute DWI lesions (dot
    /// emboli) that the usual 1–2 mm, 3–5 mm-thick DWI resolves; below it a cluster of a few
    /// voxels cannot be told from noise. At least `minimumVoxels` voxels.
    static let minimumML = 0.05
    static let minimumVoxels = 3

    struct Output {
        var core: Mask
        /// rDWI (DWI over the local normal reference) inside the head, 0 elsewhere.
        var ratio: Volume<Float>
        /// Median ADC of the normal-appearing parenchyma.
        var normalADC: Double
        /// Voxels dropped as bilateral-symmetric hyperintensity.
        var symmetricVoxels: Int
        /// Why the mirror test was not done (oblique beyond 45° to left–right), if it was not.
        var mirrorSkipped: String?
        var notes: [String]
    }

    /// The restricted-diffusion core. `dwi` is on `adc`'s grid (0 where it has no data); `rapid`
    /// is the ADC < 620 region's smoothed map (`InfarctThreshold.Output.smoothed`), `light` the
    /// lightly smoothed ADC.
    /// `interior` is the brain without the voxel at its edge (where DWI is read), `seedInterior`
    /// without the ADC map's wider edge band (where the ADC is trusted).
    static func core(adc: Volume<Float>, light: Volume<Float>, rapid: Volume<Float>, dwi: Volume<Float>,
                     bValue: Double, head: Mask, interior: Mask, seedInterior: Mask, sigmaLight: Double) -> Output {
        let n = adc.voxels.count
        var parenchyma = head
        for i in 0..<n where head.voxels[i] != 0 && (!tissueADC.contains(light.voxels[i]) || dwi.voxels[i] <= 0) {
            parenchyma.voxels[i] = 0
        }
        // Brain parenchyma on a b1000 trace is within about ±30 % of its median (grey/white
        // contrast, coil shading); darker than `darkFraction` of it is not parenchyma but CSF
        // partial volume, skull, fat-suppressed scalp or signal dropout, which would pull the
        // reference down (an unstripped head's scalp beside the cortex, a sinus' dropout).
        var tissueDWI: [Float] = []
        for i in 0..<n where parenchyma.voxels[i] != 0 { tissueDWI.append(dwi.voxels[i]) }
        if !tissueDWI.isEmpty {
            tissueDWI.sort()
            let dark = Float(darkFraction) * tissueDWI[tissueDWI.count / 2]
            for i in 0..<n where parenchyma.voxels[i] != 0 && dwi.voxels[i] < dark { parenchyma.voxels[i] = 0 }
        }
        let dwiLight = InfarctBrain.smooth(dwi, within: head, sigmaInPlane: sigmaLight, sigmaSlice: 0)
        func ratio(over normal: Mask) -> Volume<Float> {
            let ref = reference(dwi, normal: normal)
            var r = dwiLight
            for i in 0..<n { r.voxels[i] = head.voxels[i] != 0 && ref.voxels[i] > 0 ? dwiLight.voxels[i] / ref.voxels[i] : 0 }
            return r
        }
        var r = ratio(over: parenchyma)
        // Normal-appearing: neither hyperintense nor in the ADC < 620 region (a large core's outer
        // part, only mildly bright, would otherwise raise the reference of the core itself).
        // Hyperintense here is what the lesion's extent takes (`growSDs`), at most `excludeRatio`:
        // a large, mildly restricted territory (rDWI 1.2–1.3) must not raise its own reference.
        var first: [Float] = []
        for i in 0..<n where parenchyma.voxels[i] != 0 { first.append(r.voxels[i]) }
        let visible = 1 + visibleRise
        let exclude = min(excludeRatio, max(visible, Float(1 + growSDs * robustSD(&first))))
        let t620 = Float(InfarctCore.adcThreshold)
        var normal = parenchyma
        for i in 0..<n where r.voxels[i] >= exclude || rapid.voxels[i] < t620 || light.voxels[i] < t620 {
            normal.voxels[i] = 0
        }
        r = ratio(over: normal)
        var values: [Float] = []
        for i in 0..<n where normal.voxels[i] != 0 { values.append(light.voxels[i]) }
        values.sort()
        let normalADC = values.isEmpty ? 800 : Double(values[values.count / 2])
        let relative = Float(relativeADC * normalADC)
        var ratios: [Float] = []
        for i in 0..<n where normal.voxels[i] != 0 { ratios.append(r.voxels[i]) }
        let spread = robustSD(&ratios)
        let floor = Float(1 + noiseSDs * spread)
        func confirm(_ a: Float) -> Float {
            let implied = exp(bValue * max(0, normalADC - Double(a)) * 1e-6)
            return max(floor, Float(1 + confirmShare * (implied - 1)))
        }
        // Depth below the brain's surface in 3D: the edge band and the slice rule catch surfaces
        // across and along the slices, not the oblique ones (the inferior cerebellum, the
        // temporal poles), where a slice cuts the surface at a slant.
        let depth = DistanceTransform.euclidean(head)
        let seedDepth = Float(seedDepthVoxels * max(adc.spacing.row, adc.spacing.column))
        let seedRatio = Float(1 + seedSDs * spread), growRatio = max(visible, Float(1 + growSDs * spread))
        /// Seeds and bright voxels on the ratio `r`, grown, bilateral hyperintensity out.
        func lesions(_ r: Volume<Float>) -> (mask: Mask, mirror: (symmetric: Mask, count: Int, skipped: String?)) {
            var seeds = Mask(dimensions: adc.dimensions, geometry: adc.geometry, repeating: 0), bright = seeds
            for i in 0..<n where interior.voxels[i] != 0 && dwi.voxels[i] > 0 && light.voxels[i] >= tissueADC.lowerBound {
                let q = r.voxels[i], a = light.voxels[i]
                // Tissue on the raw map as well: a voxel mostly CSF is no infarct, whatever its neighbours.
                let tissue = a <= tissueADC.upperBound && adc.voxels[i] <= tissueADC.upperBound
                if tissue && q >= growRatio { bright.voxels[i] = 1 }
                guard seedInterior.voxels[i] != 0 && depth.voxels[i] >= seedDepth else { continue }
                let classic = (rapid.voxels[i] < t620 && q >= confirm(a)) || (a < relative && q >= hyperintenseRatio)
                if classic || (tissue && a < relative && q >= max(seedRatio, confirm(a))) {
                    seeds.voxels[i] = 1
                    bright.voxels[i] = 1
                }
            }
            var m = Growth.grow(seeds: seeds, within: bright)
            let mirror = Mirror.symmetric(m, ratio: r, head: head, bright: excludeRatio)
            for i in 0..<n where mirror.symmetric.voxels[i] != 0 { m.voxels[i] = 0 }
            return (m, mirror)
        }
        var (m, mirror) = lesions(r)
        // The lesions found are not normal-appearing tissue: read again with them and their
        // partial-volume edge (`lesionEdgeVoxels`) out of the reference.
        if m.voxels.contains(where: { $0 != 0 }) {
            let edge = Morphology.dilate(m, radius: lesionEdgeVoxels * max(adc.spacing.row, adc.spacing.column))
            var lesionFree = normal
            for i in 0..<n where edge.voxels[i] != 0 { lesionFree.voxels[i] = 0 }
            r = ratio(over: lesionFree)
            (m, mirror) = lesions(r)
        }
        let voxelML = adc.spacing.voxelVolume / 1000
        let minVoxels = max(minimumVoxels, Int((minimumML / voxelML).rounded(.up)))
        let core = HoleFilling.fill3D(ConnectedComponents.keep(m, minVoxels: minVoxels))
        let notes = ["core = restricted diffusion: seeded where ADC < \(Int(t620)) with DWI brighter than the local normal-appearing brain by "
                     + "at least \(Int(confirmShare * 100)) % of what the ADC drop implies at b = \(Int(bValue)) "
                     + "(and ≥ \(InfarctCore.fmt(Double(floor), 2))×, \(noiseSDs) robust SD), or where ADC < \(Int(relative.rounded())) "
                     + "(\(Int(relativeADC * 100)) % of the normal parenchyma's median \(Int(normalADC.rounded()))) with DWI ≥ "
                     + "\(InfarctCore.fmt(Double(seedRatio), 2))× (\(seedSDs) robust SD) and as bright as the ADC drop implies; "
                     + "outlined over the DWI-hyperintense tissue around the seeds (≥ \(InfarctCore.fmt(Double(growRatio), 2))×: "
                     + "\(growSDs) robust SD, at least +\(Int((visibleRise * 100).rounded())) %; the whole DWI lesion, as experts outline it); CSF (ADC > \(Int(tissueADC.upperBound))) and the voxel at the brain's edge out, "
                     + "no seed in the ADC map's edge band; components < \(minimumML) mL dropped"]
        return Output(core: core, ratio: r, normalADC: normalADC, symmetricVoxels: mirror.count, mirrorSkipped: mirror.skipped,
                      notes: notes)
    }

    /// 1.4826 × the median absolute deviation (the SD of a normal distribution); reorders `x`.
    static func robustSD(_ x: inout [Float]) -> Double {
        guard !x.isEmpty else { return 0 }
        x.sort()
        let median = x[x.count / 2]
        var dev = x.map { abs($0 - median) }
        dev.sort()
        return 1.4826 * Double(dev[dev.count / 2])
    }

    /// The normal tissue's DWI around every voxel: the normalised convolution
    /// smooth(DWI · normal) / smooth(normal) with σ = `referenceSigmaMM`, read everywhere (lesion
    /// and CSF included). Computed on a grid of about σ/4 (block means), where a 15 mm Gaussian
    /// loses nothing, and interpolated back: a 15 mm kernel on a 0.9 mm grid is 130 voxels wide.
    static func reference(_ dwi: Volume<Float>, normal: Mask) -> Volume<Float> {
        let sp = dwi.spacing, step = referenceSigmaMM / 4
        let f = SIMD3(max(1, Int(step / sp.slice)), max(1, Int(step / sp.row)), max(1, Int(step / sp.column)))
        var masked = dwi, weight = dwi
        for i in 0..<dwi.voxels.count {
            masked.voxels[i] = normal.voxels[i] != 0 ? dwi.voxels[i] : 0
            weight.voxels[i] = normal.voxels[i] != 0 ? 1 : 0
        }
        let s = referenceSigmaMM
        let num = Gaussian.smooth(BlockMean.downsample(masked, factor: f, remainder: .partialBlocks), sigma: s)
        let den = Gaussian.smooth(BlockMean.downsample(weight, factor: f, remainder: .partialBlocks), sigma: s)
        var coarse = num
        for i in 0..<coarse.voxels.count { coarse.voxels[i] = den.voxels[i] > 1e-6 ? num.voxels[i] / den.voxels[i] : 0 }
        // Back onto the grid; past the outer coarse voxel centres (half a block at the volume's
        // border) the nearest coarse voxel.
        var ref = Resample.trilinear(coarse, to: dwi.geometry, dimensions: dwi.dimensions, outside: -1)
        let d = dwi.dimensions, cd = coarse.dimensions
        for s in 0..<d.slices { for r in 0..<d.rows { for c in 0..<d.columns where ref.voxels[d.index(s, r, c)] < 0 {
            let cs = min(cd.slices - 1, s / f.x), cr = min(cd.rows - 1, r / f.y), cc = min(cd.columns - 1, c / f.z)
            ref.voxels[d.index(s, r, c)] = coarse.voxels[cd.index(cs, cr, cc)]
        } } }
        return ref
    }
}
