import Foundation
import Imaging

/// Partial-volume tissue fractions of a `BrainAnatomy` on a grid, all tissues in one pass:
/// each voxel's class is decided at its centre unless a surface passes within ~1.3 half voxel
/// diagonals; then the voxel is supersampled (≤ 0.6 mm in-plane, ≤ 1 mm along the slice),
/// re-evaluating only the surfaces that pass near it. Slices in parallel; the result does not
/// depend on the thread count. (Three `PhantomCanvas` passes give the same fractions but cost
/// about seven times as much.)
enum BrainRaster {
    /// Fractions of CSF, grey and white matter per voxel (0 outside the head).
    static func fractions(_ a: BrainAnatomy, dimensions d: Dimensions, geometry g: Geometry)
        -> (csf: [Float], grey: [Float], white: [Float])
    {
        let sp = g.spacing
        let near = 1.3 * 0.5 * (sp.slice * sp.slice + sp.row * sp.row + sp.column * sp.column).squareRoot()
        let nxy = max(2, Int((max(sp.row, sp.column) / 0.6).rounded(.up))), nz = max(2, Int(sp.slice.rounded(.up)))
        var o: [SIMD3<Double>] = []
        for s in 0..<nz {
            for r in 0..<nxy {
                for c in 0..<nxy {
                    o.append(SIMD3((Double(s) + 0.5) / Double(nz) - 0.5, (Double(r) + 0.5) / Double(nxy) - 0.5,
                                         (Double(c) + 0.5) / Double(nxy) - 0.5))
                }
            }
        }
        let offsets = o
        let box = a.deepBox, margin = near + 1
        let deepLo = box.lo - margin, deepHi = box.hi + margin
        // Surfaces in painting order and the tissue each makes (0 CSF, 1 grey, 2 white); the last one a point is inside wins.
        let tissueOf = [0, 1, 2, 1, 1, 0, 0]
        @Sendable func distance(_ k: Int, _ q: SIMD3<Double>, _ head: Double) -> Double {
            switch k {
            case 0: return head
            case 1: return head + a.csfThickness
            case 2: return head + a.csfThickness + a.greyThickness
            case 3: return max(abs(q.x) - a.fissureHalfWidth - a.greyThickness, a.fissureBottom - a.greyThickness - q.z,
                               head + a.csfThickness)
            case 4, 5:
                let inBox = q.x >= deepLo.x && q.x <= deepHi.x && q.y >= deepLo.y && q.y <= deepHi.y
                    && q.z >= deepLo.z && q.z <= deepHi.z
                guard inBox else { return 1e3 }
                return k == 4 ? a.nucleus(q) : a.ventricle(q)
            default: return max(abs(q.x) - a.fissureHalfWidth, a.fissureBottom - q.z, head)
            }
        }
        @Sendable func tissue(_ dist: [Double]) -> Int {
            var t = -1
            for k in 0..<7 where dist[k] < 0 { t = tissueOf[k] }
            return t
        }
        var csf = [Float](repeating: 0, count: d.count), grey = csf, white = csf
        csf.withUnsafeMutableBufferPointer { c0 in
            grey.withUnsafeMutableBufferPointer { c1 in
                white.withUnsafeMutableBufferPointer { c2 in
                    let bufs = [UnsafeSendableBuffer(c0.baseAddress!), UnsafeSendableBuffer(c1.baseAddress!),
                                UnsafeSendableBuffer(c2.baseAddress!)]
                    Parallelism.forEachChunk(d.slices) { chunk in
                        var centre = [Double](repeating: 0, count: 7), dist = centre
                        var nearList: [Int] = []
                        for s in chunk {
                            for r in 0..<d.rows {
                                for c in 0..<d.columns {
                                    let q = a.local(g.point(slice: Double(s), row: Double(r), column: Double(c)))
                                    let head = a.head(q)
                                    if head > near { continue }
                                    nearList.removeAll(keepingCapacity: true)
                                    for k in 0..<7 {
                                        centre[k] = distance(k, q, head)
                                        if abs(centre[k]) < near { nearList.append(k) }
                                    }
                                    let i = d.index(s, r, c)
                                    if nearList.isEmpty {
                                        let t = tissue(centre)
                                        if t >= 0 { bufs[t][i] = 1 }
                                        continue
                                    }
                                    var counts = SIMD3<Int>(0, 0, 0)
                                    for o in offsets {
                                        let p = a.local(g.point(slice: Double(s) + o.x, row: Double(r) + o.y, column: Double(c) + o.z))
                                        dist = centre
                                        let h = nearList.contains { $0 <= 3 || $0 == 6 } ? a.head(p) : head
                                        for k in nearList { dist[k] = distance(k, p, h) }
                                        let t = tissue(dist)
                                        if t >= 0 { counts[t] += 1 }
                                    }
                                    let n = Float(offsets.count)
                                    for t in 0..<3 where counts[t] > 0 { bufs[t][i] = Float(counts[t]) / n }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (csf, grey, white)
    }
}
