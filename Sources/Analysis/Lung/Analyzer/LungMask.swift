import Foundation
import Imaging
import Synchronization

/// The lungs on the coarse grid: 1 = right lung, 2 = left lung, 0 elsewhere.
struct LungMaskResult: Sendable {
    var labels: Volume<UInt8>
    /// Patient x of the body's centre (the midline; x < midline is the right side in LPS).
    var midlineX: Double
    var volumeML: [Double]
    /// Lowest and highest patient z of each lung (right, left).
    var zRange: [ClosedRange<Double>]
    var notes: [String]
}

/// Lung segmentation (DESIGN §8) on the block-averaged grid:
/// 1. air = HU < −400; the body = largest 6-connected non-air component, holes filled slice by
///    slice; air inside it (lungs, airways, bowel gas) in 6-connected components; those whose
///    median is gas (≤ −950 HU, the emphysema threshold: bowel, stomach) are dropped, then
///    components of at least 100 mL and a tenth of the largest are kept (drops small pockets);
/// 2. airway removal: the trachea is the midline air blob (50–900 mm²) in the highest slices;
///    it is grown through air darker than −950 HU (lowered to −990 while the growth leaks past
///    250 mL), dilated by 2 mm for the walls and removed;
/// 3. sides: each remaining component goes to the side of the midline its centroid is on; a
///    component spanning both sides (lungs touching at a junction line) is cut at the midline;
/// 4. per lung: holes filled per slice (vessels, nodules), closed with a 15 mm ball (the
///    rolling-ball closing that brings juxtapleural nodules up to 30 mm into the lung), holes
///    filled again.
enum LungMask {
    static let airHU: Float = -400
    static let closingMM = 15.0

    static func segment(_ v: Volume<Float>) -> LungMaskResult? {
        let d = v.dimensions, g = v.geometry
        let voxelML = g.spacing.voxelVolume / 1000
        let notAir = bySlices(d, g) { i in v.voxels[i] >= airHU ? 1 : 0 }
        let body = HoleFilling.fill2DPerSlice(ConnectedComponents.largest(notAir, connectivity: .faces6))
        let inside = bySlices(d, g) { i in body.voxels[i] != 0 && notAir.voxels[i] == 0 ? 1 : 0 }
        // Column sum and count of the body, per slice chunk: sums of whole numbers far below
        // 2⁵³, exact in any order.
        let sums = Mutex((0.0, 0))
        Parallelism.forEachChunk(d.slices) { chunk in
            var sx = 0.0, n = 0
            for s in chunk {
                for r in 0..<d.rows {
                    let base = d.index(s, r, 0)
                    for c in 0..<d.columns where body.voxels[base + c] != 0 {
                        sx += Double(c)
                        n += 1
                    }
                }
            }
            sums.withLock { $0.0 += sx; $0.1 += n }
        }
        let (sumX, nBody) = sums.withLock { $0 }
        guard nBody > 0 else { return nil }
        let midline = g.point(slice: 0, row: 0, column: sumX / Double(nBody)).x
        var notes: [String] = []

        // Keep the big air components.
        let (cc, count) = ConnectedComponents.label(inside, connectivity: .faces6)
        var sizes = ConnectedComponents.sizes(cc, count: count)
        // Aerated lung, not gas: drop components whose median is pure gas (bowel, stomach).
        let gas = gasComponents(v, labels: cc, sizes: sizes, atLeast: Int(100 / voxelML))
        var gasVoxels = 0
        for l in gas { gasVoxels += sizes[l]; sizes[l] = 0 }
        if gasVoxels > 0 {
            notes.append("gas excluded (bowel, stomach): \(Int((Double(gasVoxels) * voxelML).rounded())) mL")
        }
        let largest = sizes.max() ?? 0
        let minimum = max(Int(100 / voxelML), largest / 10)
        guard largest > 0, largest >= minimum else { return nil }
        let keptSizes = sizes
        var kept = bySlices(d, g) { i in cc.voxels[i] > 0 && keptSizes[Int(cc.voxels[i])] >= minimum ? 1 : 0 }

        if let airway = airways(v, inside: inside, midline: midline) {
            let walls = BoxMorphology.dilate(airway, radius: 2)
            let before = kept
            kept = bySlices(d, g) { i in walls.voxels[i] != 0 ? 0 : before.voxels[i] }
            notes.append("airways removed: \(Int((Double(airway.voxels.reduce(0) { $0 + Int($1) }) * voxelML).rounded())) mL")
        }

        // Sides.
        let (parts, n) = ConnectedComponents.label(kept, connectivity: .faces6)
        // Which columns lie left of the midline (patient x depends on the column only here).
        let leftColumn = (0..<d.columns).map { g.point(slice: 0, row: 0, column: Double($0)).x > midline }
        let counts = Mutex(([Int](repeating: 0, count: n + 1), [Int](repeating: 0, count: n + 1)))
        Parallelism.forEachChunk(d.slices) { chunk in
            var left = [Int](repeating: 0, count: n + 1), total = [Int](repeating: 0, count: n + 1)
            for s in chunk {
                for r in 0..<d.rows {
                    let base = d.index(s, r, 0)
                    for c in 0..<d.columns where parts.voxels[base + c] > 0 {
                        let l = Int(parts.voxels[base + c])
                        total[l] += 1
                        if leftColumn[c] { left[l] += 1 }
                    }
                }
            }
            counts.withLock { for k in 0...n { $0.0[k] += left[k]; $0.1[k] += total[k] } }
        }
        let (left, total) = counts.withLock { $0 }
        let tiny = Int(5 / voxelML)
        var labels = bySlices(d, g) { i in
            let l = Int(parts.voxels[i])
            guard l > 0, total[l] >= tiny else { return 0 }
            let fraction = Double(left[l]) / Double(total[l])
            let split = fraction > 0.2 && fraction < 0.8
            let isLeft = split ? leftColumn[i % d.columns] : fraction >= 0.5
            return isLeft ? 2 : 1
        }

        // Per lung: fill, close, fill.
        var volumes = [0.0, 0.0], ranges: [ClosedRange<Double>] = [0...0, 0...0]
        for side in UInt8(1)...2 {
            guard let box = boundingBox(labels, value: side, pad: closingMM) else { continue }
            var m = crop(labels, box) { $0 == side ? 1 : 0 }
            m = HoleFilling.fill2DPerSlice(Morphology.close(HoleFilling.fill2DPerSlice(m), radius: closingMM))
            var n = 0, zLo = Double.infinity, zHi = -Double.infinity
            let bd = m.dimensions
            for s in 0..<bd.slices {
                var inSlice = 0
                for r in 0..<bd.rows {
                    let src = bd.index(s, r, 0), dst = d.index(s + box.lower.slice, r + box.lower.row, box.lower.column)
                    for c in 0..<bd.columns where m.voxels[src + c] != 0 {
                        let i = dst + c
                        if labels.voxels[i] == 0 || labels.voxels[i] == side { labels.voxels[i] = side }
                        inSlice += 1
                    }
                }
                guard inSlice > 0 else { continue }
                n += inSlice
                let z = g.point(slice: Double(s + box.lower.slice), row: 0, column: 0).z
                zLo = min(zLo, z); zHi = max(zHi, z)
            }
            volumes[Int(side) - 1] = Double(n) * voxelML
            if n > 0 { ranges[Int(side) - 1] = min(zLo, zHi)...max(zLo, zHi) }
        }
        return LungMaskResult(labels: labels, midlineX: midline, volumeML: volumes, zRange: ranges, notes: notes)
    }

