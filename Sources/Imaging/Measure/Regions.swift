/// Region properties of labelled volumes (voxel count, volume, centroid, bounding box, principal
/// axes, maximum 3D diameter, intensity statistics); see `RegionProperties`
/// for the definitions.
///
/// Two passes: (1) one pass over the whole volume in a fixed number of slabs (in parallel, summed
/// in slab order so results do not depend on the thread count) collects counts, centroids, boxes
/// and intensity sums; (2) each region, in parallel across regions, rescans its own bounding box for
/// centred second moments and the voxels that can be convex-hull vertices, on
/// which the diameter is computed exactly (`FeretDiameter`). Time O(V + Σ bounding boxes +
/// diameter searches); extra memory O(count × 16) plus per-region line tables.
public enum Regions {
    /// Properties of regions `1...count` of `labels`: element `i` describes label `i + 1`. Voxels
    /// with other values (0, negative, above `count`) are background. Labels without voxels get an
    /// all-zero record (`RegionProperties.empty`). `intensity`, if given, must share the grid.
    public static func properties(labels: Volume<Int32>, count: Int, intensity: Volume<Float>? = nil)
        -> [RegionProperties]
    {
        precondition(count >= 0, "negative region count")
        precondition(intensity == nil || intensity!.dimensions == labels.dimensions, "intensity grid differs")
        return measure(labels.voxels, dimensions: labels.dimensions, geometry: labels.geometry,
                       count: count, intensity: intensity?.voxels) { Int($0) }
    }

    /// Properties of the non-zero voxels of `mask` as one region (label 1), or nil if it is empty.
    public static func properties(mask: Mask, intensity: Volume<Float>? = nil) -> RegionProperties? {
        precondition(intensity == nil || intensity!.dimensions == mask.dimensions, "intensity grid differs")
        let r = measure(mask.voxels, dimensions: mask.dimensions, geometry: mask.geometry, count: 1,
                        intensity: intensity?.voxels) { $0 != 0 ? 1 : 0 }
        return r[0].voxelCount > 0 ? r[0] : nil
    }

    /// Pass-1 sums of one region.
    struct Accumulator {
        var count = 0
        var sum = SIMD3<Double>.zero  // of (slice, row, column)
        var lower = SIMD3<Int>(repeating: .max)
        var upper = SIMD3<Int>(repeating: .min)
        var intensitySum = 0.0
        var intensityMin = Double.infinity
        var intensityMax = -Double.infinity

        mutating func merge(_ o: Accumulator) {
            count += o.count
            sum += o.sum
            lower = pointwiseMin(lower, o.lower)
            upper = pointwiseMax(upper, o.upper)
            intensitySum += o.intensitySum
            intensityMin = min(intensityMin, o.intensityMin)
            intensityMax = max(intensityMax, o.intensityMax)
        }
    }

    /// Both public entry points: `region(v)` gives the region number (1...count) of a voxel value.
    static func measure<V: Sendable>(_ voxels: [V], dimensions d: Dimensions, geometry: Geometry, count: Int,
                                     intensity: [Float]?, region: @escaping @Sendable (V) -> Int)
        -> [RegionProperties]
    {
        guard count > 0 else { return [] }
        // Pass 1. A fixed slab count keeps the summation order independent of `Parallelism.threads`.
        let slabs = count * 16 <= 1 << 22 ? max(1, min(16, d.slices)) : 1
        var partial = [Accumulator](repeating: Accumulator(), count: slabs * count)
        partial.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeSendableBuffer(buffer.baseAddress!)
            Parallelism.forEachChunk(slabs) { range in
                for slab in range {
                    let acc = out.base + slab * count
                    for s in (slab * d.slices / slabs)..<((slab + 1) * d.slices / slabs) {
                        for r in 0..<d.rows {
                            let rowStart = d.index(s, r, 0)
                            for c in 0..<d.columns {
                                let l = region(voxels[rowStart + c])
                                guard l >= 1 && l <= count else { continue }
                                let p = SIMD3(s, r, c)
                                acc[l - 1].count += 1
                                acc[l - 1].sum += SIMD3<Double>(Double(s), Double(r), Double(c))
                                acc[l - 1].lower = pointwiseMin(acc[l - 1].lower, p)
                                acc[l - 1].upper = pointwiseMax(acc[l - 1].upper, p)
                                if let intensity {
                                    let v = Double(intensity[rowStart + c])
                                    acc[l - 1].intensitySum += v
                                    acc[l - 1].intensityMin = min(acc[l - 1].intensityMin, v)
                                    acc[l - 1].intensityMax = max(acc[l - 1].intensityMax, v)
                                }
                            }
                        }
                    }
                }
            }
        }
        var totals = Array(partial[0..<count])
        for slab in 1..<slabs {
            for l in 0..<count { totals[l].merge(partial[slab * count + l]) }
        }
        partial = []

