import Foundation
import Imaging

/// One tube to paint: a capsule, its value, and the label it sets (nil: labels untouched).
struct Tube: Sendable {
    var segment: TreeSegment
    var value: Float
    var label: UInt16?
}

/// Paints many capsules (vessel and airway trees, ribs, great vessels) in order, fast: each
/// capsule only within its tight index box, partial volume from 3 × 3 × 3 sub-samples in the
/// band within half a voxel diagonal of its surface, value replacing what is there by the
/// covered fraction, `label` set where more than half is covered. Slabs of slices run in
/// parallel, each painting every tube in list order, so the result is that of painting the
/// tubes one after another and does not depend on the thread count. Needs an axis-aligned grid
/// (the phantom's).
enum TubePainter {
    static func paint(_ tubes: [Tube], on canvas: inout PhantomCanvas) {
        let g = canvas.geometry, d = canvas.dimensions
        precondition(g.columnDirection == [1, 0, 0] && g.rowDirection == [0, 1, 0] && g.sliceDirection == [0, 0, 1],
                     "TubePainter needs an axis-aligned grid")
        let sp = SIMD3(g.spacing.column, g.spacing.row, g.spacing.slice)
        let o = g.origin
        let half = 0.5 * (sp * sp).sum().squareRoot()
        // Index boxes (inclusive) of every tube, as (lower, upper) in (column, row, slice).
        let boxes: [(SIMD3<Int>, SIMD3<Int>)] = tubes.map { t in
            let s = t.segment
            let lo = (pointwiseMin(s.a, s.b) - (s.radius + half) - o) / sp
            let hi = (pointwiseMax(s.a, s.b) + (s.radius + half) - o) / sp
            return (SIMD3(Int(lo.x.rounded(.up)), Int(lo.y.rounded(.up)), Int(lo.z.rounded(.up))),
                    SIMD3(Int(hi.x.rounded(.down)), Int(hi.y.rounded(.down)), Int(hi.z.rounded(.down))))
        }
        let offsets: [Double] = [-1.0 / 3, 0, 1.0 / 3]
        canvas.intensity.voxels.withUnsafeMutableBufferPointer { iv in
            canvas.labels.voxels.withUnsafeMutableBufferPointer { lv in
                let ib = UnsafeSendableBuffer(iv.baseAddress!), lb = UnsafeSendableBuffer(lv.baseAddress!)
                Parallelism.forEachChunk(d.slices) { slab in
                    for (k, t) in tubes.enumerated() {
                        let (lo, hi) = boxes[k]
                        let s0 = max(lo.z, slab.lowerBound), s1 = min(hi.z, slab.upperBound - 1)
                        let r0 = max(lo.y, 0), r1 = min(hi.y, d.rows - 1)
                        let c0 = max(lo.x, 0), c1 = min(hi.x, d.columns - 1)
                        guard s0 <= s1, r0 <= r1, c0 <= c1 else { continue }
                        let a = t.segment.a, ab = t.segment.b - t.segment.a, radius = t.segment.radius
                        let inv = 1 / max(1e-12, (ab * ab).sum())
                        @inline(__always) func distance(_ p: SIMD3<Double>) -> Double {
                            let ap = p - a
                            let u = min(1, max(0, (ap * ab).sum() * inv))
                            let e = ap - u * ab
                            return (e * e).sum().squareRoot() - radius
                        }
                        for s in s0...s1 {
                            for r in r0...r1 {
                                let base = d.index(s, r, 0)
                                for c in c0...c1 {
                                    let p = o + SIMD3(Double(c), Double(r), Double(s)) * sp
                                    let dist = distance(p)
                                    if dist >= half { continue }
                                    var f = 1.0
                                    if dist > -half {
                                        var inside = 0
                                        for dz in offsets {
                                            for dy in offsets {
                                                for dx in offsets where distance(p + SIMD3(dx, dy, dz) * sp) < 0 {
                                                    inside += 1
                                                }
                                            }
                                        }
                                        if inside == 0 { continue }
                                        f = Double(inside) / 27
                                    }
                                    let i = base + c
                                    ib[i] += Float(f) * (t.value - ib[i])
                                    if let label = t.label, f > 0.5 { lb[i] = label }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