    /// Median HU at or below which an air component is gas, not lung: the emphysema threshold
    /// (−950 HU, LAA−950). Aerated lung is an air–tissue mixture whose median stays above it
    /// unless over half of the lung is emphysema; gas in bowel and stomach is −1000 HU, and the
    /// partial volume of its wall lifts the median of a 3 mm grid only to about −970 HU.
    static let gasMedianHU: Float = -950

    /// Labels of the components of at least `atLeast` voxels whose median HU is gas (see
    /// `gasMedianHU`): bowel and stomach gas, which sits in the same air threshold as the lungs.
    /// The airways are pure gas too but lie in the lungs' component, so they never decide it.
    static func gasComponents(_ v: Volume<Float>, labels: Volume<Int32>, sizes: [Int], atLeast: Int) -> [Int] {
        let counts = Mutex([Int](repeating: 0, count: sizes.count))
        let d = labels.dimensions
        Parallelism.forEachChunk(d.slices) { chunk in
            var local = [Int](repeating: 0, count: sizes.count)
            for i in (chunk.lowerBound * d.sliceSize)..<(chunk.upperBound * d.sliceSize)
            where labels.voxels[i] > 0 && v.voxels[i] <= gasMedianHU {
                local[Int(labels.voxels[i])] += 1
            }
            counts.withLock { for k in 0..<local.count { $0[k] += local[k] } }
        }
        let dark = counts.withLock { $0 }
        return (1..<sizes.count).filter { sizes[$0] >= atLeast && 2 * dark[$0] >= sizes[$0] }
    }

