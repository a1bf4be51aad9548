import Foundation

extension Objectness {
    /// Frangi vesselness (A. F. Frangi et al., "Multiscale vessel enhancement filtering",
    /// MICCAI 1998, LNCS 1496:130–137). With |λ1| ≤ |λ2| ≤ |λ3| of the σ²-normalised Hessian,
    /// R_A = |λ2|/|λ3|, R_B = |λ1|/√|λ2λ3|, S = √(λ1² + λ2² + λ3²):
    ///
    ///     V = (1 − exp(−R_A²/2α²)) · exp(−R_B²/2β²) · (1 − exp(−S²/2c²))
    ///
    /// and V = 0 when λ2 > 0 or λ3 > 0 for bright tubes (`brightObjects`), when λ2 < 0 or
    /// λ3 < 0 for dark ones; V = 0 where λ2 or λ3 is 0. Multi-scale: maximum over `sigmas`
    /// (mm). `c` defaults to half the largest Hessian norm S of each scale (Frangi's
    /// suggestion, computed per scale from the normalised Hessian); a scale whose Hessian is
    /// 0 everywhere contributes nothing. Output in [0, 1].
    public static func frangi(_ v: Volume<Float>, sigmas: [Double], alpha: Double = 0.5, beta: Double = 0.5,
                              c: Double? = nil, brightObjects: Bool = true) -> Volume<Float> {
        let ka = Float(1 / (2 * alpha * alpha)), kb = Float(1 / (2 * beta * beta))
        let sign: Float = brightObjects ? 1 : -1
        return multiScaleMax(v, sigmas: sigmas, perScale: { smoothed, scale in
            let cc = c ?? Hessian.maxNorm(smoothed, scale: scale) / 2
            guard cc > 0 else { return nil }
            let kc = Float(1 / (2 * cc * cc))
            return { _, l1, l2, l3, out, n in
                for i in 0..<n {
                    // For bright tubes both large eigenvalues must be negative.
                    let a2 = l2[i] * sign, a3 = l3[i] * sign
                    guard a2 < 0, a3 < 0 else { continue }
                    let a1 = l1[i]
                    let ra2 = (a2 * a2) / (a3 * a3)
                    let rb2 = (a1 * a1) / (a2 * a3)
                    let s2 = a1 * a1 + a2 * a2 + a3 * a3
                    let value = (1 - expf(-ra2 * ka)) * expf(-rb2 * kb) * (1 - expf(-s2 * kc))
                    out[i] = max(out[i], value)
                }
            }
        })
    }
}
