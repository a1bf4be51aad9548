import Foundation
import Imaging

/// A block-averaged copy of a volume (`BlockMean`): integer factors per axis (the remainder at
/// the far end is dropped), each coarse voxel the mean of its block, its centre at the block's
/// centre.
struct CoarseGrid: Sendable {
    /// Block size (slice, row, column).
    let factor: SIMD3<Int>
    let volume: Volume<Float>

    /// Factors giving about `target` mm per axis (never below 1).
    init(_ v: Volume<Float>, target: Double) {
        let sp = v.spacing
        func k(_ s: Double, _ n: Int) -> Int { max(1, min(n, Int((target / s).rounded()))) }
        self.init(v, factor: SIMD3(k(sp.slice, v.dimensions.slices), k(sp.row, v.dimensions.rows),
                                   k(sp.column, v.dimensions.columns)))
    }

    init(_ v: Volume<Float>, factor f: SIMD3<Int>) {
        self.factor = f
        volume = BlockMean.downsample(v, factor: f, remainder: .drop)
    }

    /// The coarse voxel holding full-grid voxel (s, r, c) (clamped to the coarse grid).
    @inline(__always)
    func coarseIndex(_ s: Int, _ r: Int, _ c: Int) -> (Int, Int, Int) {
        let d = volume.dimensions
        return (min(d.slices - 1, s / factor.x), min(d.rows - 1, r / factor.y), min(d.columns - 1, c / factor.z))
    }
}

/// Flood fill from seeds through voxels that pass a test (6-connected), for seeded region
/// growing where only the seed's component is wanted (cost ∝ the grown region, not the volume).
enum SeedGrowth {
    /// Indices reached from `seeds` through voxels where `inside(i)` holds; stops early (and
    /// returns nil) once more than `limit` voxels are reached.
    static func grow(_ d: Dimensions, seeds: [Int], limit: Int = .max, inside: (Int) -> Bool) -> [Int]? {
        var visited = [Bool](repeating: false, count: d.count)
        var queue: [Int] = []
        for s in seeds where inside(s) && !visited[s] {
            visited[s] = true
            queue.append(s)
        }
        var head = 0
        let plane = d.sliceSize, cols = d.columns
        while head < queue.count {
            let i = queue[head]
            head += 1
            let s = i / plane, r = (i % plane) / cols, c = i % cols
            for (ok, j) in [(c > 0, i - 1), (c < cols - 1, i + 1), (r > 0, i - cols), (r < d.rows - 1, i + cols),
                            (s > 0, i - plane), (s < d.slices - 1, i + plane)] where ok && !visited[j] && inside(j) {
                visited[j] = true
                queue.append(j)
            }
            if queue.count > limit { return nil }
        }
        return queue
    }
}

/// 4-connected blobs of one slice of a mask.
enum Blobs2D {
    struct Blob {
        /// Linear indices (into the volume) of the blob's voxels.
        var indices: [Int]
        /// Mean (column, row).
        var centroid: SIMD2<Double>
        var count: Int { indices.count }
    }

    static func find(_ m: Mask, slice s: Int) -> [Blob] {
        let d = m.dimensions
        let base = d.index(s, 0, 0)
        var seen = [Bool](repeating: false, count: d.sliceSize)
        var blobs: [Blob] = []
        for start in 0..<d.sliceSize where m.voxels[base + start] != 0 && !seen[start] {
            var stack = [start], members: [Int] = []
            seen[start] = true
            var sum = SIMD2<Double>.zero
            while let i = stack.popLast() {
                members.append(base + i)
                let r = i / d.columns, c = i % d.columns
                sum += SIMD2(Double(c), Double(r))
                for (ok, j) in [(c > 0, i - 1), (c < d.columns - 1, i + 1), (r > 0, i - d.columns), (r < d.rows - 1, i + d.columns)]
                where ok && !seen[j] && m.voxels[base + j] != 0 {
                    seen[j] = true
                    stack.append(j)
                }
            }
            blobs.append(Blob(indices: members, centroid: sum / Double(members.count)))
        }
        return blobs
    }
}
