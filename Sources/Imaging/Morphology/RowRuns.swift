/// Run-length encoding of a mask along rows plus union-find over the runs: the engine behind
/// `ConnectedComponents` and `HoleFilling`. Not API.
///
/// The volume is cut into slabs of whole slices; each slab extracts its runs and unites them
/// with overlapping runs of the previous rows (by connectivity) in parallel, then the slab
/// borders are united in order. Unions always hang the larger root under the smaller, so every
/// run's root is the first run of its component in raster order, whatever the slab cut: labels
/// are deterministic and independent of the thread count.
struct RowRuns {
    let dimensions: Dimensions
    /// First column and one-past-last column of each run, in raster order.
    var starts: [Int32]
    var ends: [Int32]
    /// Index of the first run of each row (`slices·rows + 1` entries).
    var rowFirst: [Int32]
    /// After `build`: the root (smallest run index) of each run's component.
    var root: [Int32]

    var count: Int { starts.count }

    /// Which earlier rows a row's runs touch, and by how many columns runs may be apart.
    struct Link { let dSlice: Int; let dRow: Int; let expand: Int32 }

    static func links(_ connectivity: ConnectedComponents.Connectivity) -> [Link] {
        switch connectivity {
        case .faces6: return [Link(dSlice: 0, dRow: -1, expand: 0), Link(dSlice: -1, dRow: 0, expand: 0)]
        case .edges18:
            return [Link(dSlice: 0, dRow: -1, expand: 1), Link(dSlice: -1, dRow: -1, expand: 0),
                    Link(dSlice: -1, dRow: 0, expand: 1), Link(dSlice: -1, dRow: 1, expand: 0)]
        case .vertices26:
            return [Link(dSlice: 0, dRow: -1, expand: 1), Link(dSlice: -1, dRow: -1, expand: 1),
                    Link(dSlice: -1, dRow: 0, expand: 1), Link(dSlice: -1, dRow: 1, expand: 1)]
        }
    }

    /// One slab's runs with slab-local indices (raw growable buffers: the hot loop touches
    /// no Swift array, so no retain/release, exclusivity or uniqueness checks per run).
    final class Slab: @unchecked Sendable {
        var starts = GrowBuffer<Int32>(), ends = GrowBuffer<Int32>()
        var rowFirst = GrowBuffer<Int32>(), parent = GrowBuffer<Int32>()
        deinit { starts.free(); ends.free(); rowFirst.free(); parent.free() }
    }

