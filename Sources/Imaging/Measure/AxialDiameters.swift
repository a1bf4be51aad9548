/// Long and short axis of a region as a radiologist measures them with calipers on the axial
/// image (Lung-RADS v2022, Fleischner, RECIST): on the slice where the region's longest in-plane
/// diameter is greatest, the long axis is that diameter and the short axis the largest width
/// perpendicular to it on the same slice.
///
/// Calipers are placed on the edges of what is seen, not on voxel centres: every voxel counts as
/// the square it covers on the slice (its centre ± half the pixel spacing), so a region one pixel
/// wide measures one pixel spacing, not zero. A centre-to-centre measurement would undercount
/// every diameter by about one pixel (0.7 mm on a chest CT: 10 % of a 7 mm nodule, enough to
/// move it across a Lung-RADS size boundary).
public enum AxialDiameters {
    public struct Axes: Sendable, Equatable {
        /// The slice measured (index in the mask's own slice order).
        public var slice: Int
        /// Longest in-plane diameter on that slice, mm.
        public var long: Double
        /// Largest width perpendicular to the long axis on that slice, mm.
        public var short: Double

        public init(slice: Int, long: Double, short: Double) {
            self.slice = slice
            self.long = long
            self.short = short
        }

        /// Lung-RADS v2022 mean diameter: (long + short) / 2.
        public var mean: Double { (long + short) / 2 }
    }

    /// The axes of the non-zero voxels of `mask` (`nil` when it is empty). Slices are taken as the
    /// axial planes (rows × columns at the mask's in-plane spacing).
    public static func measure(_ mask: Mask) -> Axes? {
        let d = mask.dimensions
        let sr = mask.geometry.spacing.row, sc = mask.geometry.spacing.column
        var best: Axes?
        var bestArea = 0
        for s in 0..<d.slices {
            // Hull-vertex candidates of the slice: the first and last voxel of every row line that
            // are also first or last of their column line; each contributes its four corners.
            var first = [Int](repeating: Int.max, count: d.columns), last = [Int](repeating: -1, count: d.columns)
            var area = 0
            for r in 0..<d.rows {
                let base = (s * d.rows + r) * d.columns
                for c in 0..<d.columns where mask.voxels[base + c] != 0 {
                    area += 1
                    first[c] = min(first[c], r)
                    last[c] = max(last[c], r)
                }
            }
            guard area > 0 else { continue }
            var corners: [SIMD3<Double>] = []
            for r in 0..<d.rows {
                let base = (s * d.rows + r) * d.columns
                var lo = -1, hi = -1
                for c in 0..<d.columns where mask.voxels[base + c] != 0 {
                    if lo < 0 { lo = c }
                    hi = c
                }
                guard lo >= 0 else { continue }
                // Each end once, in a fixed order (a Set's order follows the per-process hash seed, and
                // the corners' order decides ties in the farthest pair).
                for c in (lo == hi ? [lo] : [lo, hi]) where r == first[c] || r == last[c] {
                    for dr in [-0.5, 0.5] {
                        for dc in [-0.5, 0.5] {
                            corners.append(SIMD3((Double(r) + dr) * sr, (Double(c) + dc) * sc, 0))
                        }
                    }
                }
            }
            let long = FeretDiameter.farthestPair(corners)
            guard long.distance > 0 else { continue }
            let u = (corners[long.second] - corners[long.first]) / long.distance
            let across = SIMD3(-u.y, u.x, 0)
            let projections = corners.map { ($0 * across).sum() }
            let short = projections.max()! - projections.min()!
            let axes = Axes(slice: s, long: long.distance, short: short)
            // Greatest long axis; on a tie (within a hundredth of a millimetre) the larger section.
            if let b = best, long.distance < b.long - 0.01 || (abs(long.distance - b.long) <= 0.01 && area <= bestArea) {
                continue
            }
            best = axes
            bestArea = area
        }
        return best
    }
}
