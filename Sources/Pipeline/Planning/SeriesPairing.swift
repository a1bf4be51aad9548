import Analysis

/// Analyses that take more than one series of a study (DESIGN §8): a CT perfusion rCBF map
/// with its Tmax map, an MR ADC map with its DWI trace (b ≈ 1000). The one place that knows
/// which role needs which partner, whether the partner is required, which series of the study
/// it is, and in which order the analyzer wants them (primary first: the job is keyed by the
/// primary series — the rCBF map, the ADC map).
public enum SeriesPairing {
    /// The role a series of `role` must be analyzed with by `analyzer`, if any.
    public static func partnerRole(of role: InputRole, analyzer: AnalyzerKind) -> InputRole? {
        guard analyzer == .infarct else { return nil }
        switch role {
        case .rcbf: return .tmax
        case .tmax: return .rcbf
        case .adc: return .dwi
        case .dwi: return .adc
        case .image: return nil
        }
    }

    /// Whether a series of `role` is analyzed without its partner when the study has none: an
    /// ADC map alone still gives a core (lower confidence, said in the SR), so it does not wait
    /// for a DWI that may never come; a DWI that arrives later forms the pair's job, whose
    /// results (same UIDs, keyed by the ADC map) replace the ADC-alone ones. A DWI trace alone
    /// is not read (bright DWI without ADC may be T2 shine-through), nor is one perfusion map.
    public static func runsAlone(_ role: InputRole) -> Bool { role == .adc }

    /// Whether series `s` is analyzed without its partner: an ADC map always (`runsAlone(_:)`);
    /// a DWI series when it also holds low-b images (b0, b50) beside its b ≈ 1000 trace, from
    /// which the ADC is computed (ln(S0/Sb)/b, as the scanner's own map), the first and last
    /// files telling (a multi-b series lists its b-values in blocks or interleaved). With its
    /// ADC map in the study the pair is read instead.
    public static func runsAlone(_ s: ScannedSeries) -> Bool {
        if runsAlone(s.role) { return true }
        guard s.role == .dwi else { return false }
        let b = DiffusionNaming.bValues(of: s)
        return b.contains { DiffusionLoad.lowB.contains($0) } && b.contains { DiffusionNaming.isTrace(bValue: $0) }
    }

    /// The partner of `s` among `study` (the series of its study, `s` may be among them).
    /// CT perfusion: the first series of the wanted role. Diffusion: the ADC map's DWI is the
    /// study's best trace for it (`bestTrace`); a DWI's partner is the ADC map that picks it,
    /// so with several DWI series only one is paired.
    static func partner(of s: ScannedSeries, wanted: InputRole, in study: [ScannedSeries]) -> ScannedSeries? {
        let others = study.filter {
            $0.seriesInstanceUID != s.seriesInstanceUID && $0.studyInstanceUID == s.studyInstanceUID && $0.role == wanted
        }
        switch (s.role, wanted) {
        case (.adc, .dwi): return bestTrace(for: s, among: others)
        case (.dwi, .adc):
            return others.first { bestTrace(for: $0, among: study.filter { $0.role == .dwi })?.seriesInstanceUID == s.seriesInstanceUID }
        default: return others.first
        }
    }

    /// The DWI trace an ADC map is read with: among `traces`, those of its frame of reference
    /// (or without one) whose b-value is a trace's (`DiffusionNaming.isTrace`: ≈ 1000, or
    /// unknown), preferring a known b nearest 1000, then the series number nearest the ADC
    /// map's (scanners derive the ADC from the DWI just before it: Siemens 500 → 501).
    static func bestTrace(for adc: ScannedSeries, among traces: [ScannedSeries]) -> ScannedSeries? {
        let frame = adc.first.frameOfReferenceUID
        let usable = traces.filter { t in
            t.role == .dwi && t.studyInstanceUID == adc.studyInstanceUID
                && (frame == nil || t.first.frameOfReferenceUID == nil || t.first.frameOfReferenceUID == frame)
                && DiffusionNaming.isTrace(bValue: DiffusionNaming.bValue(of: t))
        }
        func key(_ t: ScannedSeries) -> (Double, Int, String) {
            let b = DiffusionNaming.bValue(of: t).map { abs($0 - 1000) } ?? 10_000
            var n = Int.max
            if let a = adc.first.seriesNumber, let b = t.first.seriesNumber { n = abs(a - b) }
            return (b, n, t.seriesInstanceUID)
        }
        return usable.min { key($0) < key($1) }
    }

    /// Why a series that has no partner will not get one, when that is known already: a DWI
    /// that is not a b ≈ 1000 trace, or one beside the trace its study's ADC map is read with.
    /// nil: the partner may still come.
    static func unpairedReason(_ s: ScannedSeries, in study: [ScannedSeries]) -> String? {
        guard s.role == .dwi else { return nil }
        if let b = DiffusionNaming.bValue(of: s), !DiffusionNaming.isTrace(bValue: b) {
            return "MR DWI of b = \(Int(b)) s/mm²: not a b ≈ 1000 trace, so not read for infarct core"
        }
        let adcs = study.filter { $0.role == .adc && $0.studyInstanceUID == s.studyInstanceUID }
        guard let adc = adcs.first, let chosen = bestTrace(for: adc, among: study.filter { $0.role == .dwi }) else { return nil }
        return "MR DWI trace not paired: the study's ADC map is read with series \(chosen.first.seriesNumber.map(String.init) ?? chosen.seriesInstanceUID)"
    }

    /// `s` and its partner in the analyzer's order: rCBF before Tmax, ADC before DWI.
    static func ordered(_ s: ScannedSeries, _ partner: ScannedSeries) -> [ScannedSeries] {
        s.role == .tmax || s.role == .dwi ? [partner, s] : [s, partner]
    }

    /// The role with its article, as messages say it ("a Tmax map", "an rCBF map", "a DWI trace").
    public static func phrase(for role: InputRole) -> String {
        (role == .tmax || role == .dwi ? "a " : "an ") + name(of: role)
    }

    /// How a role is named in messages ("Tmax map").
    public static func name(of role: InputRole) -> String {
        switch role {
        case .rcbf: "rCBF map"
        case .tmax: "Tmax map"
        case .adc: "ADC map"
        case .dwi: "DWI trace (b ≈ 1000)"
        case .image: "image series"
        }
    }
}
