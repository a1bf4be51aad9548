import Analysis

/// Which analyzers look at a series when no `[[rules]]` decide (the default of the node and
/// of `autoseg run`): CT of the chest → lung, CT of the abdomen → liver (both for
/// chest–abdomen), an MR ADC map or a CT perfusion rCBF or Tmax map → infarct. Body part
/// from BodyPartExamined or, failing that, the series description.
enum DefaultRouting {
    static let chestWords = ["CHEST", "THORAX", "LUNG", "THX", "THORAC"]
    static let abdomenWords = ["ABDOMEN", "ABD", "LIVER", "HEPAT"]

    /// The analyzers for `s` (none: the reason why not).
    static func analyzers(for s: ScannedSeries) -> (analyzers: [AnalyzerKind], reason: String) {
        switch s.role {
        case .adc: return ([.infarct], "MR ADC map")
        case .rcbf, .tmax: return ([.infarct], "CT perfusion \(s.role.rawValue) map")
        case .image:
            guard s.first.modality == "CT" else {
                return ([], "no analyzer for \(s.first.modality ?? "unknown modality") images")
            }
            let text = ((s.first.bodyPartExamined ?? "") + " " + (s.first.seriesDescription ?? "")).uppercased()
            var kinds: [AnalyzerKind] = []
            if chestWords.contains(where: { text.contains($0) }) { kinds.append(.lung) }
            if abdomenWords.contains(where: { text.contains($0) }) { kinds.append(.liver) }
            if kinds.isEmpty {
                return ([], "CT of \(s.first.bodyPartExamined ?? "no BodyPartExamined"): neither chest nor abdomen")
            }
            return (kinds, "\(kinds.map(\.rawValue).joined(separator: " and ")) by modality and body part")
        }
    }
}
