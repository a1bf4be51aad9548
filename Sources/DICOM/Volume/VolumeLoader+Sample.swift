import Imaging

extension VolumeLoader {
    /// A few slices of a series spread evenly along the slice normal, for a quick look at its
    /// content (the routing preflight): every file's header is read (no pixel data; file
    /// names need not follow the anatomy), the single-frame images are sorted by
    /// ImagePositionPatient along the normal, `count` of them evenly spaced from first to last
    /// are decoded as one irregularly spaced volume (`allowGaps`: each slice's true position is
    /// in `sources`). Multi-frame files are decoded whole.
    public static func loadSample(files: [String], count: Int) throws(VolumeError) -> LoadedVolume {
        guard files.count > count else { return try load(files: files, allowGaps: true) }
        let (headers, _) = try readHeaders(files)
        guard let g = headers.first?.frames.first, let u = g.rowCosines, let v = g.columnCosines else {
            return try load(files: Array(files.prefix(count)), allowGaps: true)
        }
        let normal = SIMD3(u.y * v.z - u.z * v.y, u.z * v.x - u.x * v.z, u.x * v.y - u.y * v.x)
        let placed = headers.compactMap { h -> (path: String, depth: Double)? in
            guard let p = h.frames.first?.position else { return nil }
            return (h.path, (p * normal).sum())
        }.sorted { $0.depth < $1.depth }
        guard placed.count >= 2 else { return try load(files: Array(files.prefix(count)), allowGaps: true) }
        let n = min(count, placed.count)
        let picks = Set((0..<n).map { placed[$0 * (placed.count - 1) / max(1, n - 1)].path })
        return try load(files: picks.sorted(), allowGaps: true)
    }
}
