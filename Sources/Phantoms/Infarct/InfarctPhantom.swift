import Analysis
import Foundation
import Imaging

/// Synthetic acute stroke cases for the infarct analyzer: one brain on one grid seen as an MR
/// ADC map with its DWI trace (b = 1000, `InfarctDWI`) and as CT perfusion rCBF and Tmax maps,
/// with the same truth core in all. Series order: ADC, rCBF, Tmax, DWI.
///
/// - Grid: axial LPS (columns along +x = patient left, rows along +y = posterior, slice 0 most
///   inferior), centred on the origin. In-plane: `size` × `size` over a 220–240 mm field of
///   view (seed), so 0.9 mm at 256. Slice spacing: 2–5 mm (seed) at `size` ≥ 256; below 256 it
///   is scaled by 256 / `size` (to keep voxels roughly proportioned) and clamped to ≤ 5 mm.
///   Slices cover the whole brain (about 26–70).
/// - Anatomy (`BrainAnatomy`): CSF ≈ 3000 ×10⁻⁶ mm²/s around the brain, in the ventricles and
///   the fissure; grey matter ≈ 800, white matter ≈ 700; 0 outside the head (so partial volume
///   at the edge gives values below 620 that are not infarct).
/// - Lesion (`InfarctLesion`): core 350–560 with a 640–700 rim (the hard boundary), core
///   volume ≈ 1.5–100 mL, in one hemisphere (seed); rCBF 6–18 % of the contralateral mean in
///   the core, 65–85 % of normal in the penumbra; Tmax 7–14 s in the hypoperfused region, a
///   4–5 s transition zone around it, 0.8–1.4 s elsewhere, 0 in CSF.
/// - Noise: ADC SD 30–60 (mildly correlated), rCBF SD 3–5 and Tmax SD 0.4–0.8 s (correlated
///   over 1.2 mm, as perfusion maps are smoothed); values clamped at 0.
/// - Truth: label 1 = core (the ADC < 620 region by default; the whole DWI lesion with
///   `truth: .dwiLesion`, `InfarctDWITruth`), 2 = hypoperfused (Tmax > 6 s) but not core, each where the voxel is
///   more than half inside (by the render's samples; a tie by their mean signed distance, not
///   "outside", which biased coarse grids by 1–4 % of the Tmax volume); `caseVolumesML` "core",
///   "tmax" (labels 1 ∪ 2), "mismatch". `make(…, lesion: false)` renders the same brain without
///   the lesion (no labels).
public enum InfarctPhantom {
    /// What label 1 (the lesion judged) is.
    public enum Truth: Sendable {
        /// The ADC < 620 core (RAPID convention): what the ADC map alone and CT perfusion are
        /// judged on.
        case adcCore
        /// The whole DWI lesion (ISLES convention, `InfarctDWITruth`): the core plus its
        /// visibly DWI-bright rim; what the ADC map read with its DWI trace is judged on.
        case dwiLesion
    }

    /// The phantom for `seed` on a `size` × `size` in-plane matrix (≥ 32). With `lesion` false
    /// the same brain, maps and noise without the lesion: no labels, no truth lesion, volumes 0.
    /// `truth` chooses label 1's convention; the images are the same either way.
    public static func make(seed: UInt64, size: Int = 256, lesion: Bool = true, truth: Truth = .adcCore) -> Phantom {
        build(seed: seed, size: size, lesion: lesion, truth: truth).phantom
    }

