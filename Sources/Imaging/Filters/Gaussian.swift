/// Separable Gaussian smoothing with σ in millimetres.
///
/// - Kernel: the sampled Gaussian `exp(−x²/2σ²)` on each axis, with σ converted to voxels by
///   that axis's spacing (so anisotropic voxels are handled), truncated at 4σ (radius
///   `Int(4σ/spacing + 0.5)` voxels, exactly as scipy's `gaussian_filter(truncate=4)`) and
///   normalised to sum 1.
/// - Boundary: replicate-edge (scipy `mode='nearest'`, ITK's zero-flux Neumann).
/// - σ ≤ 0 on an axis (or a radius that rounds to 0 voxels) means no smoothing on that axis.
///
/// Work plan (two passes over memory, one output allocation): per slice, the column pass
/// (contiguous, SIMD over output voxels) into a per-thread scratch slice, then the row pass
/// over whole rows into the output; then the slice pass in place, in blocks of 512 in-plane
/// voxels copied to per-thread scratch so the 2r+1 input lines stay in cache. Slices and
/// blocks are spread over `Parallelism.threads`; results do not depend on the thread count.
public enum Gaussian {
    /// Isotropic σ (mm) on all three axes. See the type's documentation for kernel and boundary.
    public static func smooth(_ v: Volume<Float>, sigma: Double) -> Volume<Float> {
        smooth(v, sigmaSlice: sigma, sigmaRow: sigma, sigmaColumn: sigma)
    }

    /// σ in mm per axis (slice, row, column). See the type's documentation.
    public static func smooth(_ v: Volume<Float>, sigmaSlice: Double, sigmaRow: Double,
                              sigmaColumn: Double) -> Volume<Float> {
        let d = v.dimensions, sp = v.spacing
        precondition(sp.slice > 0 && sp.row > 0 && sp.column > 0, "spacing must be positive")
        let kc = d.columns > 1 ? SymmetricKernel.gaussian(sigmaVoxels: sigmaColumn / sp.column) : nil
        let kr = d.rows > 1 ? SymmetricKernel.gaussian(sigmaVoxels: sigmaRow / sp.row) : nil
        let ks = d.slices > 1 ? SymmetricKernel.gaussian(sigmaVoxels: sigmaSlice / sp.slice) : nil
        guard d.count > 0, kc != nil || kr != nil || ks != nil else { return v }

        var voxels = kc != nil || kr != nil ? inPlane(v.voxels, d, kc, kr) : v.voxels
        if let ks {
            // `voxels` is uniquely referenced here unless it is still the input's storage;
            // then this mutation copies it once, as it must.
            acrossSlices(&voxels, d, ks)
        }
        return Volume(dimensions: d, geometry: v.geometry, voxels: voxels)
    }

    /// Column then row pass, slice by slice.
    static func inPlane(_ input: [Float], _ d: Dimensions, _ kc: SymmetricKernel?,
                        _ kr: SymmetricKernel?) -> [Float] {
        let cols = d.columns, rows = d.rows, plane = d.sliceSize
        let wc = kc?.weights ?? [1], wr = kr?.weights ?? [1]
        let useC = kc != nil, useR = kr != nil
        return [Float](unsafeUninitializedCapacity: d.count) { out, initialized in
            input.withUnsafeBufferPointer { src in
                let srcB = UnsafeSendableBuffer(UnsafeMutablePointer(mutating: src.baseAddress!))
                let dstB = UnsafeSendableBuffer(out.baseAddress!)
                Parallelism.forEachChunk(d.slices) { range in
                    wc.withUnsafeBufferPointer { wcB in
                        wr.withUnsafeBufferPointer { wrB in
                            let rc = wcB.count - 1, rr = wrB.count - 1
                            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: useC && useR ? plane : 1)
                            let pad = UnsafeMutablePointer<Float>.allocate(capacity: cols + 2 * rc)
                            let ptrs = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: 2 * rr + 1)
                            defer { scratch.deallocate(); pad.deallocate(); ptrs.deallocate() }
                            for s in range {
                                let sIn = UnsafePointer(srcB.base + s * plane)
                                let sOut = dstB.base + s * plane
                                var colOut = sIn
                                if useC {
                                    let target = useR ? scratch : sOut
                                    for row in 0..<rows {
                                        LinePass.alongLine(sIn + row * cols, target + row * cols, cols,
                                                           wcB.baseAddress!, rc, pad: pad)
                                    }
                                    colOut = UnsafePointer(target)
                                }
                                if useR {
                                    LinePass.acrossLines(colOut, srcStride: cols, sOut, dstStride: cols, n: rows,
                                                         length: cols, wrB.baseAddress!, rr, rows: ptrs)
                                }
                            }
                        }
                    }
                }
            }
            initialized = d.count
        }
    }

    /// Slice pass, in place, in blocks of in-plane voxels: each block's column of `slices`
    /// lines is copied to per-thread scratch (in cache) and convolved back into the volume.
    /// In place saves allocating (and page-faulting) another full volume.
    static func acrossSlices(_ data: inout [Float], _ d: Dimensions, _ ks: SymmetricKernel) {
        let plane = d.sliceSize, block = 512, n = d.slices
        let blocks = (plane + block - 1) / block
        let w = ks.weights
        data.withUnsafeMutableBufferPointer { buffer in
            let base = UnsafeSendableBuffer(buffer.baseAddress!)
            Parallelism.forEachChunk(blocks) { range in
                w.withUnsafeBufferPointer { wB in
                    let r = wB.count - 1
                    let ptrs = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: 2 * r + 1)
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: n * block)
                    defer { ptrs.deallocate(); scratch.deallocate() }
                    for b in range {
                        let offset = b * block, length = min(block, plane - offset)
                        for j in 0..<n {
                            (scratch + j * length).update(from: base.base + j * plane + offset, count: length)
                        }
                        LinePass.acrossLines(scratch, srcStride: length, base.base + offset, dstStride: plane,
                                             n: n, length: length, wB.baseAddress!, r, rows: ptrs)
                    }
                }
            }
        }
    }
}
