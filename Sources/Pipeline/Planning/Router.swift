import Analysis
import DICOM
import Foundation

/// Where a series goes, and why.
public struct RouteDecision: Sendable, Equatable {
    /// The analyzers (a rule names one; the default routing two for a chest–abdomen CT), or
    /// none: stored, not analyzed.
    public var analyzers: [AnalyzerKind]
    /// The first analyzer, or nil.
    public var analyzer: AnalyzerKind? { analyzers.first }
    /// The rule that decided ("rules[2]"), "default" for the built-in routing, or "" when
    /// nothing matched.
    public var rule: String
    /// In words: which fields matched, or why each rule did not.
    public var reason: String
    /// What the pixels showed, when routing looked at them (headers missing or generic, or a
    /// rule naming a region or contrast phase).
    public var content: ContentFindings?
}

/// `[[rules]]` of DESIGN §4: tried in order, the first whose present fields all match wins
/// (its analyzer, or list of analyzers); `analyzer = "none"` matches and stops routing.
/// `region` and `contrast_phase` look at what the series shows (`SeriesRegions`, the
/// preflight `ContentProbe`): the probe runs only when a rule or the default routing needs it. A config without any `[[rules]]` uses the
/// default routing (`DefaultRouting`: chest CT → lung, abdominal CT → liver, MR ADC or CT
/// perfusion maps → infarct), as `autoseg run` does.
public struct Router: Sendable {
    public let rules: [Rule]

    public init(rules: [Rule]) {
        self.rules = rules
    }

    public func route(_ s: ScannedSeries) -> RouteDecision {
        var d = rules.isEmpty ? defaultRoute(s) : ruleRoute(s)
        if s.isProbed { d.content = s.content }
        return d
    }

    private func ruleRoute(_ s: ScannedSeries) -> RouteDecision {
        var misses: [String] = []
        for (i, rule) in rules.enumerated() {
            if let why = mismatch(rule, s) {
                misses.append("rules[\(i)] (\(rule.analyzers.joined(separator: "+"))): \(why)")
                continue
            }
            let name = "rules[\(i)]"
            if rule.analyzer == "none" {
                return RouteDecision(analyzers: [], rule: name, reason: "\(name) says none: stored, not analyzed")
            }
            return RouteDecision(analyzers: rule.analyzers.compactMap(AnalyzerKind.init(rawValue:)), rule: name,
                                 reason: "\(name) matched: \(describe(rule, s))")
        }
        return RouteDecision(analyzers: [], rule: "", reason: "no rule matched; " + misses.joined(separator: "; "))
    }

    /// Why `rule` does not match `s`, or nil when it does.
    func mismatch(_ rule: Rule, _ s: ScannedSeries) -> String? {
        let h = s.first
        if let m = rule.modality, (h.modality ?? "").uppercased() != m.uppercased() {
            return "modality \(h.modality ?? "(none)") is not \(m)"
        }
        if let parts = rule.bodyPart {
            let part = (h.bodyPartExamined ?? "").uppercased()
            if !parts.contains(where: { $0.uppercased() == part }) {
                return "body part \(part.isEmpty ? "(none)" : part) is not one of \(parts.joined(separator: ", "))"
            }
        }
        if let pattern = rule.seriesDescription {
            let text = h.seriesDescription ?? ""
            let regex = try? NSRegularExpression(pattern: pattern)
            if regex?.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                return "series description \"\(text)\" does not match /\(pattern)/"
            }
        }
        if rule.minSliceThickness != nil || rule.maxSliceThickness != nil {
            guard let t = h.sliceThickness else { return "no SliceThickness" }
            if let lo = rule.minSliceThickness, t < lo { return "slice thickness \(t) mm is under \(lo) mm" }
            if let hi = rule.maxSliceThickness, t > hi { return "slice thickness \(t) mm is over \(hi) mm" }
        }
        if let wanted = rule.imageType {
            let have = Set(h.imageType.map { $0.uppercased() })
            if let missing = wanted.first(where: { !have.contains($0.uppercased()) }) {
                return "image type \(h.imageType.joined(separator: "\\")) lacks \(missing)"
            }
        }
        if let wanted = rule.region {
            let r = SeriesRegions.of(s)
            if let missing = wanted.first(where: { BodyRegion(rawValue: $0).map { !r.regions.contains($0) } ?? true }) {
                return "region \(r.regions.isEmpty ? "(none recognised)" : r.names) lacks \(missing) (\(r.reason))"
            }
        }
        if let phases = rule.contrastPhase {
            guard h.modality == "CT" else { return "contrast phase is measured on CT only" }
            let c = s.content
            guard let phase = c.phase else { return "contrast phase not measured (\(c.summary))" }
            if !phases.contains(phase.rawValue) {
                return "contrast phase \(phase.rawValue) is not \(phases.joined(separator: " or ")) (\(c.evidence.last ?? ""))"
            }
        }
        return nil
    }

    private func describe(_ rule: Rule, _ s: ScannedSeries) -> String {
        var parts: [String] = []
        if let m = rule.modality { parts.append("modality \(m)") }
        if let b = rule.bodyPart { parts.append("body part in \(b.joined(separator: ", "))") }
        if let d = rule.seriesDescription { parts.append("description /\(d)/") }
        if let lo = rule.minSliceThickness { parts.append("thickness ≥ \(lo) mm") }
        if let hi = rule.maxSliceThickness { parts.append("thickness ≤ \(hi) mm") }
        if let t = rule.imageType { parts.append("image type has \(t.joined(separator: ", "))") }
        if let r = rule.region {
            let found = SeriesRegions.of(s)
            parts.append("region \(r.joined(separator: " and ")) by \(found.source == .header ? found.reason : "the pixels")")
        }
        if let p = rule.contrastPhase, let phase = s.content.phase {
            parts.append("contrast phase \(phase.rawValue) in \(p.joined(separator: ", "))")
        }
        return parts.isEmpty ? "matches any series" : parts.joined(separator: ", ")
    }

    private func defaultRoute(_ s: ScannedSeries) -> RouteDecision {
        let (kinds, why) = DefaultRouting.analyzers(for: s)
        return RouteDecision(analyzers: kinds, rule: kinds.isEmpty ? "" : "default", reason: "default: \(why)")
    }
}
