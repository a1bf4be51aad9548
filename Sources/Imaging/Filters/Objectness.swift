import Foundation

/// Hessian-eigenvalue shape measures (tubes and blobs), multi-scale.
///
/// Every measure smooths with σ (mm), takes the σ²-normalised Hessian (see `Hessian`) and its
/// eigenvalues, evaluates the measure per voxel and keeps the maximum over the scales.
/// Memory at any time: the input, one smoothed copy and the output (no eigenvalue volumes).
public enum Objectness {
    /// Li–Sone–Doi dot (blob) enhancement filter, Q. Li, S. Sone, K. Doi, "Selective enhancement
    /// filters for nodules, vessels, and airway walls in two- and three-dimensional CT scans",
    /// Med. Phys. 30(8):2040–2051, 2003. With the paper's ordering |λ1| ≥ |λ2| ≥ |λ3|
    /// (largest magnitude first):
    ///
    ///     z_dot(λ1, λ2, λ3) = |λ3|² / |λ1|   if λ1 < 0, λ2 < 0, λ3 < 0,   else 0
    ///
    /// i.e. magnitude of the weakest curvature times the isotropy ratio |λ3|/|λ1|: large for
    /// bright blobs, small for tubes (λ3 ≈ 0) and planes. Multi-scale: max over `sigmas`
    /// (mm) of the σ²-normalised response (as the paper's multi-scale scheme).
    public static func dot(_ v: Volume<Float>, sigmas: [Double]) -> Volume<Float> {
        multiScaleMax(v, sigmas: sigmas) { _, l1, l2, l3, out, n in
            // Ours ascend (|l1| ≤ |l2| ≤ |l3|): the paper's λ1 is l3, its λ3 is l1.
            for i in 0..<n {
                let small = l1[i], mid = l2[i], large = l3[i]
                guard small < 0, mid < 0, large < 0 else { continue }
                out[i] = max(out[i], small * small / -large)
            }
        }
    }

    /// `dot` at every scale of `sigmas`, reduced per voxel to the strongest response and the index
    /// of the first scale giving it, for callers that only look at responses of at least `floor`
    /// (candidate detection). Wherever that strongest response is ≥ `floor`, it equals `dot`'s bit
    /// for bit and the scale is the first one reaching it (what a per-scale `dot` and a strict `>`
    /// merge give). Below `floor` the response is a lower bound (0 where skipped) and the scale
    /// unspecified.
    ///
    /// Why a voxel may be skipped: with all three eigenvalues negative and |l1| ≤ |l2| ≤ |l3|, the
    /// response l1²/|l3| ≤ |l1| ≤ (|l1| + |l2| + |l3|)/3 = −trace/3, and the trace is the sum of
    /// the three pure second derivatives. Eight voxels whose traces all exceed −1.5 · `floor`
    /// (response under half the floor: room for Float rounding) skip the eigenvalues, which are
    /// most of the cost; in smooth lung parenchyma and flat fill that is most voxels.
    public static func dotStrongest(_ v: Volume<Float>, sigmas: [Double], floor: Float)
        -> (response: Volume<Float>, scale: [UInt8]) {
        precondition(sigmas.count <= Int(UInt8.max) + 1, "too many scales")
        let d = v.dimensions
        var best = ParallelArray.zeros(count: d.count)
        var scale = [UInt8](repeating: 0, count: d.count)
        let skipAbove = SIMD8<Float>(repeating: -1.5 * floor)
        best.withUnsafeMutableBufferPointer { bp in
            scale.withUnsafeMutableBufferPointer { sp in
                let ob = UnsafeSendableBuffer(bp.baseAddress!), os = UnsafeSendableBuffer(sp.baseAddress!)
                for (k, sigma) in sigmas.enumerated() {
                    let (smoothed, factor) = Hessian.prepare(v, sigma: sigma, normalized: true)
                    let tag = UInt8(k)
                    HessianRows.forEach(smoothed, scale: factor) { line, h in
                        let o = ob.base + line * h.count, s = os.base + line * h.count
                        var i = 0
                        while i < h.count {
                            let ss = Lanes8.load(h.ss + i), rr = Lanes8.load(h.rr + i), cc = Lanes8.load(h.cc + i)
                            if any(ss + rr + cc .<= skipAbove) {
                                // Ours ascend (|l1| ≤ |l2| ≤ |l3|): the paper's λ1 is l3, its λ3 is l1.
                                let (l1, l2, l3) = Eigen3Lanes.eigenvalues(ss, Lanes8.load(h.sr + i), Lanes8.load(h.sc + i),
                                                                          rr, Lanes8.load(h.rc + i), cc)
                                for lane in 0..<min(8, h.count - i) {
                                    let small = l1[lane], mid = l2[lane], large = l3[lane]
                                    guard small < 0, mid < 0, large < 0 else { continue }
                                    let x = small * small / -large
                                    if x > o[i + lane] { o[i + lane] = x; s[i + lane] = tag }
                                }
                            }
                            i += 8
                        }
                    }
                }
            }
        }
        return (Volume(dimensions: d, geometry: v.geometry, voxels: best), scale)
    }

    /// Li–Sone–Doi line (vessel) enhancement filter (same reference and ordering as `dot`):
    ///
    ///     z_line(λ1, λ2, λ3) = |λ2| (|λ2| − |λ3|) / |λ1|   if λ1 < 0, λ2 < 0,   else 0
    ///
    /// large for bright tubes (two strong negative curvatures, one weak), small for blobs
    /// (|λ2| ≈ |λ3|) and planes (|λ2| small). Multi-scale max over `sigmas` (mm), σ²-normalised.
    public static func line(_ v: Volume<Float>, sigmas: [Double]) -> Volume<Float> {
        multiScaleMax(v, sigmas: sigmas) { _, l1, l2, l3, out, n in
            for i in 0..<n {
                let small = l1[i], mid = l2[i], large = l3[i]
                guard mid < 0, large < 0 else { continue }
                out[i] = max(out[i], -mid * (abs(mid) - abs(small)) / -large)
            }
        }
    }

    /// Per-scale body: (σ, l1, l2, l3, output row, count); eigenvalues ascend in magnitude and
    /// the output row already holds the maximum over the previous scales (initially 0).
    typealias RowMeasure = @Sendable (Double, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                      UnsafeMutablePointer<Float>, Int) -> Void

    /// Runs `measure` on every row at every scale; the output starts at 0.
    static func multiScaleMax(_ v: Volume<Float>, sigmas: [Double],
                              measure: @escaping RowMeasure) -> Volume<Float> {
        multiScaleMax(v, sigmas: sigmas, perScale: { _, _ in measure })
    }

    /// As above, with a per-scale factory that may look at the smoothed volume and the
    /// derivative factor first (Frangi's `c`); returning nil skips the scale.
    static func multiScaleMax(_ v: Volume<Float>, sigmas: [Double],
                              perScale factory: (Volume<Float>, Double) -> RowMeasure?) -> Volume<Float> {
        let d = v.dimensions
        var out = ParallelArray.zeros(count: d.count)
        out.withUnsafeMutableBufferPointer { o in
            let ob = UnsafeSendableBuffer(o.baseAddress!)
            for sigma in sigmas {
                let (smoothed, scale) = Hessian.prepare(v, sigma: sigma, normalized: true)
                guard let measure = factory(smoothed, scale) else { continue }
                Hessian.forEachEigenRow(smoothed, scale: scale) { line, h, l1, l2, l3 in
                    measure(sigma, l1, l2, l3, ob.base + line * h.count, h.count)
                }
            }
        }
        return Volume(dimensions: d, geometry: v.geometry, voxels: out)
    }
}
