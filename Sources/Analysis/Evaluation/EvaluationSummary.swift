import Foundation

/// Scores of many cases of one analyzer, aggregated: sensitivity by size bin, false positives
/// per scan, lesion and case Dice, volume errors.
public struct EvaluationSummary: Sendable, Codable, Equatable {
    /// Detected / total target lesions in [lower, upper) mm of equivalent diameter.
    public struct Bin: Sendable, Codable, Equatable {
        public var lowerMM: Double
        public var upperMM: Double
        public var detected: Int
        public var total: Int
        public var sensitivity: Double? { total > 0 ? Double(detected) / Double(total) : nil }

        public var label: String { upperMM.isInfinite ? "≥\(fmt(lowerMM)) mm" : "\(fmt(lowerMM))–\(fmt(upperMM)) mm" }

        enum CodingKeys: String, CodingKey {
            case detected, total
            case lowerMM = "lower_mm", upperMM = "upper_mm"
        }
    }

    public var analyzer: AnalyzerKind
    public var cases: Int
    public var bins: [Bin]
    /// The issue's headline bin: lung ≥ 4 mm, liver ≥ 10 mm, infarct all.
    public var headlineMinimumMM: Double
    public var headlineDetected: Int
    public var headlineTotal: Int
    public var falsePositivesPerScan: Double
    /// Mean and median Dice over detected target lesions.
    public var lesionDiceMean: Double?
    public var lesionDiceMedian: Double?
    public var caseDiceMean: Double
    /// Median of |relative volume error| over detected target lesions, %.
    public var medianAbsoluteVolumeErrorPercent: Double?
    /// Per-case volume name → worst |error| in mL and in % over the cases.
    public var worstVolumeErrorML: [String: Double]
    public var worstVolumeErrorPercent: [String: Double]

    public var headlineSensitivity: Double? { headlineTotal > 0 ? Double(headlineDetected) / Double(headlineTotal) : nil }

    /// Size bins per analyzer (mm of equivalent diameter).
    public static func binEdges(_ kind: AnalyzerKind) -> [Double] {
        switch kind {
        case .lung: [0, 4, 6, 8, 15, .infinity]
        case .liver: [0, 10, 20, 50, .infinity]
        case .infarct: [0, .infinity]
        }
    }

    public static func headlineMinimum(_ kind: AnalyzerKind) -> Double {
        switch kind {
        case .lung: 4
        case .liver: 10
        case .infarct: 0
        }
    }

    public init(analyzer: AnalyzerKind, scores: [CaseScore]) {
        self.analyzer = analyzer
        cases = scores.count
        let targets = scores.flatMap(\.lesions).filter(\.target)
        let edges = Self.binEdges(analyzer)
        bins = zip(edges, edges.dropFirst()).map { lo, hi in
            let inBin = targets.filter { $0.diameterMM >= lo && $0.diameterMM < hi }
            return Bin(lowerMM: lo, upperMM: hi, detected: inBin.filter(\.detected).count, total: inBin.count)
        }
        let minimum = Self.headlineMinimum(analyzer)
        headlineMinimumMM = minimum
        let headline = targets.filter { $0.diameterMM >= minimum }
        headlineDetected = headline.filter(\.detected).count
        headlineTotal = headline.count
        falsePositivesPerScan = scores.isEmpty ? 0 : Double(scores.reduce(0) { $0 + $1.falsePositives.count }) / Double(scores.count)
        let dice = targets.filter(\.detected).map(\.dice)
        lesionDiceMean = dice.isEmpty ? nil : dice.reduce(0, +) / Double(dice.count)
        lesionDiceMedian = Self.median(dice)
        caseDiceMean = scores.isEmpty ? 0 : scores.reduce(0) { $0 + $1.caseDice } / Double(scores.count)
        medianAbsoluteVolumeErrorPercent = Self.median(targets.compactMap(\.volumeErrorPercent).map(abs))
        var ml: [String: Double] = [:], pct: [String: Double] = [:]
        for v in scores.flatMap(\.volumes) {
            ml[v.name] = max(ml[v.name] ?? 0, abs(v.errorML))
            pct[v.name] = max(pct[v.name] ?? 0, abs(v.errorPercent))
        }
        worstVolumeErrorML = ml
        worstVolumeErrorPercent = pct
    }

    static func median(_ xs: [Double]) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// A table for people.
    public var table: String {
        var lines = ["\(analyzer.rawValue): \(cases) case(s)"]
        lines.append("  size bin        detected / total   sensitivity")
        for b in bins where b.total > 0 {
            lines.append("  " + b.label.padding(toLength: 16, withPad: " ", startingAt: 0)
                         + "\(b.detected) / \(b.total)".padding(toLength: 19, withPad: " ", startingAt: 0)
                         + pct(b.sensitivity))
        }
        lines.append("  headline (≥\(fmt(headlineMinimumMM)) mm): \(headlineDetected) / \(headlineTotal) = \(pct(headlineSensitivity))")
        lines.append("  false positives per scan: \(String(format: "%.2f", falsePositivesPerScan))")
        lines.append("  lesion Dice mean \(num(lesionDiceMean)) median \(num(lesionDiceMedian)); case Dice mean \(num(caseDiceMean))")
        lines.append("  median |volume error|: \(medianAbsoluteVolumeErrorPercent.map { String(format: "%.1f %%", $0) } ?? "n/a")")
        for name in worstVolumeErrorML.keys.sorted() {
            lines.append("  \(name) volume: worst |error| \(String(format: "%.2f", worstVolumeErrorML[name]!)) mL, "
                         + String(format: "%.1f %%", worstVolumeErrorPercent[name]!))
        }
        return lines.joined(separator: "\n")
    }

    enum CodingKeys: String, CodingKey {
        case analyzer, cases, bins
        case headlineMinimumMM = "headline_minimum_mm", headlineDetected = "headline_detected"
        case headlineTotal = "headline_total", falsePositivesPerScan = "false_positives_per_scan"
        case lesionDiceMean = "lesion_dice_mean", lesionDiceMedian = "lesion_dice_median"
        case caseDiceMean = "case_dice_mean", medianAbsoluteVolumeErrorPercent = "median_abs_volume_error_percent"
        case worstVolumeErrorML = "worst_volume_error_ml", worstVolumeErrorPercent = "worst_volume_error_percent"
    }
}

private func fmt(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(format: "%.1f", x) }
private func pct(_ x: Double?) -> String { x.map { String(format: "%.1f %%", $0 * 100) } ?? "n/a" }
private func num(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "n/a" }
