/// Resampling a volume onto another voxel grid.
public enum Resample {
    /// Trilinear interpolation of `v` onto the grid `geometry` × `dimensions` (any origin, spacing and
    /// direction cosines). Each output voxel centre is mapped to a continuous input index through
    /// both geometries (the composition is affine, so it is computed once and stepped); its value
    /// blends the 2×2×2 surrounding input voxels in double precision. Points outside the input's
    /// voxel centres (beyond a 1e-9 index tolerance) get `outside`; an input axis of size 1 only
    /// accepts index 0. Indices within 1e-9 of an integer snap to it, so resampling onto the same
    /// grid returns the voxels exactly. Linear functions of position are reproduced exactly (up to
    /// rounding). Parallel over output slices; O(output voxels).
    public static func trilinear(_ v: Volume<Float>, to geometry: Geometry, dimensions: Dimensions,
                                 outside: Float = 0) -> Volume<Float>
    {
        var out = [Float](repeating: outside, count: dimensions.count)
        guard dimensions.count > 0, v.dimensions.count > 0 else {
            return Volume(dimensions: dimensions, geometry: geometry, voxels: out)
        }
        let src = v.geometry
        func inputIndex(_ s: Double, _ r: Double, _ c: Double) -> SIMD3<Double> {
            let i = src.index(of: geometry.point(slice: s, row: r, column: c))
            return SIMD3(i.slice, i.row, i.column)
        }
        let base = inputIndex(0, 0, 0)
        let stepSlice = inputIndex(1, 0, 0) - base
        let stepRow = inputIndex(0, 1, 0) - base
        let stepColumn = inputIndex(0, 0, 1) - base
        let d = v.dimensions
        let n = SIMD3<Double>(Double(d.slices), Double(d.rows), Double(d.columns))
        let voxels = v.voxels
        let od = dimensions
        out.withUnsafeMutableBufferPointer { buffer in
            let o = UnsafeSendableBuffer(buffer.baseAddress!)
            Parallelism.forEachChunk(od.slices) { slices in
                for s in slices {
                    for r in 0..<od.rows {
                        let rowBase = base + Double(s) * stepSlice + Double(r) * stepRow
                        for c in 0..<od.columns {
                            guard let x = snapInside(rowBase + Double(c) * stepColumn, n) else { continue }
                            o[od.index(s, r, c)] = sample(voxels, d, x)
                        }
                    }
                }
            }
        }
        return Volume(dimensions: dimensions, geometry: geometry, voxels: out)
    }

    /// Convenience: the same origin and directions with a new spacing, covering the same extent from
    /// the first voxel centre: `floor((n − 1)·old / new) + 1` voxels per axis (1e-9 tolerance).
    public static func trilinear(_ v: Volume<Float>, spacing: Spacing, outside: Float = 0) -> Volume<Float> {
        precondition(spacing.slice > 0 && spacing.row > 0 && spacing.column > 0, "spacing must be positive")
        func size(_ n: Int, _ old: Double, _ new: Double) -> Int {
            n == 0 ? 0 : Int((Double(n - 1) * old / new + 1e-9).rounded(.down)) + 1
        }
        var g = v.geometry
        g.spacing = spacing
        let old = v.geometry.spacing
        let dims = Dimensions(slices: size(v.dimensions.slices, old.slice, spacing.slice),
                              rows: size(v.dimensions.rows, old.row, spacing.row),
                              columns: size(v.dimensions.columns, old.column, spacing.column))
        return trilinear(v, to: g, dimensions: dims, outside: outside)
    }

    /// The index `x` snapped to integers within 1e-9 and checked against `[0, n − 1]`, or nil.
    @inline(__always)
    private static func snapInside(_ x: SIMD3<Double>, _ n: SIMD3<Double>) -> SIMD3<Double>? {
        var x = x
        let tolerance = 1e-9
        for k in 0..<3 {
            let rounded = x[k].rounded()
            if abs(x[k] - rounded) <= tolerance { x[k] = rounded }
            if x[k] < 0 || x[k] > n[k] - 1 { return nil }
        }
        return x
    }

    /// Trilinear blend at an in-range continuous index (slice, row, column).
    @inline(__always)
    private static func sample(_ v: [Float], _ d: Dimensions, _ x: SIMD3<Double>) -> Float {
        // Lower corner clamped so that the upper neighbour exists; an axis of size 1 has weight 0 on it.
        let s0 = min(Int(x.x), max(0, d.slices - 2)), r0 = min(Int(x.y), max(0, d.rows - 2))
        let c0 = min(Int(x.z), max(0, d.columns - 2))
        let fs = x.x - Double(s0), fr = x.y - Double(r0), fc = x.z - Double(c0)
        let s1 = min(s0 + 1, d.slices - 1), r1 = min(r0 + 1, d.rows - 1), c1 = min(c0 + 1, d.columns - 1)
        @inline(__always) func at(_ s: Int, _ r: Int, _ c: Int) -> Double { Double(v[d.index(s, r, c)]) }
        @inline(__always) func lerp(_ a: Double, _ b: Double, _ t: Double) -> Double { t == 0 ? a : a + (b - a) * t }
        let c00 = lerp(at(s0, r0, c0), at(s0, r0, c1), fc)
        let c01 = lerp(at(s0, r1, c0), at(s0, r1, c1), fc)
        let c10 = lerp(at(s1, r0, c0), at(s1, r0, c1), fc)
        let c11 = lerp(at(s1, r1, c0), at(s1, r1, c1), fc)
        return Float(lerp(lerp(c00, c01, fr), lerp(c10, c11, fr), fs))
    }
}