    /// The phantom and its noise-free maps (ADC, rCBF, Tmax) before noise.
    static func build(seed: UInt64, size: Int, lesion withLesion: Bool = true, truth: Truth = .adcCore)
        -> (phantom: Phantom, clean: (adc: [Float], flow: [Float], tmax: [Float]))
    {
        precondition(size >= 32, "size must be at least 32")
        let root = SplitMix64(state: seed)
        var g = root.derived(1)
        let fov = g.uniform(220...240)
        let sliceSpacing = min(5, g.uniform(2...5) * max(1, 256 / Double(size)))
        var ra = root.derived(2)
        let anatomy = BrainAnatomy(&ra)
        var rl = root.derived(3)
        let lesion = withLesion ? InfarctLesion(&rl, anatomy: anatomy) : nil
        var rv = root.derived(4)
        let adcValues = (csf: rv.uniform(2900...3200), grey: rv.uniform(780...830), white: rv.uniform(680...730))
        let flowValues = (csf: rv.uniform(2...4), grey: rv.uniform(55...65), white: rv.uniform(22...28))
        let tmaxValues = (csf: 0.0, grey: rv.uniform(0.6...1.0), white: rv.uniform(1.2...1.6))
        let noise = (adc: rv.uniform(30...60), flow: rv.uniform(2...4), tmax: rv.uniform(0.4...0.8))

        let ps = fov / Double(size)
        let top = max(abs(anatomy.center.z - anatomy.radiusInferior), anatomy.center.z + anatomy.radiusSuperior) + 4
        let slices = Int((2 * top / sliceSpacing).rounded(.up)) + 1
        let dims = Dimensions(slices: slices, rows: size, columns: size)
        let half = Double(size - 1) / 2 * ps
        let geometry = Geometry(origin: [-half, -half, -Double(slices - 1) / 2 * sliceSpacing],
                                spacing: Spacing(slice: sliceSpacing, row: ps, column: ps))

        let w = BrainRaster.fractions(anatomy, dimensions: dims, geometry: geometry)
        let render = InfarctRender(anatomy: anatomy, lesion: lesion, dimensions: dims, geometry: geometry, weights: w)
        let clean = render.render(adc: adcValues, flow: flowValues, tmax: tmaxValues)
        let adc = render.noisy(clean.adc, sd: noise.adc, correlationMM: 0.5, seed: root.derived(5).state)
        let flow = render.noisy(clean.flow, sd: noise.flow, correlationMM: 1.5, seed: root.derived(6).state)
        let tmax = render.noisy(clean.tmax, sd: noise.tmax, correlationMM: 1.5, seed: root.derived(7).state)
        var labels = Volume(dimensions: dims, geometry: geometry, voxels: clean.labels)
        var rd = root.derived(8)
        let trace = InfarctDWI(&rd)
        // The core's deep ADC (350–560, `InfarctLesion`): its middle is where the T2 gain is full.
        let cleanDWI = trace.render(adc: clean.adc, weights: w, normal: adcValues, coreADC: 455)
        let tmaxTruth = labels.voxels.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        if truth == .dwiLesion && lesion != nil {
            var normalADC = clean.adc
            for i in 0..<normalADC.count {
                normalADC[i] = Float(Double(w.csf[i]) * adcValues.csf + Double(w.grey[i]) * adcValues.grey
                                     + Double(w.white[i]) * adcValues.white)
            }
            let normalDWI = trace.render(adc: normalADC, weights: w, normal: adcValues, coreADC: 455)
            labels = InfarctDWITruth.labels(labels, lesionDWI: cleanDWI, normalDWI: normalDWI)
        }
        let dwi = render.noisy(cleanDWI, sd: trace.noiseFraction * trace.whiteSignal, correlationMM: 0.5,
                               seed: root.derived(9).state)

        let voxelML = geometry.spacing.voxelVolume / 1000
        let coreCount = labels.voxels.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
        // The hypoperfused volume is that of the rendered Tmax, whatever label 1's convention.
        let tmaxCount = tmaxTruth
        let site = (lesion?.side ?? 0) > 0 ? "left hemisphere" : "right hemisphere"
        var lesions: [TruthLesion] = []
        if let p = Regions.properties(mask: labels.map { $0 == 1 ? 1 : 0 }) {
            let axes = p.principalAxesLengths
            lesions.append(TruthLesion(label: 1, type: "core", centerMM: [p.centroid.x, p.centroid.y, p.centroid.z],
                                       diametersMM: [axes.x, axes.y, axes.z],
                                       diameterMM: pow(6 * p.volumeMM3 / Double.pi, 1.0 / 3), volumeML: p.volumeML,
                                       target: true, site: site))
        }
        let volumes = ["core": Double(coreCount) * voxelML, "tmax": Double(tmaxCount) * voxelML,
                       "mismatch": Double(tmaxCount - coreCount) * voxelML]
        func info(_ modality: String, _ body: String, _ description: String, _ type: [String], _ units: String) -> SeriesInfo {
            SeriesInfo(modality: modality, bodyPart: body, seriesDescription: description, sliceThicknessMM: sliceSpacing,
                       imageType: type, units: units)
        }
        var dwiInfo = info("MR", "BRAIN", "DWI b1000 TRACEW", ["DERIVED", "PRIMARY", "DIFFUSION", "TRACEW"], "")
        dwiInfo.diffusionBValue = InfarctDWI.b
        let series = [
            PhantomSeries(role: .adc, info: info("MR", "BRAIN", "ADC", ["DERIVED", "PRIMARY", "ADC"], "10-6 mm2/s"), volume: adc),
            PhantomSeries(role: .rcbf, info: info("CT", "HEAD", "CTP rCBF", ["DERIVED", "SECONDARY", "PERFUSION"], "mL/100g/min"),
                          volume: flow),
            PhantomSeries(role: .tmax, info: info("CT", "HEAD", "CTP Tmax", ["DERIVED", "SECONDARY", "PERFUSION"], "s"), volume: tmax),
            PhantomSeries(role: .dwi, info: dwiInfo, volume: dwi),
        ]
        let name = lesion != nil ? "Infarct phantom \(seed) (\(site) core \(String(format: "%.1f", volumes["core"]!)) mL)"
            : "Infarct phantom \(seed) without lesion"
        return (Phantom(kind: .infarct, seed: seed, series: series, labels: labels, lesions: lesions, caseVolumesML: volumes,
                        name: name), (clean.adc, clean.flow, clean.tmax))
    }
}
