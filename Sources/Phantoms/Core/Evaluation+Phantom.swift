import Analysis

extension Evaluation {
    /// Scores an analyzer's result on the phantom it ran on.
    public static func score(phantom: Phantom, result: AnalysisResult, name: String? = nil) -> CaseScore {
        let (labels, lesionNumbers) = labelVolume(result, geometry: phantom.labels.geometry)
        return score(name: name ?? "\(phantom.kind.rawValue)-\(phantom.seed)", analyzer: phantom.kind,
                     truth: phantom.labels, truthLesions: phantom.lesions, truthVolumesML: phantom.caseVolumesML,
                     predicted: labels, predictedLesions: lesionNumbers,
                     predictedVolumesML: predictedVolumes(result.caseMeasurements))
    }
}
