import Foundation

/// Internal building blocks of separable filtering: a symmetric 1D kernel and the two line
/// passes every axis reduces to (along the contiguous column axis, and across lines that are
/// `stride` voxels apart). Boundary handling is replicate-edge everywhere (the voxel outside
/// the volume takes the value of the nearest edge voxel, scipy's `mode='nearest'`).
///
/// Hot loops run on raw pointers in `SIMD8<Float>` lanes; no allocation per voxel.

/// A symmetric kernel stored from its centre outwards: `weights[k]` applies to offsets ±k.
struct SymmetricKernel: Sendable {
    let weights: [Float]
    var radius: Int { weights.count - 1 }

    /// Sampled Gaussian of `sigma` voxels, truncated at `truncate`·σ (radius
    /// `Int(truncate·σ + 0.5)`, as scipy's `gaussian_filter`) and normalised to sum 1
    /// (computed in Double, stored as Float). `nil` when σ ≤ 0 or the radius is 0 (identity).
    static func gaussian(sigmaVoxels sigma: Double, truncate: Double = 4) -> SymmetricKernel? {
        guard sigma > 0, sigma.isFinite else { return nil }
        let radius = Int(truncate * sigma + 0.5)
        guard radius > 0 else { return nil }
        var w = (0...radius).map { k in Foundation.exp(-0.5 * Double(k * k) / (sigma * sigma)) }
        let total = w[0] + 2 * w.dropFirst().reduce(0, +)
        for k in w.indices { w[k] /= total }
        return SymmetricKernel(weights: w.map { Float($0) })
    }
}

/// Unaligned loads and stores of eight Floats.
enum Lanes8 {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) static func store(_ p: UnsafeMutablePointer<Float>, _ v: SIMD8<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}

enum LinePass {
    /// Convolves one contiguous line of `n` voxels. `pad` is scratch of at least
    /// `n + 2·radius` floats (replicate-edge padding is written there).
    static func alongLine(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
                          _ w: UnsafePointer<Float>, _ radius: Int, pad: UnsafeMutablePointer<Float>) {
        let r = radius
        let first = src[0], last = src[n - 1]
        for k in 0..<r { pad[k] = first; pad[r + n + k] = last }
        (pad + r).update(from: src, count: n)
        let w0 = w[0]
        var i = 0
        while i + 8 <= n {
            let c = UnsafePointer(pad + r + i)
            var acc = SIMD8<Float>(repeating: w0) * Lanes8.load(c)
            var k = 1
            while k <= r {
                acc += SIMD8<Float>(repeating: w[k]) * (Lanes8.load(c - k) + Lanes8.load(c + k))
                k += 1
            }
            Lanes8.store(dst + i, acc)
            i += 8
        }
        while i < n {
            let c = pad + r + i
            var acc = w0 * c[0]
            for k in stride(from: 1, through: r, by: 1) { acc += w[k] * (c[-k] + c[k]) }
            dst[i] = acc
            i += 1
        }
    }

    /// Convolves across `n` lines: line j of the source starts at `src + j·srcStride`, of
    /// the destination at `dst + j·dstStride`, and `length` voxels of each are processed:
    /// `dst[j] = Σ_k w_k (src[j−k] + src[j+k])` with line indices clamped to `0..<n`.
    /// `rows` is scratch for `2·radius + 1` pointers.
    static func acrossLines(_ src: UnsafePointer<Float>, srcStride: Int, _ dst: UnsafeMutablePointer<Float>,
                            dstStride: Int, n: Int, length: Int,
                            _ w: UnsafePointer<Float>, _ radius: Int,
                            rows: UnsafeMutablePointer<UnsafePointer<Float>>) {
        let r = radius
        let w0 = SIMD8<Float>(repeating: w[0])
        for j in 0..<n {
            for k in -r...r {
                rows[k + r] = src + min(max(j + k, 0), n - 1) * srcStride
            }
            let out = dst + j * dstStride
            let centre = rows[r]
            var i = 0
            while i + 8 <= length {
                var acc = w0 * Lanes8.load(centre + i)
                var k = 1
                while k <= r {
                    acc += SIMD8<Float>(repeating: w[k]) * (Lanes8.load(rows[r - k] + i) + Lanes8.load(rows[r + k] + i))
                    k += 1
                }
                Lanes8.store(out + i, acc)
                i += 8
            }
            while i < length {
                var acc = w[0] * centre[i]
                for k in Swift.stride(from: 1, through: r, by: 1) { acc += w[k] * (rows[r - k][i] + rows[r + k][i]) }
                out[i] = acc
                i += 1
            }
        }
    }
}
