/// Binary morphology with a ball structuring element of physical radius `r` mm: the set of
/// voxel offsets `o` with `|o|_mm ≤ r` (anisotropic spacing honoured).
///
/// Computed through distance transforms rather than by sliding the ball:
/// dilation = { squared distance to the nearest foreground voxel ≤ r² },
/// erosion  = { squared distance to the nearest background voxel > r² }.
/// Only distances up to `r` matter, so each pass is truncated: for radii of up to 16 voxels
/// per axis the row and slice passes are windowed minima over `2R+1` neighbours (vectorised
/// along contiguous columns); larger radii use the full Felzenszwalb–Huttenlocher transform.
/// Both give exactly the brute-force result with the ball (the boundary `|o| = r` is included
/// with a relative tolerance of 1e-5 on r², which absorbs float rounding).
///
/// **Border convention.** Voxels beyond the volume border are ignored: they are neither
/// foreground nor background (ITK's `BinaryDilate`/`BinaryErode` defaults, erosion's boundary
/// counting as foreground). Dilation does not grow from outside and erosion does not eat in
/// from the border. Hence `close` is extensive (`close(m) ⊇ m`) and `open` anti-extensive
/// (`open(m) ⊆ m`); near the border, closing can also close a concavity that opens onto the
/// border, since no background beyond the border holds it open (pad the volume by `r` first
/// if that matters).
public enum Morphology {
    /// Every voxel within `radius` mm (finite, ≥ 0) of a foreground voxel.
    public static func dilate(_ m: Mask, radius: Double) -> Mask {
        withinRadius(m, ofFeatureZero: false, radius: radius, keepNear: true)
    }

    /// Every foreground voxel farther than `radius` mm (finite, ≥ 0) from every background voxel.
    public static func erode(_ m: Mask, radius: Double) -> Mask {
        withinRadius(m, ofFeatureZero: true, radius: radius, keepNear: false)
    }

    /// Erosion then dilation: removes parts narrower than the ball. `open(m) ⊆ m`.
    public static func open(_ m: Mask, radius: Double) -> Mask {
        dilate(erode(m, radius: radius), radius: radius)
    }

    /// Dilation then erosion: fills gaps and concavities narrower than the ball.
    /// `close(m) ⊇ m`; see the border convention above.
    public static func close(_ m: Mask, radius: Double) -> Mask {
        erode(dilate(m, radius: radius), radius: radius)
    }

    /// Relative slack on r² for the inclusive ball boundary (float rounding of distances).
    static let tolerance = 1e-5

    /// Largest windowed half-width (voxels) before switching to the full transform.
    static let maximumWindow = 16

