import Analysis

/// Which analyzers look at a series when no `[[rules]]` decide (the default of the node and
/// of `autoseg run`): CT of the chest → lung, CT of the abdomen → liver (both for
/// chest–abdomen), an MR ADC map or DWI trace (paired by `SeriesPairing`) or a CT perfusion rCBF or Tmax map → infarct. The regions
/// come from BodyPartExamined or the series description when they name one, else from the
/// pixels (`SeriesRegions`, `ContentProbe`).
enum DefaultRouting {
    /// The analyzers for `s` (none: the reason why not).
    static func analyzers(for s: ScannedSeries) -> (analyzers: [AnalyzerKind], reason: String) {
        switch s.role {
        case .adc: return ([.infarct], "MR ADC map")
        case .dwi: return ([.infarct], "MR DWI trace (analyzed with its ADC map)")
        case .rcbf, .tmax: return ([.infarct], "CT perfusion \(s.role.rawValue) map")
        case .image:
            guard s.first.modality == "CT" else {
                return ([], "no analyzer for \(s.first.modality ?? "unknown modality") images")
            }
            let r = SeriesRegions.of(s)
            var kinds: [AnalyzerKind] = []
            if r.regions.contains(.chest) { kinds.append(.lung) }
            if r.regions.contains(.abdomen) { kinds.append(.liver) }
            if kinds.isEmpty {
                return ([], "CT of \(s.first.bodyPartExamined ?? "no BodyPartExamined"): neither chest nor abdomen (\(r.reason))")
            }
            let by = r.source == .header ? "modality and \(r.reason)" : "the pixels: \(r.reason)"
            return (kinds, "\(kinds.map(\.rawValue).joined(separator: " and ")) for \(r.names) by \(by)")
        }
    }
}
