import Foundation
import Imaging

/// The infarct phantom's DWI trace (b = 1000 s/mm²), rendered from its noise-free ADC map and
/// tissue fractions: S = S0 · exp(−b · ADC), the signal equation of a trace-weighted image.
///
/// - S0 (the b = 0, T2-weighted signal at a stroke protocol's TE ≈ 80–100 ms), relative to
///   white matter: grey matter 1.1–1.2, CSF 2.2–2.8 (long T2), mixed by the voxel's tissue
///   fractions (so the brain edge fades to 0 with partial volume);
/// - the core's T2 rises (cytotoxic, then vasogenic oedema): S0 × (1 + gain), gain 0.1–0.3,
///   in proportion to how far the voxel's ADC has fallen from its tissue's normal value towards
///   the core's (so the rim, whose ADC falls little, brightens little);
/// - white matter's b1000 signal 200–300 (arbitrary scanner units), Gaussian noise of SD 3–5 %
///   of it (magnitude noise far above the floor is nearly Gaussian), values clamped at 0.
///
/// Core rDWI comes out ≈ exp(1000 · (750 − 450) · 10⁻⁶) · 1.2 ≈ 1.6, as acute infarcts read
/// (1.4–2.5 in the literature); CSF at b1000 reads ≈ 0.1–0.15 of white matter.
struct InfarctDWI {
    var s0Grey: Double
    var s0CSF: Double
    var gain: Double
    var whiteSignal: Double
    var noiseFraction: Double
    static let b = 1000.0

    init(_ g: inout SplitMix64) {
        s0Grey = g.uniform(1.1...1.2)
        s0CSF = g.uniform(2.2...2.8)
        gain = g.uniform(0.1...0.3)
        whiteSignal = g.uniform(200...300)
        noiseFraction = g.uniform(0.03...0.05)
    }

    /// Noise-free DWI from the noise-free ADC (`adc`), the tissue fractions, the tissues' normal
    /// ADC values and the core's deepest ADC (`coreADC`).
    func render(adc: [Float], weights w: (csf: [Float], grey: [Float], white: [Float]),
                normal: (csf: Double, grey: Double, white: Double), coreADC: Double) -> [Float] {
        // Scaled so that normal white matter reads `whiteSignal`.
        let scale = whiteSignal / exp(-Self.b * normal.white * 1e-6)
        var out = [Float](repeating: 0, count: adc.count)
        for i in 0..<adc.count {
            let (wc, wg, ww) = (Double(w.csf[i]), Double(w.grey[i]), Double(w.white[i]))
            let tissue = wg + ww
            // Each compartment contributes S0 · exp(−b · its ADC), weighted by its fraction (the
            // rest of the voxel, outside the head, gives no signal).
            var s = wc * s0CSF * exp(-Self.b * normal.csf * 1e-6)
            if tissue > 0 {
                let tissueBase = (wg * normal.grey + ww * normal.white) / tissue
                let tissueADC = max(0, (Double(adc[i]) - wc * normal.csf) / tissue)
                // How far the tissue's ADC has fallen towards the core's.
                let fall = min(1, max(0, (tissueBase - tissueADC) / max(1, tissueBase - coreADC)))
                let s0 = (wg * s0Grey + ww) / tissue * (1 + gain * fall)
                s += tissue * s0 * exp(-Self.b * tissueADC * 1e-6)
            }
            out[i] = Float(scale * s)
        }
        return out
    }
}
