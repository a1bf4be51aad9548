/// Area-averaging downsampling: each voxel of a coarser grid is the mean of a block of
/// `factor` (slice, row, column) voxels of the input. Averaging (not sampling) keeps thin
/// structures' partial volume and lowers the noise.
///
/// The coarse grid has the input's direction cosines, spacing × factor per axis and its first
/// voxel at the centre of the first block, so a coarse voxel's centre is its block's centre.
/// Each block is summed in `Float`, fine slice by fine row, each row's run of `factor.column`
/// voxels summed first and then added to the block's total; the order is fixed, so results do
/// not depend on the thread count. Parallel over coarse slices; O(input voxels).
public enum BlockMean {
    /// What becomes of the voxels past the last whole block along an axis.
    public enum Remainder: Sendable {
        /// They form smaller edge blocks (coarse size ⌈n / factor⌉); every block's sum is divided
        /// by the number of voxels it has.
        case partialBlocks
        /// They are dropped (coarse size ⌊n / factor⌋); every block is whole and its sum is
        /// multiplied by 1 / (block voxel count), computed once in `Float`. (Dividing instead can
        /// differ in the last bit; the lung analyzer was tuned with the multiplication.)
        case drop
    }

    /// The coarse grid's voxel counts for `d` in blocks of `factor` (each component ≥ 1).
    public static func dimensions(_ d: Dimensions, factor f: SIMD3<Int>, remainder: Remainder) -> Dimensions {
        precondition(f.x >= 1 && f.y >= 1 && f.z >= 1, "block factor below 1")
        switch remainder {
        case .partialBlocks:
            return Dimensions(slices: (d.slices + f.x - 1) / f.x, rows: (d.rows + f.y - 1) / f.y,
                              columns: (d.columns + f.z - 1) / f.z)
        case .drop:
            return Dimensions(slices: d.slices / f.x, rows: d.rows / f.y, columns: d.columns / f.z)
        }
    }

    /// The coarse grid's geometry: origin at the centre of the first block, spacing × `factor`,
    /// the same direction cosines.
    public static func geometry(_ g: Geometry, factor f: SIMD3<Int>) -> Geometry {
        var out = g
        out.origin = g.point(slice: Double(f.x - 1) / 2, row: Double(f.y - 1) / 2, column: Double(f.z - 1) / 2)
        out.spacing = Spacing(slice: g.spacing.slice * Double(f.x), row: g.spacing.row * Double(f.y),
                              column: g.spacing.column * Double(f.z))
        return out
    }

    /// The block means of `v` on the coarse grid (`dimensions(_:factor:remainder:)` ×
    /// `geometry(_:factor:)`).
    public static func downsample(_ v: Volume<Float>, factor f: SIMD3<Int>, remainder: Remainder) -> Volume<Float> {
        let d = v.dimensions
        let cd = dimensions(d, factor: f, remainder: remainder)
        let cg = geometry(v.geometry, factor: f)
        guard cd.count > 0 else { return Volume(dimensions: cd, geometry: cg, voxels: []) }
        var out = [Float](repeating: 0, count: cd.count)
        let partial = remainder == .partialBlocks
        let reciprocal = 1 / Float(f.x * f.y * f.z)
        v.voxels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = UnsafeSendableBuffer(UnsafeMutablePointer(mutating: src.baseAddress!))
                let o = UnsafeSendableBuffer(dst.baseAddress!)
                Parallelism.forEachChunk(cd.slices) { chunk in
                    // Voxels per block of the current coarse row (fewer at the far edges).
                    var count = [Float](repeating: 0, count: cd.columns)
                    for cs in chunk {
                        for cr in 0..<cd.rows {
                            let row = o.base + cd.index(cs, cr, 0)
                            for cc in 0..<cd.columns { count[cc] = 0 }
                            for fs in (cs * f.x)..<min(d.slices, (cs + 1) * f.x) {
                                for fr in (cr * f.y)..<min(d.rows, (cr + 1) * f.y) {
                                    let line = s.base + d.index(fs, fr, 0)
                                    for cc in 0..<cd.columns {
                                        let hi = min(d.columns, (cc + 1) * f.z)
                                        var sum: Float = 0
                                        for fc in (cc * f.z)..<hi { sum += line[fc] }
                                        row[cc] += sum
                                        count[cc] += Float(hi - cc * f.z)
                                    }
                                }
                            }
                            if partial {
                                for cc in 0..<cd.columns { row[cc] = row[cc] / max(1, count[cc]) }
                            } else {
                                for cc in 0..<cd.columns { row[cc] *= reciprocal }
                            }
                        }
                    }
                }
            }
        }
        return Volume(dimensions: cd, geometry: cg, voxels: out)
    }
}