    /// 1 where the distance to the nearest feature voxel (`mask == 0` if `ofFeatureZero`,
    /// else `mask != 0`) is ≤ `radius` (when `keepNear`), or > `radius` (otherwise).
    /// `windowLimit` overrides `maximumWindow` (tests force the full-transform path with 0).
    static func withinRadius(_ m: Mask, ofFeatureZero: Bool, radius: Double, keepNear: Bool,
                             windowLimit: Int = maximumWindow) -> Mask {
        precondition(radius >= 0 && radius.isFinite, "radius must be finite and ≥ 0")
        let dims = m.dimensions
        let (S, R, C) = (dims.slices, dims.rows, dims.columns)
        let sp = m.spacing
        let limit = radius * radius * (1 + tolerance)
        let limitF = Float(limit)
        // Half-widths: offsets beyond them exceed the (tolerant) radius along that axis alone.
        func half(_ spacing: Double) -> Int { min(Int((limit / (spacing * spacing)).squareRoot()), 1 << 20) }
        let (hs, hr, hc) = (half(sp.slice), half(sp.row), half(sp.column))
        let near: UInt8 = keepNear ? 1 : 0, far: UInt8 = keepNear ? 0 : 1

        if min(hs, S - 1) > windowLimit || min(hr, R - 1) > windowLimit {
            let d = DistanceTransform.compute(m, featureIsZero: ofFeatureZero, root: false)
            let voxels = [UInt8](unsafeUninitializedCapacity: dims.count) { buffer, initialized in
                guard let base = buffer.baseAddress else { initialized = 0; return }
                let out = UnsafeSendableBuffer(base)
                d.voxels.withUnsafeBufferPointer { dp in
                    let src = ReadOnlySendablePointer(dp.baseAddress!)
                    Parallelism.forEachChunk(dims.count, minimumChunk: 1 << 16) { range in
                        for i in range { out[i] = src.base[i] <= limitF ? near : far }
                    }
                }
                initialized = dims.count
            }
            return Mask(dimensions: dims, geometry: m.geometry, voxels: voxels)
        }
        let (ws, wr, wc) = (Float(sp.slice * sp.slice), Float(sp.row * sp.row), Float(sp.column * sp.column))
        let hrw = min(hr, R - 1), hsw = min(hs, S - 1)
        // Squared distance after passes 1–2 (columns, rows), in mm², +∞ beyond the window.
        let planes = UnsafeMutablePointer<Float>.allocate(capacity: max(1, dims.count))
        defer { planes.deallocate() }
        let g = UnsafeSendableBuffer(planes)
        m.voxels.withUnsafeBufferPointer { mp in
            let mask = ReadOnlySendablePointer(mp.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            Parallelism.forEachChunk(S, minimumChunk: 1) { slices in
                let rowsBuffer = UnsafeMutablePointer<Float>.allocate(capacity: R * C)
                defer { rowsBuffer.deallocate() }
                for s in slices {
                    for r in 0..<R {
                        LowerEnvelope.featureDistanceRow(mask.base + (s * R + r) * C, rowsBuffer + r * C, count: C,
                                                         featureIsZero: ofFeatureZero, w: wc, cap: hc)
                    }
                    for r in 0..<R {
                        let dst = g.base + (s * R + r) * C
                        dst.update(from: rowsBuffer + r * C, count: C)
                        if hrw == 0 { continue }
                        for j in 1...hrw {
                            let add = Float(j * j) * wr
                            if r - j >= 0 { minAdd(dst, rowsBuffer + (r - j) * C, add, C) }
                            if r + j < R { minAdd(dst, rowsBuffer + (r + j) * C, add, C) }
                        }
                    }
                }
            }
        }
        let voxels = [UInt8](unsafeUninitializedCapacity: dims.count) { buffer, initialized in
            guard let base = buffer.baseAddress, dims.count > 0 else { initialized = 0; return }
            let out = UnsafeSendableBuffer(base)
            // Pass 3 along slices, windowed, thresholded straight into the output mask.
            Parallelism.forEachChunk(S, minimumChunk: 1) { slices in
                let acc = UnsafeMutablePointer<Float>.allocate(capacity: C)
                defer { acc.deallocate() }
                for s in slices {
                    for r in 0..<R {
                        let offset = (s * R + r) * C
                        acc.update(from: g.base + offset, count: C)
                        if hsw > 0 {
                            for j in 1...hsw {
                                let add = Float(j * j) * ws
                                if s - j >= 0 { minAdd(acc, g.base + offset - j * R * C, add, C) }
                                if s + j < S { minAdd(acc, g.base + offset + j * R * C, add, C) }
                            }
                        }
                        let dst = out.base + offset
                        for c in 0..<C { dst[c] = acc[c] <= limitF ? near : far }
                    }
                }
            }
            initialized = dims.count
        }
        return Mask(dimensions: dims, geometry: m.geometry, voxels: voxels)
    }

    /// `dst[i] = min(dst[i], src[i] + add)` for `i < n`. Written as a compare-and-select loop
    /// over raw pointers, which LLVM vectorises to packed min instructions (the generic
    /// `pointwiseMin` on `SIMD8` is not inlined and runs lane by lane).
    @inline(__always)
    static func minAdd(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ add: Float, _ n: Int) {
        for i in 0..<n {
            let x = src[i] + add, y = dst[i]
            dst[i] = x < y ? x : y
        }
    }
}
