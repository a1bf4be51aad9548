import Foundation
import Imaging

/// The infarct core analyzer (DESIGN §8). Two inputs are understood:
/// - an MR ADC map (role `.adc`, 10⁻⁶ mm²/s) with its DWI trace (role `.dwi`, b ≈ 1000):
///   core = restricted diffusion, low ADC *and* DWI brighter than the patient's normal brain
///   (`InfarctDiffusion`), with the RAPID-style ADC < 620 volume beside it; the ADC map alone:
///   core = ADC < 620 within the brain, away from the brain-edge band where partial volume
///   with the outside fakes low values (lower confidence). A DWI trace alone is refused;
/// - CT perfusion rCBF and Tmax maps on one grid (roles `.rcbf`, `.tmax`): core = rCBF < 30 %
///   of the contralateral hemisphere's mean within the hypoperfused region, hypoperfusion =
///   Tmax > 6 s; per case the core, hypoperfusion and mismatch volumes and the mismatch ratio.
///
/// Anything else is refused with the reason. See `InfarctMR` and `InfarctCTP` for the stages.
public struct InfarctCore: Analyzer {
    /// `.infarct`.
    public static let kind = AnalyzerKind.infarct
    /// Goes into result UIDs and the SEG's algorithm version.
    public static let version = "1.5.0"

    /// ADC core threshold, 10⁻⁶ mm²/s.
    public static let adcThreshold = 620.0
    /// CTP core threshold: fraction of the contralateral hemisphere's mean rCBF.
    public static let rcbfFraction = 0.3
    /// The b-values (s/mm²) of a DWI trace the core is read on: b ≈ 1000 is the stroke
    /// protocols' standard (RAPID's ADC < 620 assumes ADC from b 0/1000); 500–1500 covers the
    /// b 800–1400 traces some sites use. Below it the image is mostly T2 (b0, b50), so "bright"
    /// would not mean restricted diffusion; above it the contrast differs from what the
    /// thresholds assume.
    public static let dwiBValues: ClosedRange<Double> = 500...1500
    /// ImageType value that marks an ADC map AutoSeg computed itself from a DWI series' b0 and
    /// b1000 images (no ADC map was sent): said in the notes.
    public static let computedADCMarker = "AUTOSEG_COMPUTED_ADC"
    /// Hypoperfusion threshold, seconds.
    public static let tmaxThreshold = 6.0

    /// The analyzer with its fixed parameters.
    public init() {}

    /// Routes the input to the MR or CT perfusion path, or refuses it.
    public func analyze(_ input: AnalysisInput) throws(AnalysisError) -> AnalysisResult {
        if let adc = input.series(.adc) {
            try Self.check(adc, modality: "MR", what: "an ADC map")
            var volume = adc.volume
            let median = Self.positiveMedian(volume)
            var notes: [String] = []
            if adc.info.imageType.contains(Self.computedADCMarker) {
                notes.append("no ADC map was sent: the ADC was computed from the DWI series' low-b and b ≈ 1000 images "
                             + "(ln(S_low / S_b) / Δb); a scanner's map may use more b-values or another fit")
            }
            if median > 1e-4 && median < 1e-2 {
                for i in 0..<volume.voxels.count { volume.voxels[i] *= 1e6 }
                notes.append("ADC values were in mm²/s (median \(median)); scaled to 10⁻⁶ mm²/s")
            } else if !(150...5000).contains(median) {
                throw .refused("ADC values do not look like 10⁻⁶ mm²/s (median of the positive voxels \(Self.fmt(median)))")
            }
            var dwi: Volume<Float>?
            let bValue = input.series(.dwi)?.info.diffusionBValue
            if let trace = input.series(.dwi) {
                let (onGrid, why) = try InfarctDWIInput.onADCGrid(trace, adc: adc)
                dwi = onGrid
                notes += why
            } else {
                notes.append("no DWI trace: core from the ADC map alone (ADC < 620), lower confidence; "
                             + "send the study's DWI trace (b ≈ 1000) for restricted diffusion proper")
            }
            return try InfarctMR.run(volume, dwi: dwi, bValue: bValue, info: adc.info, notes: notes)
        }
        let rcbf = input.series(.rcbf), tmax = input.series(.tmax)
        guard rcbf != nil || tmax != nil else {
            if input.series(.dwi) != nil {
                throw .refused("a DWI trace alone is not read: restricted diffusion needs the ADC map of the same study, "
                               + "or b0 images in the DWI series to compute it from (bright DWI with a normal ADC is T2 "
                               + "shine-through, not infarct)")
            }
            let got = input.series.map { "\($0.info.modality.isEmpty ? "?" : $0.info.modality) \($0.role.rawValue)" }
            throw .refused("needs an ADC map, or CT perfusion rCBF and Tmax maps; got \(got.isEmpty ? "nothing" : got.joined(separator: ", "))")
        }
        guard let rcbf, let tmax else {
            throw .refused("CT perfusion needs both rCBF and Tmax maps; the \(rcbf == nil ? "rCBF" : "Tmax") map is missing")
        }
        try Self.check(rcbf, modality: "CT", what: "a CT perfusion rCBF map")
        try Self.check(tmax, modality: "CT", what: "a CT perfusion Tmax map")
        guard Self.sameGrid(rcbf.volume, tmax.volume) else {
            throw .refused("rCBF and Tmax maps are on different grids (\(rcbf.volume.dimensions) vs \(tmax.volume.dimensions), "
                           + "spacing or position differ)")
        }
        let tmaxMedian = Self.positiveMedian(tmax.volume)
        guard tmaxMedian < 60 else {
            throw .refused("Tmax values do not look like seconds (median of the positive voxels \(Self.fmt(tmaxMedian)))")
        }
        return try InfarctCTP.run(rcbf: rcbf.volume, tmax: tmax.volume, info: rcbf.info)
    }

