import Synchronization

/// Hessian of a Gaussian-smoothed volume and its per-voxel eigenvalues.
///
/// The volume is smoothed with `Gaussian.smooth(v, sigma:)` (σ in mm, 4σ truncation,
/// replicate-edge), then differentiated twice by the 3-point / cross stencils of
/// `HessianRows` in mm (replicate-edge). With `normalized`, derivatives are multiplied by σ²
/// (Lindeberg's scale normalisation, γ = 1, so responses are comparable across scales).
/// σ ≤ 0 differentiates the unsmoothed volume with no normalisation.
///
/// Memory: the six second derivatives are produced one image row at a time and reduced to
/// eigenvalues immediately; peak is the input, the smoothed copy and the three outputs.
public enum Hessian {
    /// Eigenvalues per voxel sorted by magnitude, |l1| ≤ |l2| ≤ |l3| (closed form, the
    /// trigonometric method of `SymmetricEigen3` in Float lanes, see `Eigen3Lanes` for its
    /// accuracy).
    public static func eigenvalues(_ v: Volume<Float>, sigma: Double, normalized: Bool = true)
        -> (l1: Volume<Float>, l2: Volume<Float>, l3: Volume<Float>) {
        let d = v.dimensions
        // Every voxel is written once by the row loop, so the outputs start uninitialised and
        // their pages are first touched by the workers, in parallel.
        var e1 = [Float](), e2 = [Float](), e3 = [Float]()
        ParallelArray.withUninitialized(d.count, &e1) { o1 in
            ParallelArray.withUninitialized(d.count, &e2) { o2 in
                ParallelArray.withUninitialized(d.count, &e3) { o3 in
                    forEachEigenRow(v, sigma: sigma, normalized: normalized) { line, h, l1, l2, l3 in
                        let at = line * h.count
                        (o1.base + at).initialize(from: l1, count: h.count)
                        (o2.base + at).initialize(from: l2, count: h.count)
                        (o3.base + at).initialize(from: l3, count: h.count)
                    }
                }
            }
        }
        let g = v.geometry
        return (Volume(dimensions: d, geometry: g, voxels: e1), Volume(dimensions: d, geometry: g, voxels: e2),
                Volume(dimensions: d, geometry: g, voxels: e3))
    }

    /// The smoothed volume and derivative factor for a scale.
    static func prepare(_ v: Volume<Float>, sigma: Double, normalized: Bool) -> (Volume<Float>, Double) {
        guard sigma > 0 else { return (v, 1) }
        return (Gaussian.smooth(v, sigma: sigma), normalized ? sigma * sigma : 1)
    }

    /// Runs `body(line, hessianRow, l1, l2, l3)` with the row's eigenvalues sorted by
    /// magnitude (pointers valid during the call only).
    static func forEachEigenRow(_ v: Volume<Float>, sigma: Double, normalized: Bool,
                                _ body: @Sendable (Int, HessianRow, UnsafeMutablePointer<Float>,
                                                   UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let (smoothed, scale) = prepare(v, sigma: sigma, normalized: normalized)
        forEachEigenRow(smoothed, scale: scale, body)
    }

    /// As above on an already smoothed volume with a given derivative factor.
    static func forEachEigenRow(_ smoothed: Volume<Float>, scale: Double,
                                _ body: @Sendable (Int, HessianRow, UnsafeMutablePointer<Float>,
                                                   UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        HessianRows.forEach(smoothed, scale: scale) { line, h in
            // The eigenvalues overwrite three of the derivative rows once read (ss, rr, cc),
            // keeping sr, sc, rc intact for callers that still want them.
            var i = 0
            while i < h.count {
                let (a, b, c) = Eigen3Lanes.eigenvalues(
                    Lanes8.load(h.ss + i), Lanes8.load(h.sr + i), Lanes8.load(h.sc + i),
                    Lanes8.load(h.rr + i), Lanes8.load(h.rc + i), Lanes8.load(h.cc + i))
                Lanes8.store(h.ss + i, a); Lanes8.store(h.rr + i, b); Lanes8.store(h.cc + i, c)
                i += 8
            }
            body(line, h, h.ss, h.rr, h.cc)
        }
    }

    /// Largest Frobenius norm ‖H‖ = √(Σλ²) over the volume, from the derivatives alone.
    static func maxNorm(_ smoothed: Volume<Float>, scale: Double) -> Double {
        let best = Mutex<Float>(0)
        HessianRows.forEach(smoothed, scale: scale) { _, h in
            var m: Float = 0
            for i in 0..<h.count {
                let diag = h.ss[i] * h.ss[i] + h.rr[i] * h.rr[i] + h.cc[i] * h.cc[i]
                let off = h.sr[i] * h.sr[i] + h.sc[i] * h.sc[i] + h.rc[i] * h.rc[i]
                m = max(m, diag + 2 * off)
            }
            best.withLock { $0 = max($0, m) }
        }
        return Double(best.withLock { $0 }).squareRoot()
    }
}
