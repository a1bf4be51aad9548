import Imaging

/// Storage order is not anatomy. The same chest stored head first or feet first, with its slices
/// sent top down or bottom up, or its columns running to the patient's right or left, is the same
/// image in patient space, and a reader expects the same result from it. Classical analyzers are
/// not blind to index order by themselves: block-averaged grids start at index 0, candidate
/// searches visit voxels in raster order and break ties by it, so a mirrored series can yield
/// other candidates and a few percent of another volume (measured on LIDC-IDRI-0001: 6 vs 7
/// findings, the nodule 6.05 vs 5.57 mL).
///
/// So every input is analysed in one storage order: each index axis flipped where needed so that
/// it runs toward the positive direction (LPS: left, posterior, head) of the patient axis it is
/// closest to. Flips only; axes are never permuted or resampled, so voxel values, spacing and
/// the grid are unchanged, and the result's masks are mapped back to the stored order exactly.
public struct CanonicalOrientation: Sendable, Equatable {
    public var flipSlices: Bool
    public var flipRows: Bool
    public var flipColumns: Bool

    public init(flipSlices: Bool, flipRows: Bool, flipColumns: Bool) {
        self.flipSlices = flipSlices
        self.flipRows = flipRows
        self.flipColumns = flipColumns
    }

    /// The flips that make `g`'s index axes run toward positive patient coordinates.
    public init(_ g: Geometry) {
        /// The sign of a direction's largest patient component (a tie keeps the stored order).
        func negative(_ v: SIMD3<Double>) -> Bool {
            let a = SIMD3(abs(v.x), abs(v.y), abs(v.z))
            let k = a.x >= a.y && a.x >= a.z ? 0 : (a.y >= a.z ? 1 : 2)
            return v[k] < 0
        }
        flipSlices = negative(g.sliceDirection)
        flipRows = negative(g.rowDirection)
        flipColumns = negative(g.columnDirection)
    }

    public var isIdentity: Bool { !flipSlices && !flipRows && !flipColumns }

    /// The index along an axis of `n` voxels after (or, the same map, before) a flip.
    @inline(__always)
    private static func map(_ i: Int, _ n: Int, _ flip: Bool) -> Int { flip ? n - 1 - i : i }

    /// `v` in the canonical storage order (the same voxels at the same patient positions).
    public func apply<T>(_ v: Volume<T>) -> Volume<T> {
        guard !isIdentity else { return v }
        let d = v.dimensions, g = v.geometry
        var out = v
        for s in 0..<d.slices {
            for r in 0..<d.rows {
                let src = d.index(Self.map(s, d.slices, flipSlices), Self.map(r, d.rows, flipRows), 0)
                let dst = d.index(s, r, 0)
                if flipColumns {
                    for c in 0..<d.columns { out.voxels[dst + c] = v.voxels[src + d.columns - 1 - c] }
                } else {
                    for c in 0..<d.columns { out.voxels[dst + c] = v.voxels[src + c] }
                }
            }
        }
        out.geometry.origin = g.point(slice: flipSlices ? Double(d.slices - 1) : 0, row: flipRows ? Double(d.rows - 1) : 0,
                                      column: flipColumns ? Double(d.columns - 1) : 0)
        if flipSlices { out.geometry.sliceDirection = -g.sliceDirection }
        if flipRows { out.geometry.rowDirection = -g.rowDirection }
        if flipColumns { out.geometry.columnDirection = -g.columnDirection }
        return out
    }

    /// A mask on the canonical grid mapped back to the stored grid (flips are their own inverse).
    public func restore(_ m: RegionMask) -> RegionMask {
        guard !isIdentity else { return m }
        let n = m.gridDimensions, b = m.box, bd = b.dimensions
        func flipped(_ lo: Int, _ hi: Int, _ count: Int, _ flip: Bool) -> (Int, Int) {
            flip ? (count - 1 - hi, count - 1 - lo) : (lo, hi)
        }
        let (s0, s1) = flipped(b.lower.slice, b.upper.slice, n.slices, flipSlices)
        let (r0, r1) = flipped(b.lower.row, b.upper.row, n.rows, flipRows)
        let (c0, c1) = flipped(b.lower.column, b.upper.column, n.columns, flipColumns)
        var out = m
        out.box = IndexBox(lower: .init(slice: s0, row: r0, column: c0), upper: .init(slice: s1, row: r1, column: c1))
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                let src = bd.index(Self.map(s, bd.slices, flipSlices), Self.map(r, bd.rows, flipRows), 0)
                let dst = bd.index(s, r, 0)
                for c in 0..<bd.columns { out.mask[dst + c] = m.mask[src + Self.map(c, bd.columns, flipColumns)] }
            }
        }
        return out
    }
}

public extension Analyzer {
    /// `analyze` with every input in the canonical storage order (`CanonicalOrientation`), the
    /// result's masks and grid mapped back to the stored order of the input whose grid the
    /// result lives on (the primary series). A result on a grid of the analyzer's own (none of
    /// the inputs') is already self-consistent and is returned as it is.
    func analyzeInStoredOrder(_ input: AnalysisInput) throws(AnalysisError) -> AnalysisResult {
        let orientations = input.series.map { CanonicalOrientation($0.volume.geometry) }
        guard orientations.contains(where: { !$0.isIdentity }) else { return try analyze(input) }
        var canonical = input
        for k in canonical.series.indices { canonical.series[k].volume = orientations[k].apply(input.series[k].volume) }
        var result = try analyze(canonical)
        guard let k = canonical.series.indices.first(where: {
            canonical.series[$0].volume.geometry == result.geometry && canonical.series[$0].volume.dimensions == result.dimensions
        }) else { return result }
        let o = orientations[k]
        result.geometry = input.series[k].volume.geometry
        result.organ = result.organ.map(o.restore)
        for f in result.findings.indices { result.findings[f].mask = o.restore(result.findings[f].mask) }
        return result
    }
}
