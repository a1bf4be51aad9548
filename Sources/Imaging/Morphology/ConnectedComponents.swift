import Synchronization

/// 3D connected components of a binary mask (foreground = nonzero).
///
/// Run-length encoded rows with union-find over runs (`RowRuns`): slabs of slices in parallel,
/// then their borders; the label volume is written row by row in parallel.
public enum ConnectedComponents {
    /// Which neighbours touch: 6 share a face, 18 a face or an edge, 26 also a corner.
    public enum Connectivity: Sendable { case faces6, edges18, vertices26 }

    /// Labels `1...count` in raster order of first appearance (deterministic, independent of
    /// the thread count), 0 for background.
    public static func label(_ m: Mask, connectivity: Connectivity = .vertices26) -> (labels: Volume<Int32>, count: Int) {
        let runs = RowRuns.build(m, foreground: true, connectivity: connectivity)
        // Roots are each component's first run, so numbering roots in order is raster order.
        var runLabel = [Int32](repeating: 0, count: runs.count)
        var count: Int32 = 0
        for i in 0..<runs.count {
            let r = Int(runs.root[i])
            if r == i { count += 1; runLabel[i] = count } else { runLabel[i] = runLabel[r] }
        }
        let final = runLabel
        let labels = write(runs, geometry: m.geometry, background: Int32(0)) { i in final[i] }
        return (labels, Int(count))
    }

    /// Voxel count per label, indexed by label (index 0, the background, is left 0).
    public static func sizes(_ labels: Volume<Int32>, count: Int) -> [Int] {
        let total = Mutex([Int](repeating: 0, count: count + 1))
        labels.voxels.withUnsafeBufferPointer { lp in
            guard let lb = lp.baseAddress else { return }
            let l = ReadOnlySendablePointer(lb)
            Parallelism.forEachChunk(lp.count, minimumChunk: 1 << 16) { range in
                var local = [Int](repeating: 0, count: count + 1)
                local.withUnsafeMutableBufferPointer { h in
                    for i in range {
                        let v = Int(l.base[i])
                        if v > 0 && v <= count { h[v] += 1 }
                    }
                }
                total.withLock { t in for k in 0...count { t[k] += local[k] } }
            }
        }
        return total.withLock { $0 }
    }

    /// Only the largest component (ties: the first in raster order); empty if `m` is.
    public static func largest(_ m: Mask, connectivity: Connectivity = .vertices26) -> Mask {
        let runs = RowRuns.build(m, foreground: true, connectivity: connectivity)
        var size = [Int](repeating: 0, count: runs.count)
        for i in 0..<runs.count { size[Int(runs.root[i])] += Int(runs.ends[i] - runs.starts[i]) }
        var best = -1, bestSize = 0
        for i in 0..<runs.count where size[i] > bestSize { best = i; bestSize = size[i] }
        let keep = Int32(best)
        return write(runs, geometry: m.geometry, background: UInt8(0)) { i in runs.root[i] == keep ? 1 : 0 }
    }

    /// Only the components of at least `minVoxels` voxels.
    public static func keep(_ m: Mask, minVoxels: Int, connectivity: Connectivity = .vertices26) -> Mask {
        let runs = RowRuns.build(m, foreground: true, connectivity: connectivity)
        var size = [Int](repeating: 0, count: runs.count)
        for i in 0..<runs.count { size[Int(runs.root[i])] += Int(runs.ends[i] - runs.starts[i]) }
        let sizes = size
        return write(runs, geometry: m.geometry, background: UInt8(0)) { i in
            sizes[Int(runs.root[i])] >= minVoxels ? 1 : 0
        }
    }

    /// A volume of `background` with every run `i` set to `value(i)`, rows in parallel.
    static func write<T: Sendable & BinaryInteger>(_ runs: RowRuns, geometry: Geometry, background: T,
                                                   value: @Sendable (Int) -> T) -> Volume<T> {
        let dims = runs.dimensions
        let C = dims.columns
        let voxels = [T](unsafeUninitializedCapacity: dims.count) { buffer, initialized in
            guard let base = buffer.baseAddress, dims.count > 0 else { initialized = 0; return }
            let out = UnsafeSendableBuffer(base)
            runs.starts.withUnsafeBufferPointer { sp in
                runs.ends.withUnsafeBufferPointer { ep in
                    let st = ReadOnlySendablePointer(sp.baseAddress ?? UnsafePointer(bitPattern: 8)!)
                    let en = ReadOnlySendablePointer(ep.baseAddress ?? UnsafePointer(bitPattern: 8)!)
                    runs.forEachRow { q, range in
                        let row = out.base + q * C
                        var c = 0
                        for i in range {
                            let a = Int(st.base[i]), b = Int(en.base[i])
                            (row + c).initialize(repeating: background, count: a - c)
                            (row + a).initialize(repeating: value(i), count: b - a)
                            c = b
                        }
                        (row + c).initialize(repeating: background, count: C - c)
                    }
                }
            }
            initialized = dims.count
        }
        return Volume(dimensions: dims, geometry: geometry, voxels: voxels)
    }
}
