/// Exact Euclidean distance transforms in millimetres, anisotropic spacing.
///
/// Felzenszwalb–Huttenlocher's separable lower envelope: a two-scan pass along columns
/// (contiguous memory) fused per slice with the envelope pass along rows, then the envelope
/// pass along slices. Strided lines are gathered in blocks of adjacent columns into per-thread
/// scratch, so every pass reads whole cache lines. Slices (passes 1–2) and (row, column block)
/// units (pass 3) run in parallel; the result does not depend on the thread count.
///
/// Distances are computed in `Float`: exact for the squared distances of voxel lattices up to
/// float rounding (relative ≈ 1e-7).
public enum DistanceTransform {
    /// Exact Euclidean distance in mm from every voxel to the nearest voxel where `mask == 0`
    /// (so 0 outside the object). Voxels beyond the volume border do not count as background.
    /// If the mask has no 0 voxel every distance is +∞.
    public static func euclidean(_ mask: Mask) -> Volume<Float> {
        compute(mask, featureIsZero: true, root: true)
    }

    /// Squared distances (mm²) to the nearest `mask == 0` voxel: `euclidean` without the root.
    public static func squaredEuclidean(_ mask: Mask) -> Volume<Float> {
        compute(mask, featureIsZero: true, root: false)
    }

    /// Distance in mm to the nearest foreground (`mask != 0`) voxel: 0 inside the object,
    /// +∞ everywhere if the mask is empty.
    public static func euclideanToForeground(_ mask: Mask) -> Volume<Float> {
        compute(mask, featureIsZero: false, root: true)
    }

    /// The shared driver: distance to the nearest feature voxel (`mask == 0` when
    /// `featureIsZero`, else `mask != 0`), squared unless `root`.
    static func compute(_ mask: Mask, featureIsZero: Bool, root: Bool) -> Volume<Float> {
        let dims = mask.dimensions
        let (S, R, C) = (dims.slices, dims.rows, dims.columns)
        let sp = mask.spacing
        let (ws, wr, wc) = (Float(sp.slice * sp.slice), Float(sp.row * sp.row), Float(sp.column * sp.column))
        let voxels = [Float](unsafeUninitializedCapacity: dims.count) { buffer, initialized in
            guard dims.count > 0, let base = buffer.baseAddress else { initialized = 0; return }
            let out = UnsafeSendableBuffer(base)
            mask.voxels.withUnsafeBufferPointer { mp in
                let m = ReadOnlySendablePointer(mp.baseAddress!)
                // Passes 1 and 2, one slice at a time (the slice stays in cache between them).
                // A single slice still parallelises: then rows of pass 2 are split instead.
                Parallelism.forEachChunk(S, minimumChunk: 1) { slices in
                    let scratch = LowerEnvelope.Scratch(count: R)
                    defer { scratch.deallocate() }
                    for s in slices {
                        let slice = out.base + s * R * C
                        for r in 0..<R {
                            LowerEnvelope.featureDistanceRow(m.base + (s * R + r) * C, slice + r * C, count: C,
                                                             featureIsZero: featureIsZero, w: wc)
                        }
                        guard R > 1 else { continue }
                        var c0 = 0
                        while c0 < C {
                            let width = min(LowerEnvelope.blockWidth, C - c0)
                            LowerEnvelope.transformBlock(slice + c0, count: R, stride: C, width: width, w: wr,
                                                         root: root && S == 1, scratch: scratch)
                            c0 += width
                        }
                    }
                }
            }
            if S > 1 {
                let blocks = (C + LowerEnvelope.blockWidth - 1) / LowerEnvelope.blockWidth
                Parallelism.forEachChunk(R * blocks, minimumChunk: 8) { units in
                    let scratch = LowerEnvelope.Scratch(count: S)
                    defer { scratch.deallocate() }
                    for u in units {
                        let r = u / blocks
                        let c0 = (u % blocks) * LowerEnvelope.blockWidth
                        let width = min(LowerEnvelope.blockWidth, C - c0)
                        LowerEnvelope.transformBlock(out.base + r * C + c0, count: S, stride: R * C, width: width,
                                                     w: ws, root: root, scratch: scratch)
                    }
                }
            } else if root && R == 1 {
                for i in 0..<dims.count { base[i] = base[i].squareRoot() }
            }
            initialized = dims.count
        }
        return Volume(dimensions: dims, geometry: mask.geometry, voxels: voxels)
    }
}

/// A read-only raw pointer that parallel chunks share (the owner outlives the parallel loop).
struct ReadOnlySendablePointer<T>: @unchecked Sendable {
    let base: UnsafePointer<T>
    init(_ base: UnsafePointer<T>) { self.base = base }
}
