/// One-dimensional kernels of the separable squared Euclidean distance transform
/// (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions", 2012).
///
/// Not API: `DistanceTransform` and `Morphology` drive them. All work on raw pointers into
/// buffers the caller owns; nothing here allocates.
enum LowerEnvelope {
    /// Squared distance along one contiguous line of the mask to the nearest feature voxel
    /// (`mask == 0` when `featureIsZero`, else `mask != 0`), in mm² for weight `w` (= spacing²).
    /// Voxels farther than `cap` voxels from any feature (or in a line with none) get +∞.
    @inline(__always)
    static func featureDistanceRow(_ m: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<Float>, count n: Int,
                                   featureIsZero: Bool, w: Float, cap: Int = .max) {
        // Forward scan: index distance to the last feature at or before c.
        var last = -1
        for c in 0..<n {
            if (m[c] == 0) == featureIsZero {
                last = c
                out[c] = 0
            } else {
                out[c] = last >= 0 ? Float(c - last) : .infinity
            }
        }
        // Backward scan: the next feature at or after c; then square and weight.
        var next = -1
        var c = n - 1
        while c >= 0 {
            var d = out[c]
            if d == 0 {
                next = c
            } else if next >= 0 {
                d = min(d, Float(next - c))
            }
            out[c] = d.isFinite && Int(d) <= cap ? d * d * w : .infinity
            c -= 1
        }
    }

    /// The lower envelope of the parabolas `w·(q − p)² + f[p]` sampled at `q = 0..<n`:
    /// `d[q] = min_p (w·(q − p)² + f[p])`. Entries of `f` that are +∞ take no part; if all are
    /// +∞ so is every `d`. `v` needs `n` slots and `z` `n + 1`.
    @inline(__always)
    static func transform(_ f: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, count n: Int, w: Float,
                          v: UnsafeMutablePointer<Int32>, z: UnsafeMutablePointer<Float>) {
        let half = 0.5 / w
        var k = -1
        for q in 0..<n {
            let fq = f[q]
            if !fq.isFinite { continue }
            if k < 0 {
                k = 0
                v[0] = Int32(q)
                z[0] = -.infinity
                z[1] = .infinity
                continue
            }
            let qf = Float(q)
            var s: Float
            while true {
                let p = Int(v[k])
                let pf = Float(p)
                // Intersection of parabolas at p and q, in the cancellation-free form
                // (p + q)/2 + (f[q] − f[p]) / (2w(q − p)).
                s = 0.5 * (qf + pf) + (fq - f[p]) * half / (qf - pf)
                if s <= z[k] { k -= 1 } else { break }
                // z[0] = −∞, so k never drops below 0 here.
            }
            k += 1
            v[k] = Int32(q)
            z[k] = s
            z[k + 1] = .infinity
        }
        if k < 0 {
            for q in 0..<n { d[q] = .infinity }
            return
        }
        k = 0
        for q in 0..<n {
            let qf = Float(q)
            while z[k + 1] < qf { k += 1 }
            let p = Int(v[k])
            let t = qf - Float(p)
            d[q] = w * t * t + f[p]
        }
    }

    /// Columns gathered per strided line pass: 32 floats are two cache lines, enough to
    /// amortise the page walk of a slice-sized stride, small enough for L1/L2 scratch.
    static let blockWidth = 32

    /// Scratch for `transformBlock`: one per thread chunk, never per line.
    struct Scratch {
        let lines: UnsafeMutablePointer<Float>
        let out: UnsafeMutablePointer<Float>
        let v: UnsafeMutablePointer<Int32>
        let z: UnsafeMutablePointer<Float>
        init(count n: Int) {
            lines = .allocate(capacity: n * LowerEnvelope.blockWidth)
            out = .allocate(capacity: n)
            v = .allocate(capacity: n)
            z = .allocate(capacity: n + 1)
        }
        func deallocate() {
            lines.deallocate(); out.deallocate(); v.deallocate(); z.deallocate()
        }
    }

    /// Runs `transform` on `width` (≤ `blockWidth`) adjacent lines starting at `base`, each of
    /// `n` samples `stride` apart: gathers them into contiguous scratch, transforms, and
    /// scatters back (taking the square root on the way when `root`).
    static func transformBlock(_ base: UnsafeMutablePointer<Float>, count n: Int, stride: Int, width: Int,
                               w: Float, root: Bool, scratch: Scratch) {
        let g = scratch.lines
        // Transpose in tiles of 8 samples so both sides touch whole cache-line pieces.
        var i0 = 0
        while i0 < n {
            let i1 = min(n, i0 + 8)
            for b in 0..<width {
                let line = g + b * n
                for i in i0..<i1 { line[i] = base[i * stride + b] }
            }
            i0 = i1
        }
        for b in 0..<width {
            let line = g + b * n
            // A line with no parabola below +∞, or all zeros, is its own transform.
            var allInf = true, allZero = true
            for i in 0..<n {
                let x = line[i]
                if x.isFinite { allInf = false }
                if x != 0 { allZero = false }
            }
            if allInf || allZero { continue }
            transform(line, scratch.out, count: n, w: w, v: scratch.v, z: scratch.z)
            line.update(from: scratch.out, count: n)
        }
        i0 = 0
        while i0 < n {
            let i1 = min(n, i0 + 8)
            for b in 0..<width {
                let line = g + b * n
                if root {
                    for i in i0..<i1 { base[i * stride + b] = line[i].squareRoot() }
                } else {
                    for i in i0..<i1 { base[i * stride + b] = line[i] }
                }
            }
            i0 = i1
        }
    }
}
