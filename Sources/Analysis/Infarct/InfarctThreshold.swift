import Foundation
import Imaging

/// Thresholding a noisy map at a fixed clinical threshold (ADC 620, rCBF 30 %, Tmax 6 s)
/// without moving the boundary:
///
/// 1. light smoothing (σ1, in-plane, inside the head; with a `tissue` mask, tissue voxels are
///    averaged over tissue only, so CSF next to them does not pull their values) and a
///    preliminary region;
/// 2. the contrast just outside it: the 25th percentile of the map in the in-plane shell
///    1–3 mm outside, minus the threshold;
/// 3. values clamped to threshold ± that contrast (clamped to `clipRange`), so what lies
///    beyond the boundary on either side weighs the same and a deep core (or bright tissue)
///    cannot pull the boundary;
/// 4. "twicing" smoothing 2·G(σ2) − G(√2·σ2) (in-plane, plus `sigmaSlice` across slices),
///    which averages noise like a Gaussian but keeps curved boundaries in place to second
///    order (a plain Gaussian shrinks a convex region by about σ²/2R);
/// 5. the final region: smoothed value beyond the threshold, inside `allowed`, components of
///    at least `minimumML`, holes filled.
enum InfarctThreshold {
    struct Parameters: Sendable {
        var sigma1: Double
        var sigma2: Double
        var sigmaSlice: Double
        /// Allowed clamp half-width, in the map's units.
        var clipRange: ClosedRange<Float>
        var minimumML: Double
    }

    struct Output {
        var region: Mask
        /// The map as finally thresholded (sign-flipped back for `below == false`).
        var smoothed: Volume<Float>
        /// The map after step 1 only (light smoothing, no clamp; sign-flipped back): how far
        /// each voxel really is from the threshold.
        var light: Volume<Float>
        /// The clamp half-width used.
        var clip: Float
    }

    /// The region where `v` is below (or above, `below == false`) `threshold`. `tissue` (within
    /// `head`), when given, is where the light smoothing leaves out the rest of the head (CSF).
    static func segment(_ v: Volume<Float>, head: Mask, allowed: Mask, threshold: Float, below: Bool,
                        _ p: Parameters, tissue: Mask? = nil) -> Output {
        let sign: Float = below ? 1 : -1
        let x = below ? v : v.map { -$0 }
        let t = sign * threshold
        var s1 = InfarctBrain.smooth(x, within: head, sigmaInPlane: p.sigma1, sigmaSlice: 0)
        if let tissue {
            // The threshold is about the tissue's own value: a tissue voxel beside CSF (whose value
            // lies far beyond the threshold, e.g. Tmax 0 s) would otherwise be pulled across it.
            // The CSF voxels keep the head-wide average, so later stages still see them as outside.
            let st = InfarctBrain.smooth(x, within: tissue, sigmaInPlane: p.sigma1, sigmaSlice: 0)
            for i in 0..<s1.voxels.count where tissue.voxels[i] != 0 { s1.voxels[i] = st.voxels[i] }
        }
        let pre = InfarctBrain.cleaned(region(s1, t, allowed), minML: p.minimumML)
        let contrast = InfarctBrain.outsideContrast(s1, region: pre, mask: allowed, threshold: t, inner: 1, outer: 3,
                                                    quantile: 0.25) ?? p.clipRange.upperBound
        let clip = min(p.clipRange.upperBound, max(p.clipRange.lowerBound, contrast))
        let clamped = s1.map { min(t + clip, max(t - clip, $0)) }
        let r2 = 2.0.squareRoot()
        let a = InfarctBrain.smooth(clamped, within: head, sigmaInPlane: p.sigma2, sigmaSlice: p.sigmaSlice)
        let b = InfarctBrain.smooth(clamped, within: head, sigmaInPlane: p.sigma2 * r2, sigmaSlice: p.sigmaSlice * r2)
        var s2 = a
        for i in 0..<s2.voxels.count { s2.voxels[i] = 2 * a.voxels[i] - b.voxels[i] }
        let final = InfarctBrain.cleaned(region(s2, t, allowed), minML: p.minimumML)
        var light = s1
        if !below {
            for i in 0..<s2.voxels.count { s2.voxels[i] = -s2.voxels[i] }
            for i in 0..<light.voxels.count { light.voxels[i] = -light.voxels[i] }
        }
        return Output(region: final, smoothed: s2, light: light, clip: clip)
    }

    /// Voxels of `allowed` where `v` < `t`.
    static func region(_ v: Volume<Float>, _ t: Float, _ allowed: Mask) -> Mask {
        var m = Mask(dimensions: v.dimensions, geometry: v.geometry, repeating: 0)
        for i in 0..<m.voxels.count where allowed.voxels[i] != 0 && v.voxels[i] < t { m.voxels[i] = 1 }
        return m
    }
}
