/// First derivatives in physical units (intensity per mm).
///
/// Central differences `(v[i+1] − v[i−1]) / 2h` inside, one-sided `(v[1] − v[0]) / h` and
/// `(v[n−1] − v[n−2]) / h` at the edges (numpy's `gradient` with `edge_order=1`), with `h` the
/// spacing of that axis in mm. An axis with a single voxel has derivative 0. Computed line by
/// line across `Parallelism.threads`; Float arithmetic.
public enum Gradient {
    /// d/dslice, d/drow, d/dcolumn, each in units per mm.
    public static func components(_ v: Volume<Float>)
        -> (slice: Volume<Float>, row: Volume<Float>, column: Volume<Float>) {
        let d = v.dimensions
        var ds = [Float](), dr = [Float](), dc = [Float]()
        ParallelArray.withUninitialized(d.count, &ds) { os in
            ParallelArray.withUninitialized(d.count, &dr) { or in
                ParallelArray.withUninitialized(d.count, &dc) { oc in
                    forEachLine(v) { line, src, steps in
                        let at = line * d.columns
                        lineDerivatives(src, d, steps, line, os.base + at, or.base + at, oc.base + at)
                    }
                }
            }
        }
        let g = v.geometry
        return (Volume(dimensions: d, geometry: g, voxels: ds), Volume(dimensions: d, geometry: g, voxels: dr),
                Volume(dimensions: d, geometry: g, voxels: dc))
    }

    /// Euclidean norm of the gradient (per mm), without materialising the components.
    public static func magnitude(_ v: Volume<Float>) -> Volume<Float> {
        let d = v.dimensions
        var m = [Float]()
        ParallelArray.withUninitialized(d.count, &m) { out in
            forEachLine(v, scratchLines: 3) { line, src, steps, scratch in
                let n = d.columns
                let a = scratch, b = scratch + n, c = scratch + 2 * n
                lineDerivatives(src, d, steps, line, a, b, c)
                let o = out.base + line * n
                for i in 0..<n { o[i] = (a[i] * a[i] + b[i] * b[i] + c[i] * c[i]).squareRoot() }
            }
        }
        return Volume(dimensions: d, geometry: v.geometry, voxels: m)
    }

    /// Reciprocal steps: 1/2h (central) and 1/h (one-sided) per axis.
    struct Steps: Sendable {
        var slice: (central: Float, edge: Float)
        var row: (central: Float, edge: Float)
        var column: (central: Float, edge: Float)
        init(_ s: Spacing) {
            slice = (Float(0.5 / s.slice), Float(1 / s.slice))
            row = (Float(0.5 / s.row), Float(1 / s.row))
            column = (Float(0.5 / s.column), Float(1 / s.column))
        }
    }

    /// Runs `body(line, voxels, steps)` for every line (slice·rows + row) over the threads.
    static func forEachLine(_ v: Volume<Float>,
                            _ body: @Sendable (Int, UnsafePointer<Float>, Steps) -> Void) {
        forEachLine(v, scratchLines: 0) { line, src, steps, _ in body(line, src, steps) }
    }

    /// As above, with per-chunk scratch of `scratchLines` lines of `columns` floats.
    static func forEachLine(_ v: Volume<Float>, scratchLines: Int,
                            _ body: @Sendable (Int, UnsafePointer<Float>, Steps, UnsafeMutablePointer<Float>) -> Void) {
        let d = v.dimensions, steps = Steps(v.spacing)
        guard d.count > 0 else { return }
        v.voxels.withUnsafeBufferPointer { src in
            let s = UnsafeSendableBuffer(UnsafeMutablePointer(mutating: src.baseAddress!))
            Parallelism.forEachChunk(d.slices * d.rows, minimumChunk: 16) { range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, scratchLines * d.columns))
                defer { scratch.deallocate() }
                for line in range { body(line, UnsafePointer(s.base), steps, scratch) }
            }
        }
    }

    /// The three derivatives along one line (slice, row) = `line`, written to `ds`, `dr`, `dc`.
    @inline(__always)
    static func lineDerivatives(_ v: UnsafePointer<Float>, _ d: Dimensions, _ h: Steps, _ line: Int,
                                _ ds: UnsafeMutablePointer<Float>, _ dr: UnsafeMutablePointer<Float>,
                                _ dc: UnsafeMutablePointer<Float>) {
        let n = d.columns, s = line / d.rows, r = line % d.rows
        let c = v + line * n
        // Across lines: pick the two neighbouring lines and the matching reciprocal step.
        func across(_ k: Int, _ count: Int, _ stride: Int, _ step: (central: Float, edge: Float),
                    _ out: UnsafeMutablePointer<Float>) {
            guard count > 1 else { out.update(repeating: 0, count: n); return }
            let lo = k > 0 ? c - stride : c, hi = k < count - 1 ? c + stride : c
            let f = (k > 0 && k < count - 1) ? step.central : step.edge
            for i in 0..<n { out[i] = (hi[i] - lo[i]) * f }
        }
        across(s, d.slices, d.sliceSize, h.slice, ds)
        across(r, d.rows, n, h.row, dr)
        guard n > 1 else { dc[0] = 0; return }
        let f = h.column.central
        for i in 1..<(n - 1) { dc[i] = (c[i + 1] - c[i - 1]) * f }
        dc[0] = (c[1] - c[0]) * h.column.edge
        dc[n - 1] = (c[n - 1] - c[n - 2]) * h.column.edge
    }
}
