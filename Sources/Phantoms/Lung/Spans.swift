/// A closed interval of patient x (mm) on one image row: the chest phantom's large structures
/// are drawn row by row as sets of such intervals (exact along x, supersampled across rows).
struct Span: Sendable, Equatable {
    var lo: Double
    var hi: Double
}

/// Interval algebra on sorted, disjoint span lists, and the spans of the shapes the chest uses.
enum Spans {
    static let everything = [Span(lo: -.infinity, hi: .infinity)]

    static func intersect(_ a: [Span], _ b: [Span]) -> [Span] {
        var out: [Span] = []
        var i = 0, j = 0
        while i < a.count && j < b.count {
            let lo = max(a[i].lo, b[j].lo), hi = min(a[i].hi, b[j].hi)
            if lo < hi { out.append(Span(lo: lo, hi: hi)) }
            if a[i].hi < b[j].hi { i += 1 } else { j += 1 }
        }
        return out
    }

    static func subtract(_ a: [Span], _ b: [Span]) -> [Span] {
        guard !b.isEmpty else { return a }
        return intersect(a, complement(b))
    }

    static func complement(_ a: [Span]) -> [Span] {
        var out: [Span] = []
        var start = -Double.infinity
        for s in a {
            if s.lo > start { out.append(Span(lo: start, hi: s.lo)) }
            start = s.hi
        }
        if start < .infinity { out.append(Span(lo: start, hi: .infinity)) }
        return out
    }

    static func union(_ a: [Span], _ b: [Span]) -> [Span] {
        let all = (a + b).sorted { $0.lo < $1.lo }
        var out: [Span] = []
        for s in all {
            if let last = out.last, s.lo <= last.hi {
                out[out.count - 1].hi = max(last.hi, s.hi)
            } else {
                out.append(s)
            }
        }
        return out
    }

    /// |x − cx|^p/a^p + |dy|^p/b^p ≤ 1 on the row at offset `dy` from the centre.
    static func superellipse(cx: Double, a: Double, b: Double, p: Double, dy: Double) -> [Span] {
        let t = abs(dy) / b
        guard t < 1, a > 0 else { return [] }
        let half = a * (p == 2 ? (1 - t * t).squareRoot() : Foundation.pow(1 - Foundation.pow(t, p), 1 / p))
        return [Span(lo: cx - half, hi: cx + half)]
    }

    /// A x² + B x + C ≤ 0 with A > 0.
    static func quadratic(_ a: Double, _ b: Double, _ c: Double) -> [Span] {
        let disc = b * b - 4 * a * c
        guard disc > 0 else { return [] }
        let r = disc.squareRoot()
        return [Span(lo: (-b - r) / (2 * a), hi: (-b + r) / (2 * a))]
    }

    /// Adds `weight` × the covered fraction of every column's extent [x − sx/2, x + sx/2]
    /// (column c centred at x0 + c·sx) to `cover`; widens `touched` to the columns changed.
    static func accumulate(_ spans: [Span], weight: Float, x0: Double, sx: Double, columns: Int,
                           into cover: UnsafeMutablePointer<Float>, touched: inout (lo: Int, hi: Int)) {
        for s in spans {
            let first = max(0, Int(((s.lo - x0) / sx + 0.5).rounded(.down)))
            let last = min(columns - 1, Int(((s.hi - x0) / sx + 0.5).rounded(.down)))
            guard first <= last else { continue }
            touched = (min(touched.lo, first), max(touched.hi, last + 1))
            for c in first...last {
                let xc = x0 + Double(c) * sx
                let lo = max(s.lo, xc - sx / 2), hi = min(s.hi, xc + sx / 2)
                if hi > lo { cover[c] += weight * Float((hi - lo) / sx) }
            }
        }
    }
}

import Foundation