    /// Modality, body part and grid checks common to every input map.
    static func check(_ s: InputSeries, modality: String, what: String) throws(AnalysisError) {
        let m = s.info.modality.uppercased()
        guard m.isEmpty || m == modality else {
            throw .refused("\(what) must be \(modality); this series is \(m)")
        }
        let body = s.info.bodyPart.uppercased()
        guard body.isEmpty || ["BRAIN", "HEAD", "SKULL", "CEREB", "NEURO"].contains(where: { body.contains($0) }) else {
            throw .refused("\(what) must show the brain; body part is \(body)")
        }
        let d = s.volume.dimensions
        guard d.slices >= 3, d.rows >= 32, d.columns >= 32 else {
            throw .refused("\(what) is too small a volume (\(d)); needs at least 3 slices of 32 × 32")
        }
        guard s.volume.spacing.slice <= 10 else {
            throw .refused("slices \(fmt(s.volume.spacing.slice)) mm apart are too thick (at most 10 mm)")
        }
    }

    /// Whether two volumes share dimensions and (to 0.01 mm / 1e-4) geometry.
    static func sameGrid(_ a: Volume<Float>, _ b: Volume<Float>) -> Bool {
        let g = a.geometry, h = b.geometry
        func close(_ u: SIMD3<Double>, _ v: SIMD3<Double>, _ tol: Double) -> Bool { ((u - v) * (u - v)).sum() <= tol * tol }
        return a.dimensions == b.dimensions && close(g.origin, h.origin, 0.01)
            && abs(g.spacing.slice - h.spacing.slice) < 1e-3 && abs(g.spacing.row - h.spacing.row) < 1e-3
            && abs(g.spacing.column - h.spacing.column) < 1e-3 && close(g.columnDirection, h.columnDirection, 1e-4)
            && close(g.rowDirection, h.rowDirection, 1e-4) && close(g.sliceDirection, h.sliceDirection, 1e-4)
    }

    /// Median of the positive voxels (0 when there are none), from a strided sample.
    static func positiveMedian(_ v: Volume<Float>) -> Double {
        let stride = max(1, v.voxels.count / 200_000)
        var p: [Float] = []
        var i = 0
        while i < v.voxels.count {
            if v.voxels[i] > 0 { p.append(v.voxels[i]) }
            i += stride
        }
        guard !p.isEmpty else { return 0 }
        p.sort()
        return Double(p[p.count / 2])
    }

    static func fmt(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
}