        // Pass 2, one region per task.
        var result = (0..<count).map { RegionProperties.empty(label: Int32(truncatingIfNeeded: $0 + 1)) }
        let sums = totals
        result.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeSendableBuffer(buffer.baseAddress!)
            Parallelism.forEachChunk(count) { range in
                for i in range where sums[i].count > 0 {
                    out[i] = regionProperties(voxels, dimensions: d, geometry: geometry, target: i + 1,
                                              sums: sums[i], intensity: intensity, region: region)
                }
            }
        }
        return result
    }

    /// Pass 2 for one region, within its bounding box.
    static func regionProperties<V>(_ voxels: [V], dimensions d: Dimensions, geometry g: Geometry, target: Int,
                                    sums: Accumulator, intensity: [Float]?, region: (V) -> Int)
        -> RegionProperties
    {
        let n = Double(sums.count)
        let mean = sums.sum / n
        let meanIntensity = sums.intensitySum / n
        let lo = sums.lower, hi = sums.upper
        let (bs, br, bc) = (hi.x - lo.x + 1, hi.y - lo.y + 1, hi.z - lo.z + 1)
        // Line ends: first/last column of each (slice, row) line, row of each (slice, column), slice of each (row, column).
        var firstColumn = [Int](repeating: .max, count: bs * br), lastColumn = [Int](repeating: -1, count: bs * br)
        var firstRow = [Int](repeating: .max, count: bs * bc), lastRow = [Int](repeating: -1, count: bs * bc)
        var firstSlice = [Int](repeating: .max, count: br * bc), lastSlice = [Int](repeating: -1, count: br * bc)
        var (mss, mrr, mcc, msr, msc, mrc, intensitySS) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        for s in 0..<bs {
            let ds = Double(s + lo.x) - mean.x
            for r in 0..<br {
                let dr = Double(r + lo.y) - mean.y
                let rowStart = d.index(s + lo.x, r + lo.y, lo.z)
                for c in 0..<bc where region(voxels[rowStart + c]) == target {
                    let dc = Double(c + lo.z) - mean.z
                    mss += ds * ds; mrr += dr * dr; mcc += dc * dc
                    msr += ds * dr; msc += ds * dc; mrc += dr * dc
                    if let intensity {
                        let dv = Double(intensity[rowStart + c]) - meanIntensity
                        intensitySS += dv * dv
                    }
                    firstColumn[s * br + r] = min(firstColumn[s * br + r], c)
                    lastColumn[s * br + r] = c
                    firstRow[s * bc + c] = min(firstRow[s * bc + c], r)
                    lastRow[s * bc + c] = r
                    firstSlice[r * bc + c] = min(firstSlice[r * bc + c], s)
                    lastSlice[r * bc + c] = s
                }
            }
        }
        let m = [[mss, msr, msc], [msr, mrr, mrc], [msc, mrc, mcc]].map { $0.map { $0 / n } }

        func point(_ s: Int, _ r: Int, _ c: Int) -> SIMD3<Double> {
            g.point(slice: Double(s + lo.x), row: Double(r + lo.y), column: Double(c + lo.z))
        }
        /// The first and last column of line (s, r): none, one (twice) or two.
        func lineEnds(_ s: Int, _ r: Int) -> StrideThrough<Int> {
            let a = firstColumn[s * br + r], b = lastColumn[s * br + r]
            return a > b ? stride(from: 0, through: -1, by: 1) : stride(from: a, through: b, by: max(1, b - a))
        }
        // 3D hull-vertex candidates: ends of their column, row and slice lines.
        var candidates: [SIMD3<Double>] = []
        for s in 0..<bs {
            for r in 0..<br {
                for c in lineEnds(s, r)
                where (r == firstRow[s * bc + c] || r == lastRow[s * bc + c])
                    && (s == firstSlice[r * bc + c] || s == lastSlice[r * bc + c])
                {
                    candidates.append(point(s, r, c))
                }
            }
        }
        let diameter = FeretDiameter.farthestPair(candidates).distance

        let volume = n * g.spacing.voxelVolume
        return RegionProperties(
            label: Int32(truncatingIfNeeded: target), voxelCount: sums.count, volumeMM3: volume,
            volumeML: volume / 1000,
            centroid: g.point(slice: mean.x, row: mean.y, column: mean.z),
            boundingBox: IndexBox(lower: .init(slice: lo.x, row: lo.y, column: lo.z),
                                  upper: .init(slice: hi.x, row: hi.y, column: hi.z)),
            principalAxesLengths: PrincipalAxes.lengths(indexCovariance: m, geometry: g),
            maxDiameter3D: diameter,
            mean: intensity == nil ? 0 : meanIntensity,
            standardDeviation: intensity == nil ? 0 : (intensitySS / n).squareRoot(),
            minimum: intensity == nil ? 0 : sums.intensityMin,
            maximum: intensity == nil ? 0 : sums.intensityMax)
    }
}
