/// Hole filling: background that cannot reach the volume border through background becomes
/// foreground. Runs of background voxels are united (`RowRuns`); a component whose run touches
/// the border stays background.
public enum HoleFilling {
    /// Background not 6-connected (through background) to the volume border becomes foreground.
    public static func fill3D(_ m: Mask) -> Mask {
        guard m.dimensions.count > 0 else { return m }
        let runs = RowRuns.build(m, foreground: false, connectivity: .faces6)
        let dims = m.dimensions
        let (S, R, C) = (dims.slices, dims.rows, dims.columns)
        var open = [Bool](repeating: false, count: runs.count)
        for q in 0..<(S * R) {
            let s = q / R, r = q % R
            let edgeRow = s == 0 || s == S - 1 || r == 0 || r == R - 1
            for i in Int(runs.rowFirst[q])..<Int(runs.rowFirst[q + 1])
            where edgeRow || runs.starts[i] == 0 || Int(runs.ends[i]) == C {
                open[Int(runs.root[i])] = true
            }
        }
        let reachesBorder = open
        return ConnectedComponents.write(runs, geometry: m.geometry, background: UInt8(1)) { i in
            reachesBorder[Int(runs.root[i])] ? 0 : 1
        }
    }

    /// The same in every axial slice on its own (4-connectivity within the slice plane; the
    /// slice's four edges are its border), slices in parallel.
    public static func fill2DPerSlice(_ m: Mask) -> Mask {
        let dims = m.dimensions
        let (S, R, C) = (dims.slices, dims.rows, dims.columns)
        let voxels = [UInt8](unsafeUninitializedCapacity: dims.count) { buffer, initialized in
            guard let base = buffer.baseAddress, dims.count > 0 else { initialized = 0; return }
            let out = UnsafeSendableBuffer(base)
            m.voxels.withUnsafeBufferPointer { mp in
                let mask = ReadOnlySendablePointer(mp.baseAddress!)
                Parallelism.forEachChunk(S, minimumChunk: 1) { slices in
                    // Scratch per chunk, sized for the worst case of (C + 1) / 2 runs per row.
                    let most = R * ((C + 1) / 2) + 1
                    let starts = UnsafeMutablePointer<Int32>.allocate(capacity: most)
                    let ends = UnsafeMutablePointer<Int32>.allocate(capacity: most)
                    let parent = UnsafeMutablePointer<Int32>.allocate(capacity: most)
                    let rowFirst = UnsafeMutablePointer<Int32>.allocate(capacity: R + 1)
                    let open = UnsafeMutablePointer<Bool>.allocate(capacity: most)
                    defer { starts.deallocate(); ends.deallocate(); parent.deallocate(); rowFirst.deallocate(); open.deallocate() }
                    for s in slices {
                        var count = 0
                        for r in 0..<R {
                            let first = Int32(count)
                            rowFirst[r] = first
                            count += RowRuns.appendRuns(mask.base + (s * R + r) * C, C, false, starts + count, ends + count)
                            let last = Int32(count)
                            for i in first..<last { parent[Int(i)] = i }
                            if r > 0 { RowRuns.unite(first..<last, rowFirst[r - 1]..<first, 0, starts, ends, parent) }
                        }
                        rowFirst[R] = Int32(count)
                        for i in 0..<count { parent[i] = parent[Int(parent[i])] }
                        open.initialize(repeating: false, count: count)
                        for r in 0..<R {
                            for i in Int(rowFirst[r])..<Int(rowFirst[r + 1])
                            where r == 0 || r == R - 1 || starts[i] == 0 || Int(ends[i]) == C {
                                open[Int(parent[i])] = true
                            }
                        }
                        // Foreground and enclosed background become 1; open background stays 0.
                        let slice = out.base + s * R * C
                        slice.initialize(repeating: 1, count: R * C)
                        for r in 0..<R {
                            for i in Int(rowFirst[r])..<Int(rowFirst[r + 1]) where open[Int(parent[i])] {
                                (slice + r * C + Int(starts[i])).update(repeating: 0, count: Int(ends[i] - starts[i]))
                            }
                        }
                    }
                }
            }
            initialized = dims.count
        }
        return Mask(dimensions: dims, geometry: m.geometry, voxels: voxels)
    }
}
