import Imaging

/// A coarser grid whose voxels are blocks of `factor` (slice, row, column) voxels of a finer
/// one: block means for intensities (`BlockMean` with partial edge blocks) and nearest-block
/// lookup to bring masks back to the fine grid.
struct BlockGrid: Sendable {
    var factor: SIMD3<Int>
    var fine: Dimensions
    var coarse: Dimensions
    var geometry: Geometry

    /// Blocks of about `targetMM` along each axis (at least one voxel) over `fine` × `geometry`.
    init(fine: Dimensions, geometry g: Geometry, targetMM: SIMD3<Double>) {
        let sp = g.spacing
        factor = SIMD3(max(1, Int((targetMM.x / sp.slice).rounded())), max(1, Int((targetMM.y / sp.row).rounded())),
                       max(1, Int((targetMM.z / sp.column).rounded())))
        self.fine = fine
        coarse = BlockMean.dimensions(fine, factor: factor, remainder: .partialBlocks)
        geometry = BlockMean.geometry(g, factor: factor)
    }

    /// Mean of each block (edge blocks average the voxels they have).
    func mean(_ v: Volume<Float>) -> Volume<Float> {
        precondition(v.dimensions == fine, "grid mismatch")
        return BlockMean.downsample(v, factor: factor, remainder: .partialBlocks)
    }

    /// The fine-grid mask whose voxels take their block's value.
    func upsample(_ m: Mask, fineGeometry: Geometry) -> Mask {
        precondition(m.dimensions == coarse, "grid mismatch")
        let f = factor, fd = fine, cd = coarse
        var out = [UInt8](repeating: 0, count: fd.count)
        m.voxels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = UnsafeSendableBuffer(UnsafeMutablePointer(mutating: src.baseAddress!))
                let o = UnsafeSendableBuffer(dst.baseAddress!)
                Parallelism.forEachChunk(fd.slices) { range in
                    for fs in range {
                        for fr in 0..<fd.rows {
                            let cb = cd.index(fs / f.x, fr / f.y, 0), ob = fd.index(fs, fr, 0)
                            for cc in 0..<cd.columns {
                                let value = s[cb + cc]
                                for fc in (cc * f.z)..<min(fd.columns, (cc + 1) * f.z) { o[ob + fc] = value }
                            }
                        }
                    }
                }
            }
        }
        return Mask(dimensions: fd, geometry: fineGeometry, voxels: out)
    }
}

/// Sub-volumes and masks over index boxes.
enum LiverCrop {
    /// The part of `v` inside `box` (inclusive), with its geometry.
    static func crop<T: Sendable>(_ v: Volume<T>, _ box: IndexBox) -> Volume<T> {
        let bd = box.dimensions, d = v.dimensions
        var out = [T]()
        out.reserveCapacity(bd.count)
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                let base = d.index(box.lower.slice + s, box.lower.row + r, box.lower.column)
                out.append(contentsOf: v.voxels[base..<(base + bd.columns)])
            }
        }
        var g = v.geometry
        g.origin = v.geometry.point(slice: Double(box.lower.slice), row: Double(box.lower.row),
                                    column: Double(box.lower.column))
        return Volume(dimensions: bd, geometry: g, voxels: out)
    }

    /// `box` grown by `margin` voxels per axis and clipped to `d`.
    static func grow(_ box: IndexBox, by margin: SIMD3<Int>, within d: Dimensions) -> IndexBox {
        IndexBox(lower: .init(slice: max(0, box.lower.slice - margin.x), row: max(0, box.lower.row - margin.y),
                              column: max(0, box.lower.column - margin.z)),
                 upper: .init(slice: min(d.slices - 1, box.upper.slice + margin.x), row: min(d.rows - 1, box.upper.row + margin.y),
                              column: min(d.columns - 1, box.upper.column + margin.z)))
    }

    /// `box` (in the coordinates of a sub-volume starting at `origin`) moved to the parent grid.
    static func shift(_ box: IndexBox, by origin: IndexBox.Corner) -> IndexBox {
        IndexBox(lower: .init(slice: box.lower.slice + origin.slice, row: box.lower.row + origin.row,
                              column: box.lower.column + origin.column),
                 upper: .init(slice: box.upper.slice + origin.slice, row: box.upper.row + origin.row,
                              column: box.upper.column + origin.column))
    }

    /// A finding or organ mask on a grid of `grid` from a mask over a sub-volume at `origin`
    /// (cropped to its set voxels); nil when empty.
    static func regionMask(_ local: Mask, at origin: IndexBox.Corner, grid: Dimensions) -> RegionMask? {
        guard var r = RegionMask(full: local) else { return nil }
        r.box = shift(r.box, by: origin)
        r.gridDimensions = grid
        return r
    }
}

extension LiverCrop {
    /// Closing with background beyond the volume's border (the volume is padded by the radius
    /// first), so a concavity opening onto the border is not closed (see `Morphology`'s border
    /// convention).
    static func closePadded(_ m: Mask, radius: Double) -> Mask {
        let d = m.dimensions, sp = m.geometry.spacing
        let p = SIMD3(Int((radius / sp.slice).rounded(.up)) + 1, Int((radius / sp.row).rounded(.up)) + 1,
                      Int((radius / sp.column).rounded(.up)) + 1)
        let pd = Dimensions(slices: d.slices + 2 * p.x, rows: d.rows + 2 * p.y, columns: d.columns + 2 * p.z)
        var padded = Mask(dimensions: pd, geometry: m.geometry, repeating: 0)
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                let src = d.index(s, r, 0), dst = pd.index(s + p.x, r + p.y, p.z)
                for c in 0..<d.columns { padded.voxels[dst + c] = m.voxels[src + c] }
            }
        }
        let closed = Morphology.close(padded, radius: radius)
        var out = crop(closed, IndexBox(lower: .init(slice: p.x, row: p.y, column: p.z),
                                        upper: .init(slice: p.x + d.slices - 1, row: p.y + d.rows - 1, column: p.z + d.columns - 1)))
        out.geometry = m.geometry
        return out
    }
}