    /// Runs of foreground (`mask != 0`) voxels, or of background when `foreground` is false,
    /// united under `connectivity`.
    static func build(_ mask: Mask, foreground: Bool, connectivity: ConnectedComponents.Connectivity) -> RowRuns {
        let dims = mask.dimensions
        let (S, R, C) = (dims.slices, dims.rows, dims.columns)
        let links = links(connectivity)
        guard dims.count > 0 else {
            return RowRuns(dimensions: dims, starts: [], ends: [], rowFirst: [Int32](repeating: 0, count: S * R + 1), root: [])
        }
        let slabCount = max(1, min(S, Parallelism.threads * 4))
        let slabs = (0..<slabCount).map { _ in Slab() }
        @Sendable func slabRange(_ k: Int) -> Range<Int> { (k * S / slabCount)..<((k + 1) * S / slabCount) }
        mask.voxels.withUnsafeBufferPointer { mp in
            guard let mb = mp.baseAddress else { return }
            let m = ReadOnlySendablePointer(mb)
            Parallelism.forEachChunk(slabCount, minimumChunk: 1) { ks in
                for k in ks {
                    let range = slabRange(k)
                    var starts = GrowBuffer<Int32>(capacity: range.count * R * 2 + C)
                    var ends = GrowBuffer<Int32>(capacity: range.count * R * 2 + C)
                    var parent = GrowBuffer<Int32>(capacity: range.count * R * 2 + C)
                    var rowFirst = GrowBuffer<Int32>(capacity: range.count * R + 1)
                    for s in range {
                        for r in 0..<R {
                            let first = Int32(starts.count)
                            rowFirst.append(first)
                            // At most (C + 1) / 2 runs per row: make room once, then write freely.
                            starts.reserve(starts.count + (C + 1) / 2)
                            ends.reserve(ends.count + (C + 1) / 2)
                            let n = appendRuns(m.base + (s * R + r) * C, C, foreground,
                                               starts.base + starts.count, ends.base + ends.count)
                            starts.count += n
                            ends.count += n
                            let last = Int32(starts.count)
                            parent.reserve(parent.count + n)
                            for i in first..<last { parent.base[Int(i)] = i }
                            parent.count += n
                            for l in links {
                                let ps = s + l.dSlice, pr = r + l.dRow
                                guard ps >= range.lowerBound, pr >= 0, pr < R else { continue }
                                let q = (ps - range.lowerBound) * R + pr
                                unite(first..<last, rowFirst.base[q]..<rowFirst.base[q + 1], l.expand,
                                      starts.base, ends.base, parent.base)
                            }
                        }
                    }
                    rowFirst.append(Int32(starts.count))
                    let slab = slabs[k]
                    slab.starts.free(); slab.ends.free(); slab.parent.free(); slab.rowFirst.free()
                    slab.starts = starts; slab.ends = ends; slab.parent = parent; slab.rowFirst = rowFirst
                }
            }
        }
        // Concatenate the slabs in parallel (global index = slab offset + local index).
        var offsets = [0]
        for slab in slabs { offsets.append(offsets.last! + slab.starts.count) }
        let total = offsets.last!
        precondition(total < Int(Int32.max), "too many runs")
        let slabOffsets = offsets
        func gather(_ field: @escaping @Sendable (Slab) -> GrowBuffer<Int32>, shift: Bool, rows: Bool) -> [Int32] {
            let count = rows ? S * R + 1 : total
            return [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
                let out = UnsafeSendableBuffer(buffer.baseAddress!)
                Parallelism.forEachChunk(slabCount, minimumChunk: 1) { ks in
                    for k in ks {
                        let b = field(slabs[k])
                        let o = Int32(slabOffsets[k])
                        // Row tables: every slab's rows sit at its first slice; drop its closing entry.
                        let at = rows ? slabRange(k).lowerBound * R : slabOffsets[k]
                        let n = rows ? b.count - 1 : b.count
                        for i in 0..<n { out[at + i] = shift ? b.base[i] + o : b.base[i] }
                    }
                }
                if rows { out[count - 1] = Int32(total) }
                initialized = count
            }
        }
        let starts = gather({ $0.starts }, shift: false, rows: false)
        let ends = gather({ $0.ends }, shift: false, rows: false)
        var parent = gather({ $0.parent }, shift: true, rows: false)
        let rowFirst = gather({ $0.rowFirst }, shift: true, rows: true)
        // Unite across slab borders: the first slice of each slab with the slice before it.
        for k in 1..<max(1, slabCount) {
            let s = slabRange(k).lowerBound
            for r in 0..<R {
                let row = s * R + r
                for l in links where l.dSlice == -1 {
                    let pr = r + l.dRow
                    guard pr >= 0, pr < R else { continue }
                    let q = (s - 1) * R + pr
                    starts.withUnsafeBufferPointer { sp in
                        ends.withUnsafeBufferPointer { ep in
                            parent.withUnsafeMutableBufferPointer { pp in
                                unite(rowFirst[row]..<rowFirst[row + 1], rowFirst[q]..<rowFirst[q + 1], l.expand,
                                      sp.baseAddress!, ep.baseAddress!, pp.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        // parent[i] ≤ i always, so one forward sweep resolves every run to its root.
        parent.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = p[Int(p[i])] }
        }
        return RowRuns(dimensions: dims, starts: starts, ends: ends, rowFirst: rowFirst, root: parent)
    }

    /// Writes the runs of one row (of nonzero bytes when `foreground`, else of zero bytes) to
    /// `starts`/`ends`, which have room for `(n + 1) / 2`; returns how many. Skips eight bytes
    /// at a time where the row does not change.
    @inline(__always)
    static func appendRuns(_ p: UnsafePointer<UInt8>, _ n: Int, _ foreground: Bool,
                           _ starts: UnsafeMutablePointer<Int32>, _ ends: UnsafeMutablePointer<Int32>) -> Int {
        let raw = UnsafeRawPointer(p)
        @inline(__always) func word(_ c: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: c, as: UInt64.self) }
        @inline(__always) func hasZeroByte(_ x: UInt64) -> Bool {
            (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
        }
        @inline(__always) func skipZeros(_ c: inout Int) {
            while c + 8 <= n && word(c) == 0 { c += 8 }
            while c < n && p[c] == 0 { c += 1 }
        }
        @inline(__always) func skipNonzeros(_ c: inout Int) {
            while c + 8 <= n && !hasZeroByte(word(c)) { c += 8 }
            while c < n && p[c] != 0 { c += 1 }
        }
        var c = 0, k = 0
        while c < n {
            if foreground { skipZeros(&c) } else { skipNonzeros(&c) }
            if c >= n { break }
            starts[k] = Int32(c)
            if foreground { skipNonzeros(&c) } else { skipZeros(&c) }
            ends[k] = Int32(c)
            k += 1
        }
        return k
    }

    /// Unites every run in `a` with every run in `b` that overlaps it once widened by `expand`
    /// columns (both lists sorted by column).
    @inline(__always)
    static func unite(_ a: Range<Int32>, _ b: Range<Int32>, _ expand: Int32, _ starts: UnsafePointer<Int32>,
                      _ ends: UnsafePointer<Int32>, _ parent: UnsafeMutablePointer<Int32>) {
        var i = Int(a.lowerBound), j = Int(b.lowerBound)
        let ia = Int(a.upperBound), jb = Int(b.upperBound)
        while i < ia && j < jb {
            if ends[i] + expand <= starts[j] {
                i += 1
            } else if ends[j] + expand <= starts[i] {
                j += 1
            } else {
                union(Int32(i), Int32(j), parent)
                if ends[i] < ends[j] { i += 1 } else { j += 1 }
            }
        }
    }

    @inline(__always)
    static func find(_ x: Int32, _ parent: UnsafeMutablePointer<Int32>) -> Int32 {
        var x = x
        while parent[Int(x)] != x {
            let g = parent[Int(parent[Int(x)])]
            parent[Int(x)] = g
            x = g
        }
        return x
    }

    /// Hangs the larger root under the smaller, keeping `parent[i] ≤ i`.
    @inline(__always)
    static func union(_ a: Int32, _ b: Int32, _ parent: UnsafeMutablePointer<Int32>) {
        let ra = find(a, parent), rb = find(b, parent)
        if ra < rb { parent[Int(rb)] = ra } else if rb < ra { parent[Int(ra)] = rb }
    }

    /// Calls `body(row, runs)` for every row in parallel chunks (`row = slice·rows + row`).
    func forEachRow(_ body: @Sendable (Int, Range<Int>) -> Void) {
        let rows = dimensions.slices * dimensions.rows
        rowFirst.withUnsafeBufferPointer { rf in
            let f = ReadOnlySendablePointer(rf.baseAddress!)
            Parallelism.forEachChunk(rows, minimumChunk: 64) { range in
                for q in range { body(q, Int(f.base[q])..<Int(f.base[q + 1])) }
            }
        }
    }
}

/// A growable raw buffer for hot loops (no Swift array machinery). The owner frees it.
struct GrowBuffer<T> {
    private(set) var base: UnsafeMutablePointer<T>
    var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 16) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    /// Makes room for at least `n` elements in total.
    @inline(__always) mutating func reserve(_ n: Int) {
        guard n > capacity else { return }
        var c = capacity * 2
        while c < n { c *= 2 }
        let b = UnsafeMutablePointer<T>.allocate(capacity: c)
        b.moveInitialize(from: base, count: count)
        base.deallocate()
        base = b
        capacity = c
    }

    @inline(__always) mutating func append(_ x: T) {
        if count == capacity { reserve(count + 1) }
        (base + count).initialize(to: x)
        count += 1
    }

    func free() { base.deallocate() }
}
