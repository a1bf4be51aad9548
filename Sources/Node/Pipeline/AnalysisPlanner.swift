import Analysis
import DICOM

/// One analysis to run: the analyzer and its input series (primary first: the CT, the ADC
/// map, or the rCBF map followed by the Tmax map).
public struct PlannedAnalysis: Sendable {
    public var analyzer: AnalyzerKind
    public var series: [ScannedSeries]
    public var primary: ScannedSeries { series[0] }
}

/// A series no analyzer will look at, and why.
public struct Unanalyzed: Sendable {
    public var series: ScannedSeries
    public var reason: String
}

/// Which analyzer looks at which series when no `[[rules]]` decide (`autoseg run`): CT of the
/// chest → lung, CT of the abdomen → liver (both for chest–abdomen), an MR ADC map → infarct,
/// a CT perfusion rCBF map with a Tmax map of the same study → infarct. Body part from
/// BodyPartExamined or, failing that, the series description.
public enum AnalysisPlanner {
    static let chestWords = ["CHEST", "THORAX", "LUNG", "THX", "THORAC"]
    static let abdomenWords = ["ABDOMEN", "ABD", "LIVER", "HEPAT"]

    public static func plan(_ all: [ScannedSeries], allowed: Set<AnalyzerKind> = Set(AnalyzerKind.allCases))
        -> (planned: [PlannedAnalysis], unanalyzed: [Unanalyzed]) {
        var planned: [PlannedAnalysis] = [], unanalyzed: [Unanalyzed] = []
        func add(_ kind: AnalyzerKind, _ series: [ScannedSeries]) {
            if allowed.contains(kind) {
                planned.append(PlannedAnalysis(analyzer: kind, series: series))
            } else {
                for (i, s) in series.enumerated() {
                    let with = i == 0 ? "" : " with \(series[0].seriesInstanceUID)"
                    unanalyzed.append(Unanalyzed(series: s, reason: "would go\(with) to \(kind.rawValue), which was not selected (--analyzers)"))
                }
            }
        }
        let tmaxUsed = Set(all.filter { s in
            s.role == .rcbf && all.contains { $0.role == .tmax && $0.studyInstanceUID == s.studyInstanceUID }
        }.map(\.studyInstanceUID))
        for s in all {
            let text = ((s.first.bodyPartExamined ?? "") + " " + (s.first.seriesDescription ?? "")).uppercased()
            switch s.role {
            case .adc:
                add(.infarct, [s])
            case .rcbf:
                if let tmax = all.first(where: { $0.role == .tmax && $0.studyInstanceUID == s.studyInstanceUID }) {
                    add(.infarct, [s, tmax])
                } else {
                    unanalyzed.append(Unanalyzed(series: s, reason: "an rCBF map needs a Tmax map of the same study"))
                }
            case .tmax:
                if !tmaxUsed.contains(s.studyInstanceUID) {
                    unanalyzed.append(Unanalyzed(series: s, reason: "a Tmax map needs an rCBF map of the same study"))
                }
            case .image:
                guard s.first.modality == "CT" else {
                    unanalyzed.append(Unanalyzed(series: s, reason: "no analyzer for \(s.first.modality ?? "unknown modality") images"))
                    continue
                }
                let chest = chestWords.contains { text.contains($0) }
                let abdomen = abdomenWords.contains { text.contains($0) }
                if chest { add(.lung, [s]) }
                if abdomen { add(.liver, [s]) }
                if !chest && !abdomen {
                    let part = s.first.bodyPartExamined ?? "no BodyPartExamined"
                    unanalyzed.append(Unanalyzed(series: s, reason: "CT of \(part): neither chest nor abdomen"))
                }
            }
        }
        return (planned, unanalyzed)
    }
}
