import Foundation
import Imaging

/// Per axial slice of the coarse grid, the convex hull of both lungs. Non-lung tissue inside the
/// hull is mediastinum, heart, hila, spine or diaphragm dome; outside it, chest wall. A nodule
/// candidate cut by the lung boundary against tissue inside the hull is a vessel root at the
/// hilum (or something on the mediastinum), one cut against tissue outside it is juxtapleural.
struct LungHulls: Sendable {
    /// Hull vertices (column, row) per coarse slice, counter-clockwise; empty without lungs.
    let hulls: [[SIMD2<Double>]]
    let geometry: Geometry

    init(_ labels: Volume<UInt8>) {
        let d = labels.dimensions
        geometry = labels.geometry
        var out = [[SIMD2<Double>]](repeating: [], count: d.slices)
        for s in 0..<d.slices {
            var pts: [SIMD2<Double>] = []
            for r in 0..<d.rows {
                let base = d.index(s, r, 0)
                var first = -1, last = -1
                for c in 0..<d.columns where labels.voxels[base + c] != 0 {
                    if first < 0 { first = c }
                    last = c
                }
                if first >= 0 {
                    pts.append(SIMD2(Double(first), Double(r)))
                    if last != first { pts.append(SIMD2(Double(last), Double(r))) }
                }
            }
            out[s] = Self.hull(pts)
        }
        hulls = out
    }

    /// How deep (mm) patient point `p` lies inside the lungs' hull of its slice (≤ 0 outside).
    func depth(_ p: SIMD3<Double>) -> Double {
        let x = geometry.index(of: p)
        let s = Int(x.slice.rounded())
        guard s >= 0, s < hulls.count else { return 0 }
        let h = hulls[s]
        guard h.count >= 3 else { return 0 }
        let q = SIMD2(x.column, x.row)
        var depth = Double.infinity
        for i in 0..<h.count {
            let a = h[i], b = h[(i + 1) % h.count]
            let e = b - a
            let length = (e * e).sum().squareRoot()
            guard length > 0 else { continue }
            depth = min(depth, Self.cross(e, q - a) / length)
        }
        return depth * geometry.spacing.row
    }

    static func cross(_ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double { a.x * b.y - a.y * b.x }

    /// Andrew's monotone chain.
    static func hull(_ points: [SIMD2<Double>]) -> [SIMD2<Double>] {
        let p = points.sorted { $0.x != $1.x ? $0.x < $1.x : $0.y < $1.y }
        guard p.count >= 3 else { return p }
        var h: [SIMD2<Double>] = []
        for q in p {
            while h.count >= 2 && cross(h[h.count - 1] - h[h.count - 2], q - h[h.count - 2]) <= 0 { h.removeLast() }
            h.append(q)
        }
        let lower = h.count + 1
        for q in p.reversed().dropFirst() {
            while h.count >= lower && cross(h[h.count - 1] - h[h.count - 2], q - h[h.count - 2]) <= 0 { h.removeLast() }
            h.append(q)
        }
        h.removeLast()
        return h
    }
}
