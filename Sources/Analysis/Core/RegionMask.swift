import Imaging

/// A binary mask stored only over its bounding box: a finding's mask on the source grid
/// without a full-size volume per finding (20 nodules on a 300×512×512 CT would be 1.5 GB).
public struct RegionMask: Sendable, Equatable {
    /// The grid the mask lives on (the source series' grid).
    public var gridDimensions: Dimensions
    /// Inclusive index box of the mask within the grid; `mask` has the box's dimensions.
    public var box: IndexBox
    /// Voxels of the box, 0/1, slice-major like any `Volume`.
    public var mask: [UInt8]

    /// Crops a full-grid mask to its bounding box; `nil` when the mask is empty.
    public init?(full m: Mask) {
        let d = m.dimensions
        var lo = (d.slices, d.rows, d.columns), hi = (-1, -1, -1)
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                let base = d.index(s, r, 0)
                for c in 0..<d.columns where m.voxels[base + c] != 0 {
                    lo = (min(lo.0, s), min(lo.1, r), min(lo.2, c))
                    hi = (max(hi.0, s), max(hi.1, r), max(hi.2, c))
                }
            }
        }
        guard hi.0 >= 0 else { return nil }
        self.init(cropping: m, to: IndexBox(lower: .init(slice: lo.0, row: lo.1, column: lo.2),
                                            upper: .init(slice: hi.0, row: hi.1, column: hi.2)))
    }

    /// The part of `m` inside `box` (voxels outside the box are dropped, whatever they are).
    public init(cropping m: Mask, to box: IndexBox) {
        let bd = box.dimensions
        var out = [UInt8](repeating: 0, count: bd.count)
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                let src = m.dimensions.index(box.lower.slice + s, box.lower.row + r, box.lower.column)
                let dst = bd.index(s, r, 0)
                for c in 0..<bd.columns { out[dst + c] = m.voxels[src + c] != 0 ? 1 : 0 }
            }
        }
        self.gridDimensions = m.dimensions
        self.box = box
        self.mask = out
    }

    /// Number of voxels set.
    public var voxelCount: Int { mask.reduce(0) { $0 + Int($1) } }

    /// Whether grid voxel (s, r, c) is set.
    public func contains(_ s: Int, _ r: Int, _ c: Int) -> Bool {
        guard s >= box.lower.slice, s <= box.upper.slice, r >= box.lower.row, r <= box.upper.row,
              c >= box.lower.column, c <= box.upper.column else { return false }
        return mask[box.dimensions.index(s - box.lower.slice, r - box.lower.row, c - box.lower.column)] != 0
    }

    /// Calls `body` with the grid index (s, r, c) of every voxel set, in raster order.
    public func forEachVoxel(_ body: (Int, Int, Int) -> Void) {
        let bd = box.dimensions
        var i = 0
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                for c in 0..<bd.columns {
                    if mask[i] != 0 { body(box.lower.slice + s, box.lower.row + r, box.lower.column + c) }
                    i += 1
                }
            }
        }
    }

    /// The mask on the full grid.
    public func full(geometry: Geometry = Geometry()) -> Mask {
        var m = Mask(dimensions: gridDimensions, geometry: geometry, repeating: 0)
        paint(into: &m.voxels, value: 1)
        return m
    }

    /// Sets every voxel of the mask to `value` in a full-grid buffer (e.g. a label volume).
    public func paint<T>(into voxels: inout [T], value: T) {
        let bd = box.dimensions
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                let dst = gridDimensions.index(box.lower.slice + s, box.lower.row + r, box.lower.column)
                let src = bd.index(s, r, 0)
                for c in 0..<bd.columns where mask[src + c] != 0 { voxels[dst + c] = value }
            }
        }
    }
}
