/// Internal: the six second derivatives of a (smoothed) volume, one image row at a time, so
/// that callers reduce them to eigenvalues or a measure without materialising six volumes.
///
/// Stencils (h = spacing in mm, f = `scale`): pure `f·(v[i+1] − 2v[i] + v[i−1])/h²`, mixed
/// `f·(v[i+1,j+1] − v[i+1,j−1] − v[i−1,j+1] + v[i−1,j−1])/(4·hi·hj)`. Boundary: replicate-edge
/// (indices clamped), the same convention as `Gaussian`. Exact for quadratics in the interior.
struct HessianRow {
    /// Derivatives along one row of `count` voxels: ss, rr, cc, sr, sc, rc. Each buffer
    /// holds `paddedCount` (a multiple of 8) floats; the padding is finite scratch.
    let ss, rr, cc, sr, sc, rc: UnsafeMutablePointer<Float>
    let count: Int
    var paddedCount: Int { (count + 7) & ~7 }
}

enum HessianRows {
    /// Calls `body(line, row)` for every line (slice·rows + row) of `v`, spread over
    /// `Parallelism.threads`; `row` points at per-chunk scratch valid only during the call.
    static func forEach(_ v: Volume<Float>, scale: Double, _ body: @Sendable (Int, HessianRow) -> Void) {
        let d = v.dimensions, h = v.spacing
        guard d.count > 0 else { return }
        let fss = Float(scale / (h.slice * h.slice)), frr = Float(scale / (h.row * h.row))
        let fcc = Float(scale / (h.column * h.column))
        let fsr = Float(scale / (4 * h.slice * h.row)), fsc = Float(scale / (4 * h.slice * h.column))
        let frc = Float(scale / (4 * h.row * h.column))
        let n = d.columns, rows = d.rows, slices = d.slices, plane = d.sliceSize
        v.voxels.withUnsafeBufferPointer { src in
            let base = UnsafeSendableBuffer(UnsafeMutablePointer(mutating: src.baseAddress!))
            Parallelism.forEachChunk(slices * rows, minimumChunk: 16) { range in
                let m = (n + 7) & ~7
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 6 * m)
                scratch.initialize(repeating: 0, count: 6 * m)
                defer { scratch.deallocate() }
                let out = HessianRow(ss: scratch, rr: scratch + m, cc: scratch + 2 * m, sr: scratch + 3 * m,
                                     sc: scratch + 4 * m, rc: scratch + 5 * m, count: n)
                let v0 = UnsafePointer(base.base)
                for line in range {
                    let s = line / rows, r = line % rows
                    let sm = max(s - 1, 0), sp = min(s + 1, slices - 1)
                    let rm = max(r - 1, 0), rp = min(r + 1, rows - 1)
                    @inline(__always) func at(_ s: Int, _ r: Int) -> UnsafePointer<Float> { v0 + s * plane + r * n }
                    let c = at(s, r), Sp = at(sp, r), Sm = at(sm, r), Rp = at(s, rp), Rm = at(s, rm)
                    let SpRp = at(sp, rp), SpRm = at(sp, rm), SmRp = at(sm, rp), SmRm = at(sm, rm)
                    for i in 0..<n {
                        let c2 = c[i] + c[i]
                        out.ss[i] = (Sp[i] - c2 + Sm[i]) * fss
                        out.rr[i] = (Rp[i] - c2 + Rm[i]) * frr
                        out.sr[i] = ((SpRp[i] - SpRm[i]) - (SmRp[i] - SmRm[i])) * fsr
                    }
                    if n > 2 {
                        for i in 1..<(n - 1) {
                            out.cc[i] = (c[i + 1] - (c[i] + c[i]) + c[i - 1]) * fcc
                            out.sc[i] = ((Sp[i + 1] - Sp[i - 1]) - (Sm[i + 1] - Sm[i - 1])) * fsc
                            out.rc[i] = ((Rp[i + 1] - Rp[i - 1]) - (Rm[i + 1] - Rm[i - 1])) * frc
                        }
                    }
                    // Edge columns, indices clamped (replicate-edge).
                    var i = 0
                    while i < n {
                        let im = max(i - 1, 0), ip = min(i + 1, n - 1)
                        out.cc[i] = (c[ip] - (c[i] + c[i]) + c[im]) * fcc
                        out.sc[i] = ((Sp[ip] - Sp[im]) - (Sm[ip] - Sm[im])) * fsc
                        out.rc[i] = ((Rp[ip] - Rp[im]) - (Rm[ip] - Rm[im])) * frc
                        i += max(1, n - 1)
                    }
                    body(line, out)
                }
            }
        }
    }
}
