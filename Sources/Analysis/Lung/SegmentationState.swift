import Foundation
import Imaging

/// The serial state of `LungNodules.segment`: the nodules found and the rejected candidates'
/// skip balls after the candidates committed so far, and the outcomes segmented ahead of the
/// commit point.
struct SegmentationState {
    var nodules: [SegmentedNodule] = []
    var skips: [(SIMD3<Double>, Double, Double)] = []
    var rejected = 0
    /// Next candidate to take; next to commit (all before it are committed).
    var next = 0, committed = 0
    /// Outcomes of candidates taken and not yet committed (nil: skipped when taken).
    var ready: [SegmentOutcome?]
    var done: [Bool]

    init(count: Int) {
        ready = [SegmentOutcome?](repeating: nil, count: count)
        done = [Bool](repeating: false, count: count)
    }

    /// Inside a nodule found, or near a rejected candidate of the same or a larger scale (the
    /// same structure).
    func skipped(_ cand: NoduleCandidate, geometry g: Geometry) -> Bool {
        let x = g.index(of: cand.position)
        let s = Int(x.slice.rounded()), r = Int(x.row.rounded()), c = Int(x.column.rounded())
        if nodules.contains(where: { n in
            let b = n.box
            guard s >= b.lower.slice, s <= b.upper.slice, r >= b.lower.row, r <= b.upper.row,
                  c >= b.lower.column, c <= b.upper.column else { return false }
            return n.mask[s - b.lower.slice, r - b.lower.row, c - b.lower.column] != 0
        }) { return true }
        return skips.contains(where: { cand.sigma <= $0.2 && ((cand.position - $0.0) * (cand.position - $0.0)).sum() < $0.1 * $0.1 })
    }

    /// Takes the next candidate in order as the serial loop does: skipped, or its outcome (`outcome`,
    /// else `segment()` now) added to the nodules or the skips.
    mutating func commit(_ cand: NoduleCandidate, outcome ahead: SegmentOutcome?, geometry g: Geometry,
                         segment: () -> SegmentOutcome) {
        if skipped(cand, geometry: g) {
            if NoduleSegmenter.debug {
                let p = cand.position
                print(String(format: "  cand (%.1f, %.1f, %.1f) %@ σ %.1f score %.2f: skipped (inside a nodule or near a rejected candidate)",
                             p.x, p.y, p.z, cand.channel, cand.sigma, cand.score))
            }
            return
        }
        let outcome = ahead ?? segment()
        if NoduleSegmenter.debug {
            let p = cand.position
            var what = "nodule"
            if case .rejected(let why, _) = outcome { what = why }
            if case .nodule(let n) = outcome { what += String(format: " %.3f mL", n.properties.volumeML) }
            print(String(format: "  cand (%.1f, %.1f, %.1f) %@ σ %.1f score %.2f: %@", p.x, p.y, p.z, cand.channel, cand.sigma, cand.score, what))
        }
        switch outcome {
        case .nodule(let n):
            // A second candidate on a nodule found before (its centre just outside that mask):
            // keep the larger segmentation when it holds the other (a part-solid nodule first
            // found from its solid core), else the first.
            if let k = nodules.firstIndex(where: { LungNodules.overlap($0, n) > 0.2 }) {
                let old = nodules[k]
                if n.properties.voxelCount > old.properties.voxelCount,
                   LungNodules.overlap(old, n) * Double(min(old.properties.voxelCount, n.properties.voxelCount))
                    >= 0.8 * Double(old.properties.voxelCount) {
                    nodules[k] = n
                }
                return
            }
            nodules.append(n)
        case .rejected(_, let radius):
            skips.append((cand.position, radius, cand.sigma))
            rejected += 1
        }
    }
}
