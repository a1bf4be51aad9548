import Foundation
import Imaging

/// Draws the chest's large structures (couch, body wall, sternum, mediastinum, abdomen below
/// the diaphragm, heart, spine, lungs) row by row from `ChestModel`'s spans. Partial volume is
/// exact along x and supersampled 2 × 2 (2 × 4 for thick slices) across rows and slices; each
/// layer replaces what is below it by its covered fraction. Lung voxels (centre inside a lung)
/// get the label `LungPhantom.rightLungLabel` / `leftLungLabel`. Slices in parallel.
enum ChestRaster {
    enum Layer: CaseIterable {
        case couch, body, muscle, sternum, cavity, liver, leftAbdomen, heart, vertebraCortex, vertebraMarrow,
             arch, canal, spinous, rightLung, leftLung
    }

    static func spans(_ m: ChestModel, _ layer: Layer, y: Double, z: Double) -> [Span] {
        switch layer {
        case .couch:
            guard y >= m.couchY, y <= m.couchY + 6 else { return [] }
            return [Span(lo: -min(220, m.bodyA + 40), hi: min(220, m.bodyA + 40))]
        case .body:
            return Spans.superellipse(cx: 0, a: m.bodyA, b: m.bodyB, p: 2.2, dy: y)
        case .muscle:
            return Spans.superellipse(cx: 0, a: m.bodyA - m.fat, b: m.bodyB - 0.8 * m.fat, p: 2.2, dy: y)
        case .sternum:
            guard z > m.zBase + m.domeRight - 25, z < m.zApex - 25 else { return [] }
            let front = m.cavY - m.cavB * m.cavityScale(z)
            guard y > front - 13, y < front - 3 else { return [] }
            return [Span(lo: -14, hi: 14)]
        case .cavity:
            return m.cavitySpans(y: y, z: z)
        case .liver, .leftAbdomen:
            let below = Spans.intersect(m.cavitySpans(y: y, z: z), m.belowDiaphragmSpans(y: y, z: z))
            return Spans.intersect(below, layer == .liver ? [Span(lo: -.infinity, hi: 0)] : [Span(lo: 0, hi: .infinity)])
        case .heart:
            return Spans.intersect(m.heartSpans(y: y, z: z), m.cavitySpans(y: y, z: z))
        case .vertebraCortex:
            return m.vertebraSpans(y: y, inflate: 0)
        case .vertebraMarrow:
            return m.vertebraSpans(y: y, inflate: -1.8)
        case .arch:
            return Spans.superellipse(cx: 0, a: 12, b: 12, p: 2, dy: y - m.canalY)
        case .canal:
            return Spans.superellipse(cx: 0, a: 7, b: 7, p: 2, dy: y - m.canalY)
        case .spinous:
            guard y > m.canalY + 9, y < m.canalY + 40 else { return [] }
            return [Span(lo: -4, hi: 4)]
        case .rightLung:
            return m.lungSpans(side: -1, y: y, z: z)
        case .leftLung:
            return m.lungSpans(side: 1, y: y, z: z)
        }
    }

    static func value(_ m: ChestModel, _ layer: Layer, y: Double, z: Double) -> Float {
        switch layer {
        case .couch: 220
        case .body: -100
        case .muscle: 45
        case .sternum: 420
        case .cavity: -90
        case .liver: 58
        case .leftAbdomen: 42
        case .heart: 40
        case .vertebraCortex: m.isDisc(z) ? 85 : 650
        case .vertebraMarrow: m.isDisc(z) ? 85 : 230
        case .arch, .spinous: 480
        case .canal: 15
        case .rightLung, .leftLung: Float(m.parenchymaHU(y: y))
        }
    }

    static func render(_ m: ChestModel, into canvas: inout PhantomCanvas) {
        let d = m.dimensions
        let sx = m.spacingXY, sz = m.sliceSpacing
        let x0 = m.origin.x
        let ny = 2, nz = sz > 1.6 * sx ? 4 : 2
        var subRows: [(Double, Double)] = []
        for a in 0..<ny {
            for b in 0..<nz {
                let fy = (Double(a) + 0.5) / Double(ny) - 0.5
                let fz = (Double(b) + 0.5) / Double(nz) - 0.5
                subRows.append((fy, fz))
            }
        }
        let weight = Float(1) / Float(subRows.count)
        let rows = subRows
        canvas.intensity.voxels.withUnsafeMutableBufferPointer { iv in
            canvas.labels.voxels.withUnsafeMutableBufferPointer { lv in
                let ib = UnsafeSendableBuffer(iv.baseAddress!), lb = UnsafeSendableBuffer(lv.baseAddress!)
                Parallelism.forEachChunk(d.slices) { chunk in
                    let cover = UnsafeMutablePointer<Float>.allocate(capacity: d.columns)
                    cover.initialize(repeating: 0, count: d.columns)
                    defer { cover.deallocate() }
                    for s in chunk {
                        let z = m.origin.z + Double(s) * sz
                        for r in 0..<d.rows {
                            let y = m.origin.y + Double(r) * sx
                            let row = ib.base + d.index(s, r, 0)
                            for layer in Layer.allCases {
                                var touched = (lo: d.columns, hi: 0)
                                for (dy, dz) in rows {
                                    let sp = spans(m, layer, y: y + dy * sx, z: z + dz * sz)
                                    Spans.accumulate(sp, weight: weight, x0: x0, sx: sx, columns: d.columns,
                                                     into: cover, touched: &touched)
                                }
                                guard touched.lo < touched.hi else { continue }
                                let v = value(m, layer, y: y, z: z)
                                for c in touched.lo..<touched.hi {
                                    let f = min(1, cover[c])
                                    if f > 0 { row[c] += f * (v - row[c]) }
                                    cover[c] = 0
                                }
                                if layer == .rightLung || layer == .leftLung {
                                    let label = layer == .rightLung ? LungPhantom.rightLungLabel : LungPhantom.leftLungLabel
                                    let labels = lb.base + d.index(s, r, 0)
                                    for span in spans(m, layer, y: y, z: z) {
                                        let c0 = max(0, Int(((span.lo - x0) / sx).rounded(.up)))
                                        let c1 = min(d.columns - 1, Int(((span.hi - x0) / sx).rounded(.down)))
                                        if c0 <= c1 { for c in c0...c1 { labels[c] = label } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
