import Analysis
import Foundation
import Imaging
import Phantoms

/// One inserted nodule and what the analyzer made of it.
struct Outcome {
    var caseName: String
    var site: InsertionSite
    var insertion: Insertion
    /// The finding that overlaps the visible part most (Dice), if any overlaps.
    var finding: Finding?
    var dice: Double
    /// Share of the visible part inside the analyzer's lung mask.
    var inMask: Double
    var found: Bool { finding != nil && dice >= InsertionScore.minimumDice }
    /// (finding volume − visible volume) / visible volume.
    var volumeError: Double? {
        guard found, let v = finding?.measurement(.volume) else { return nil }
        return (v - insertion.visibleML) / insertion.visibleML
    }
}

enum InsertionScore {
    /// Least Dice for a finding to count as the inserted nodule: the finding must share a
    /// real part of the nodule, not merely touch it (a vessel beside it, a neighbouring FP).
    static let minimumDice = 0.2

    /// Dice of a finding's mask with an insertion's visible part.
    static func dice(_ f: Finding, _ ins: Insertion) -> Double {
        var shared = 0
        let b = ins.box
        f.mask.forEachVoxel { s, r, c in
            let a = s - b.lower.slice, e = r - b.lower.row, k = c - b.lower.column
            if ins.truth.dimensions.contains(a, e, k), ins.truth[a, e, k] != 0 { shared += 1 }
        }
        return 2 * Double(shared) / Double(max(1, f.mask.voxelCount + ins.truthVoxels))
    }

    /// Matches findings to the insertions of one copy: each insertion takes the finding of best
    /// Dice. Returns the outcomes and the findings on no insertion.
    static func match(_ findings: [Finding], organ: RegionMask?, _ insertions: [(InsertionSite, Insertion)], caseName: String)
        -> ([Outcome], [Finding]) {
        var used = Set<Int>()
        let outcomes = insertions.map { site, ins -> Outcome in
            var best: (Int, Double)? = nil
            for (k, f) in findings.enumerated() {
                let d = dice(f, ins)
                if d > 0, d > (best?.1 ?? 0) { best = (k, d) }
            }
            if let (k, d) = best, d >= minimumDice { used.insert(k) }
            return Outcome(caseName: caseName, site: site, insertion: ins, finding: best.map { findings[$0.0] },
                           dice: best?.1 ?? 0, inMask: ins.share(inside: organ))
        }
        // A finding overlapping an insertion at all is part of it (split or partial), not an FP.
        let others = findings.enumerated().filter { k, f in
            !used.contains(k) && !insertions.contains { dice(f, $0.1) > 0 }
        }.map(\.1)
        return (outcomes, others)
    }

    static func median(_ x: [Double]) -> Double? {
        guard !x.isEmpty else { return nil }
        let s = x.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// One table row: sensitivity, median Dice, median |volume error|, solid typed solid, typed right.
    static func row(_ label: String, _ o: [Outcome]) -> String {
        let found = o.filter(\.found)
        let errors = found.compactMap(\.volumeError).map { abs($0) * 100 }
        let solid = found.filter { $0.insertion.spec.kind == .solid }
        let solidRight = solid.filter { $0.finding?.category == "solid" }.count
        let typed = found.filter { $0.finding?.category == $0.insertion.spec.kind.rawValue }.count
        func pct(_ a: Int, _ b: Int) -> String { b == 0 ? "—" : String(format: "%3.0f%% (%d/%d)", 100 * Double(a) / Double(b), a, b) }
        func f(_ x: Double?, _ fmt: String) -> String { x.map { String(format: fmt, $0) } ?? "—" }
        let cols = [label.padding(toLength: 26, withPad: " ", startingAt: 0), pct(found.count, o.count),
                    f(median(o.map { 100 * $0.inMask }), "%.0f%%"),
                    f(median(found.map(\.dice)), "%.2f"), f(median(errors), "%.0f%%"),
                    pct(solidRight, solid.count), pct(typed, found.count)]
        return "| " + cols.joined(separator: " | ") + " |"
    }

    static func table(_ title: String, _ groups: [(String, [Outcome])]) -> String {
        var lines = ["", "### \(title)", "",
                     "| group | sensitivity | median share in lung mask | median Dice | median abs vol err | solid typed solid | typed right |",
                     "|---|---|---|---|---|---|---|"]
        for (label, o) in groups where !o.isEmpty { lines.append(row(label, o)) }
        return lines.joined(separator: "\n")
    }
}