    /// The trachea grown into the bronchi, or nil if no trachea is found.
    static func airways(_ v: Volume<Float>, inside: Mask, midline: Double) -> Mask? {
        let d = v.dimensions, g = v.geometry
        let pixel = g.spacing.row * g.spacing.column
        // Highest slice with a midline air blob of trachea size.
        var seeds: [Int] = []
        for s in stride(from: d.slices - 1, through: max(0, d.slices * 2 / 3), by: -1) {
            let blobs = Blobs2D.find(inside, slice: s)
            if let t = blobs.first(where: { b in
                let area = Double(b.count) * pixel
                let x = g.point(slice: Double(s), row: b.centroid.y, column: b.centroid.x).x
                return area >= 50 && area <= 900 && abs(x - midline) < 25
            }) {
                seeds = t.indices
                break
            }
        }
        guard !seeds.isEmpty else { return nil }
        let limit = Int(250 / (g.spacing.voxelVolume / 1000))
        for threshold in stride(from: Float(-950), through: -990, by: -10) {
            if let grown = SeedGrowth.grow(d, seeds: seeds, limit: limit, inside: { v.voxels[$0] < threshold }) {
                var m = Mask(dimensions: d, geometry: g, repeating: 0)
                for i in grown { m.voxels[i] = 1 }
                return m
            }
        }
        return nil
    }

    static func boundingBox(_ labels: Volume<UInt8>, value: UInt8, pad: Double) -> IndexBox? {
        let d = labels.dimensions, sp = labels.spacing
        // Per slice chunk, then the extremes of the chunks (min and max: any order).
        let extremes = Mutex((SIMD3<Int>(repeating: .max), SIMD3<Int>(repeating: .min)))
        Parallelism.forEachChunk(d.slices) { chunk in
            var lo = SIMD3<Int>(repeating: .max), hi = SIMD3<Int>(repeating: .min)
            for s in chunk {
                for r in 0..<d.rows {
                    let base = d.index(s, r, 0)
                    var first = -1, last = -1
                    labels.voxels.withUnsafeBufferPointer { v in
                        var c = 0
                        while c < d.columns && v[base + c] != value { c += 1 }
                        guard c < d.columns else { return }
                        first = c
                        c = d.columns - 1
                        while v[base + c] != value { c -= 1 }
                        last = c
                    }
                    guard first >= 0 else { continue }
                    lo = pointwiseMin(lo, SIMD3(s, r, first)); hi = pointwiseMax(hi, SIMD3(s, r, last))
                }
            }
            extremes.withLock { $0 = (pointwiseMin($0.0, lo), pointwiseMax($0.1, hi)) }
        }
        var (lo, hi) = extremes.withLock { $0 }
        guard hi.x >= 0 else { return nil }
        let p = SIMD3(Int((pad / sp.slice).rounded(.up)), Int((pad / sp.row).rounded(.up)), Int((pad / sp.column).rounded(.up)))
        lo = pointwiseMax(lo &- p, .zero)
        hi = pointwiseMin(hi &+ p, SIMD3(d.slices - 1, d.rows - 1, d.columns - 1))
        return IndexBox(lower: .init(slice: lo.x, row: lo.y, column: lo.z), upper: .init(slice: hi.x, row: hi.y, column: hi.z))
    }

    /// A mask of `f(linear index)` for every voxel, slices in parallel.
    @inline(__always)
    static func bySlices(_ d: Dimensions, _ g: Geometry, _ f: @Sendable (Int) -> UInt8) -> Mask {
        var out = [UInt8](repeating: 0, count: d.count)
        out.withUnsafeMutableBufferPointer { op in
            let o = UnsafeSendableBuffer(op.baseAddress!)
            Parallelism.forEachChunk(d.slices) { chunk in
                for i in (chunk.lowerBound * d.sliceSize)..<(chunk.upperBound * d.sliceSize) { o[i] = f(i) }
            }
        }
        return Mask(dimensions: d, geometry: g, voxels: out)
    }

    /// The part of `v` inside `box` as a mask through `f`, keeping the geometry of the box.
    static func crop<T>(_ v: Volume<T>, _ box: IndexBox, _ f: (T) -> UInt8) -> Mask {
        let bd = box.dimensions, d = v.dimensions
        var g = v.geometry
        g.origin = v.geometry.point(slice: Double(box.lower.slice), row: Double(box.lower.row), column: Double(box.lower.column))
        var out = Mask(dimensions: bd, geometry: g, repeating: 0)
        for s in 0..<bd.slices {
            for r in 0..<bd.rows {
                let src = d.index(s + box.lower.slice, r + box.lower.row, box.lower.column), dst = bd.index(s, r, 0)
                for c in 0..<bd.columns { out.voxels[dst + c] = f(v.voxels[src + c]) }
            }
        }
        return out
    }
}
